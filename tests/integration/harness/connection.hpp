// Connection: a blocking loopback client for integration tests, with a receive timeout so that a
// missing reply fails the test instead of hanging it.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace ringleader::test {

class Connection {
 public:
  /// Connects to 127.0.0.1:port (or the unix socket at `path`). Throws std::runtime_error on failure.
  explicit Connection(std::uint16_t port, std::chrono::milliseconds timeout = std::chrono::seconds(10));
  explicit Connection(const std::string& unix_path, std::chrono::milliseconds timeout = std::chrono::seconds(10));
  ~Connection();
  Connection(Connection&& other) noexcept;
  Connection& operator=(Connection&&) = delete;
  Connection(const Connection&) = delete;

  void send(std::string_view bytes);
  /// Reads until `frame` (given the unread bytes, returns the size of the first complete message or 0)
  /// finds a message, and returns it. Throws std::runtime_error on timeout or when the peer closes.
  std::string receive(const std::function<std::size_t(std::string_view)>& frame);
  /// Reads until the peer closes the connection (or the timeout); returns everything unread.
  std::string receive_until_closed();
  /// True if the peer has closed the connection (waits up to the timeout for it).
  bool closed_by_peer();

 private:
  /// Reads what is available into buffer_; false on timeout or close.
  bool fill();

  int fd_ = -1;
  std::chrono::milliseconds timeout_;
  std::string buffer_;
  bool eof_ = false;
};

}  // namespace ringleader::test
