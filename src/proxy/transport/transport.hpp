// Transport: what carries one connection's bytes (TCP or a unix socket today; TLS is next, beneath
// this same interface). Client sessions and backends move bytes only through it, so no protocol or
// route code knows how its bytes travel.
//
// The interface keeps the shape the proxy's loops already use, because it is the cheap one: wait
// until bytes can be read, then read what is there without waiting (an idle connection holds no
// read buffer, and a read is never tried on a socket with nothing to read); write what the kernel
// takes at once, and wait only for the rest. A TLS transport answers wait_readable() at once while
// it holds decrypted bytes, and reads and writes records in read_now()/write_now().
#pragma once

#include <cstddef>
#include <system_error>

#include <asio/awaitable.hpp>
#include <asio/generic/stream_protocol.hpp>
#include <asio/redirect_error.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

namespace ringleader::proxy {

class Transport {
 public:
  using Socket = asio::generic::stream_protocol::socket;
  using Endpoint = asio::generic::stream_protocol::endpoint;

  /// A connection accepted by a listener.
  explicit Transport(Socket socket) : socket_(std::move(socket)) {}
  /// Not connected yet: connect() opens it.
  explicit Transport(const Socket::executor_type& executor) : socket_(executor) {}

  struct ConnectOptions {
    bool keepalive = false;  // SO_KEEPALIVE (TCP only)
  };
  /// Connects to `to` and readies the connection for the proxy's loops: TCP_NODELAY (requests are
  /// batched already; Nagle would only add latency), non-blocking. Closed first if open.
  asio::awaitable<void> connect(const Endpoint& to, ConnectOptions options, std::error_code& ec);
  /// Readies an accepted connection: TCP_NODELAY (replies are gathered already), non-blocking.
  void start(std::error_code& ec);

  /// Waits until read_now() may find bytes, or the connection ends or is closed (ec).
  /// (Like write_all, it hands back the socket's own operation rather than being a coroutine: no
  /// second coroutine frame per read on the request path.)
  asio::awaitable<void> wait_readable(std::error_code& ec) {
    return socket_.async_wait(Socket::wait_read, asio::redirect_error(asio::use_awaitable, ec));
  }
  /// Reads what is there into `into` without waiting: asio::error::would_block if nothing is,
  /// asio::error::eof at the end.
  std::size_t read_now(asio::mutable_buffer into, std::error_code& ec) { return socket_.read_some(into, ec); }

  /// Writes what the connection takes now, without waiting; a full socket is not an error (0 or
  /// fewer bytes than given are written).
  template <class Buffers>
  std::size_t write_now(const Buffers& buffers, std::error_code& ec) {
    const std::size_t n = socket_.write_some(buffers, ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) {
      ec = {};
      return 0;
    }
    return n;
  }
  /// Writes all of `buffers`, waiting for the connection to take them; co_awaits to the bytes written.
  template <class Buffers>
  asio::awaitable<std::size_t> write_all(const Buffers& buffers, std::error_code& ec) {
    return asio::async_write(socket_, buffers, asio::redirect_error(asio::use_awaitable, ec));
  }

  /// Closes the connection; waits and writes in progress end with an error.
  void close() noexcept {
    std::error_code ignored;
    socket_.close(ignored);
  }
  Socket::executor_type executor() noexcept { return socket_.get_executor(); }

 private:
  Socket socket_;
};

}  // namespace ringleader::proxy
