// Transport: what carries one connection's bytes: TCP or a unix socket, with or without TLS
// (tls.hpp). Client sessions and backends move bytes only through it, so no protocol or route code
// knows how its bytes travel, or whether they are encrypted.
//
// The interface keeps the shape the proxy's loops already use, because it is the cheap one: wait
// until bytes can be read, then read what is there without waiting (an idle connection holds no
// read buffer, and a read is never tried on a socket with nothing to read); write what the kernel
// takes at once, and wait only for the rest. A TLS transport answers wait_readable() at once while
// it holds decrypted bytes, and reads and writes records in read_now()/write_now().
#pragma once

#include <cstddef>
#include <string>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

#include <asio/awaitable.hpp>
#include <asio/generic/stream_protocol.hpp>
#include <asio/post.hpp>
#include <asio/redirect_error.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include "proxy/transport/tls.hpp"

namespace ringleader::proxy {

class Transport {
 public:
  using Socket = asio::generic::stream_protocol::socket;
  using Endpoint = asio::generic::stream_protocol::endpoint;

  /// A connection accepted by a listener, non-blocking already (Listener::accept_one).
  explicit Transport(Socket socket) : socket_(std::move(socket)), read_first_(true) {}
  /// Not connected yet: connect() opens it.
  explicit Transport(const Socket::executor_type& executor) : socket_(executor) {}

  struct ConnectOptions {
    bool keepalive = false;  // SO_KEEPALIVE (TCP only)
  };
  /// Connects to `to` and readies the connection for the proxy's loops: TCP_NODELAY (requests are
  /// batched already; Nagle would only add latency), non-blocking (as Asio's connect leaves it).
  /// Closed first if open.
  asio::awaitable<void> connect(const Endpoint& to, ConnectOptions options, std::error_code& ec);

  /// Encrypts the connection as `context` says, from handshake() on: once accepted, or after
  /// connect() (a reconnect needs it again). To a server: `peer` is its host, whose name is sent and
  /// checked, and `server` names it for resuming TLS sessions (tls::Session).
  void use_tls(const tls::Context& context, const std::string& peer = {}, const std::string& server = {}) {
    tls_ = tls::Session(context, socket_.native_handle(), peer, server);
  }
  /// The last handshake resumed a session.
  bool resumed() const noexcept { return tls_ && tls_.resumed(); }
  bool encrypted() const noexcept { return static_cast<bool>(tls_); }
  /// The TLS handshake (nothing without use_tls()); ec says why it failed. close() ends it.
  asio::awaitable<void> handshake(std::error_code& ec);

  /// True once, for an accepted connection: read_now() before any wait_readable(). A client
  /// usually sends its first request as soon as it has connected, so it is there by the time the
  /// connection is accepted, and the wait (an epoll_ctl) would only cost a system call.
  bool read_first() noexcept { return std::exchange(read_first_, false); }

  /// Waits until read_now() may find bytes, or the connection ends or is closed (ec).
  /// (Like write_all, it hands back the socket's own operation rather than being a coroutine: no
  /// second coroutine frame per read on the request path.)
  asio::awaitable<void> wait_readable(std::error_code& ec) {
    if (tls_ && tls_.pending()) {  // decrypted already: the socket may have nothing more
      ec = {};
      return asio::post(socket_.get_executor(), asio::use_awaitable);
    }
    return socket_.async_wait(Socket::wait_read, asio::redirect_error(asio::use_awaitable, ec));
  }
  /// Reads what is there into `into` without waiting: asio::error::would_block if nothing is,
  /// asio::error::eof at the end.
  std::size_t read_now(asio::mutable_buffer into, std::error_code& ec) {
    return tls_ ? tls_.read(into, ec) : receive(into, ec);
  }

  /// Writes what the connection takes now, without waiting; a full socket is not an error (0 or
  /// fewer bytes than given are written).
  template <class Buffers>
  std::size_t write_now(const Buffers& buffers, std::error_code& ec) {
    if constexpr (std::is_convertible_v<Buffers, asio::const_buffer>) {
      const asio::const_buffer one(buffers);
      return write_now(&one, 1, ec);
    } else {
      return write_now(buffers.data(), buffers.size(), ec);
    }
  }
  /// Writes all of `buffers`, waiting for the connection to take them; co_awaits to the bytes written.
  template <class Buffers>
  asio::awaitable<std::size_t> write_all(const Buffers& buffers, std::error_code& ec) {
    if (tls_) {
      if constexpr (std::is_convertible_v<Buffers, asio::const_buffer>) {
        return write_all_tls({asio::const_buffer(buffers)}, ec);
      } else {
        return write_all_tls(std::vector<asio::const_buffer>(buffers.begin(), buffers.end()), ec);
      }
    }
    return asio::async_write(socket_, buffers, asio::redirect_error(asio::use_awaitable, ec));
  }

  /// Closes the connection (after TLS's close_notify, if the socket takes it at once); waits and
  /// writes in progress end with an error.
  void close() noexcept {
    tls_.shut_down();
    tls_ = {};  // before the descriptor closes: its number may be another connection's next
    std::error_code ignored;
    socket_.close(ignored);
  }
  Socket::executor_type executor() noexcept { return socket_.get_executor(); }

 private:
  asio::awaitable<std::size_t> write_all_tls(std::vector<asio::const_buffer> buffers, std::error_code& ec);
  // The socket's own recv and sendmsg, not Asio's read_some and write_some: those wait (poll) on
  // an empty or full socket unless Asio was told it is non-blocking, which costs an ioctl for a
  // connection to a server (Asio's connect makes it non-blocking without saying so).
  std::size_t receive(asio::mutable_buffer into, std::error_code& ec);
  std::size_t write_now(const asio::const_buffer* buffers, std::size_t count, std::error_code& ec);

  Socket socket_;
  tls::Session tls_;  // empty: plaintext
  bool read_first_ = false;
};

}  // namespace ringleader::proxy
