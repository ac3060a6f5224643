// PoolWorker: one pool as seen by one worker thread: its listening socket, its view of the pool's
// routing table, and its own connection to every server of the pool.
//
// Sessions accepted here run on this worker's io_context and use only this worker's backends, so
// nothing on the request path is shared between threads except the immutable routing table.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include <asio/awaitable.hpp>
#include <asio/generic/stream_protocol.hpp>
#include <asio/basic_socket_acceptor.hpp>
#include <asio/io_context.hpp>

#include "proxy/backend.hpp"
#include "proxy/config/config.hpp"
#include "proxy/ejection.hpp"
#include "proxy/route_table.hpp"
#include "proxy/stats/registry.hpp"

namespace ringleader::proxy {

using Acceptor = asio::basic_socket_acceptor<asio::generic::stream_protocol>;

class PoolWorker {
 public:
  /// `endpoints[i]` is where pool.servers[i] is reached; `acceptor` already listens. This worker
  /// counts into `registry.pool(worker, pool_index)`.
  PoolWorker(asio::io_context& io, const config::Pool& pool, const RouteTable& routes,
             const std::vector<asio::generic::stream_protocol::endpoint>& endpoints, Acceptor acceptor,
             stats::Registry& registry, unsigned worker, std::size_t pool_index);

  void start();

  const config::Pool& pool() const noexcept { return pool_; }
  const config::Router& router() { return router_.get(); }
  Backend& backend(std::uint32_t server) { return *backends_[server]; }

  /// Every backend reports its failures and good replies to `health` (ejection.hpp).
  void report_to(const std::shared_ptr<PoolHealth>& health);
  /// Closes the listening socket (graceful shutdown); sessions already accepted go on.
  void stop_accepting();
  /// True while a request waits to be written to or answered by a server.
  bool busy() const noexcept;
  stats::PoolCounters& counters() noexcept { return counters_; }

 private:
  asio::awaitable<void> accept_loop();

  asio::io_context& io_;
  const config::Pool& pool_;
  stats::Registry& registry_;
  std::size_t pool_index_;
  stats::PoolCounters& counters_;
  RouterView router_;
  std::vector<std::unique_ptr<Backend>> backends_;
  Acceptor acceptor_;
};

}  // namespace ringleader::proxy
