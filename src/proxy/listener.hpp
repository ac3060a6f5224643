// Listener: a pool's listening socket on one worker thread. It accepts the clients waiting in
// batches, refuses them past the pool's client_connections (twemproxy's), and hands the others on.
#pragma once

#include <cstddef>
#include <functional>

#include <asio/awaitable.hpp>
#include <asio/io_context.hpp>

#include "proxy/listen_socket.hpp"
#include "proxy/protocol.hpp"
#include "proxy/stats/registry.hpp"

namespace ringleader::proxy {

class Listener {
 public:
  /// A client admitted, and its address (accept's: none of its own system call).
  using Serve = std::function<void(Socket, const Socket::endpoint_type& peer)>;

  /// `acceptor` already listens. The pool's settings are asked of `pool` at each client (a reload
  /// may change them); its clients are counted in `stats`, and this worker's refusals in `counters`.
  Listener(asio::io_context& io, Acceptor acceptor, std::function<const config::Pool&()> pool,
           stats::PoolStats& stats, stats::PoolCounters& counters);

  /// Accepts until close(), handing each client admitted to `serve`.
  void start(Serve serve);
  /// Closes the listening socket (graceful shutdown); clients already accepted go on.
  void close();

 private:
  asio::awaitable<void> accept_loop();
  /// Accepts one waiting client, non-blocking, and its address; ec (would_block: none waits).
  Socket accept_one(Socket::endpoint_type& peer, std::error_code& ec);
  void admit(Socket socket, const Socket::endpoint_type& peer);

  asio::io_context& io_;
  Acceptor acceptor_;
  std::function<const config::Pool&()> pool_;
  stats::PoolStats& stats_;
  stats::PoolCounters& counters_;
  Serve serve_;

  static constexpr std::size_t kAcceptBatch = 64;  // connections accepted per pass of the event loop
};

}  // namespace ringleader::proxy
