// A small blocking memcached text-protocol client for the demo: pipelined sets and multi-key gets
// over one TCP connection to 127.0.0.1 (a memcached server or the proxy in front of several).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ringleader::cli {

class MemcacheClient {
 public:
  /// Connects to 127.0.0.1:port; throws std::runtime_error if nothing accepts there.
  explicit MemcacheClient(std::uint16_t port);
  ~MemcacheClient();
  MemcacheClient(const MemcacheClient&) = delete;
  MemcacheClient& operator=(const MemcacheClient&) = delete;

  /// Stores every key with the value, pipelined; returns how many were STORED.
  std::size_t set_many(std::span<const std::string> keys, std::string_view value);
  /// Which keys are present (multi-key gets, pipelined).
  std::vector<bool> present(std::span<const std::string> keys);

 private:
  void send_all(std::string_view bytes);
  std::string_view read_line();  // without the CRLF; valid until the next read
  void skip_bytes(std::size_t n);

  int fd_ = -1;
  std::string in_;
  std::size_t pos_ = 0;
};

}  // namespace ringleader::cli
