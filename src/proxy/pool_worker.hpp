// PoolWorker: one pool as seen by one worker thread: its listening socket (listener.hpp), its view of
// the pool's routing table, and its own connections to the pool's servers (pool_backends.hpp). It is
// the route layer's RouteContext: where a request's keys go, and on which connection.
//
// The pool's protocol (protocols.hpp) serves each client accepted. Sessions accepted here run on
// this worker's io_context and use only this worker's backends, so
// nothing on the request path is shared between threads except the immutable routing table.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include <asio/io_context.hpp>

#include "proxy/backend.hpp"
#include "proxy/config/config.hpp"
#include "proxy/listener.hpp"
#include "proxy/pool_backends.hpp"
#include "proxy/protocol.hpp"
#include "proxy/route/context.hpp"
#include "proxy/route_table.hpp"
#include "proxy/stats/registry.hpp"

namespace ringleader::proxy {

class PoolWorker final : public RouteContext {
 public:
  /// This worker's side of pool `pool_index`, whose servers and settings `routes` holds (a reload
  /// publishes new ones there). `acceptor` already listens. This worker counts into
  /// `registry.pool(pool_index).worker(worker)`.
  PoolWorker(asio::io_context& io, const RouteTable& routes, Acceptor acceptor, stats::Registry& registry,
             unsigned worker, std::size_t pool_index);

  void start();

  /// The pool's settings, of the layout adopted.
  const config::Pool& pool() const noexcept override { return layout_->pool; }
  /// The server of each key of one request, into `servers` (backend() indices); false if no server
  /// is live. Not for a pool with replicas: copies() places its keys. With the pool's bounded_load,
  /// counts this worker's requests in flight per server.
  bool route(std::span<const std::string_view> keys, std::vector<std::uint32_t>& servers) override;
  /// The pool keeps more than one copy of each key (route/replicas.hpp).
  bool replicated() const noexcept { return layout_->pool.replicas > 1; }
  /// Where the pool's copies of `key` are, first live copy first (Placement::servers_for);
  /// copies.count is 0 if no server is live.
  /// `wanted`: that many servers of the probe order instead (an http request's retries).
  void copies(std::string_view key, Copies& copies, std::size_t wanted = 0) override;
  /// The layout backend() indices refer to (a reload replaces it).
  const std::shared_ptr<const PoolLayout>& layout() const noexcept override { return layout_; }
  const Protocol& protocol() const noexcept override { return *protocol_; }
  /// Where a request to `server` from a client speaking `dialect` goes (each protocol's connection
  /// policy: one shared connection per server and dialect, or a free one per request: ConnectionPolicy).
  Connection& connection(std::uint32_t server, Dialect dialect) override {
    Backend& shared = backends_[server].in_dialect(dialect);
    if (protocol_->connection_policy() == ConnectionPolicy::per_request) return shared.free_connection();
    return shared;
  }
  /// A connection of its own to `server` for one streamed request (Backend::another_connection);
  /// busy() counts it until it closes, so a graceful shutdown waits for its reply too.
  std::shared_ptr<Backend> own_connection(std::uint32_t server, Dialect dialect) {
    return backends_.own_connection(server, dialect);
  }
  /// A connection of one client's own to `server` in `dialect`, for its transaction, blocking command
  /// or subscription (redis/pinned.hpp, redis/subscriber.hpp), counted against the pool's
  /// redis_pinned_connections on this worker; null past it. busy() does not wait for it.
  std::shared_ptr<Backend> pinned_connection(std::uint32_t server, Dialect dialect) {
    return backends_.pinned_connection(server, dialect, pool().redis_pinned_connections);
  }
  /// A warm-up is on (route/warm_up.hpp): deletes of moved keys go to their previous owner too, and their
  /// writes are noted in recent_writes().
  bool warming() const noexcept override { return backends_.warm_up().open(); }
  /// ...and misses of moved keys are asked of their previous owner (over at warmup_ms; the rest
  /// goes on for RecentWrites::kHoldOff more, for the reads still out).
  bool warm_reads() const noexcept override { return backends_.warm_up().reads(); }
  /// While warming(): the server that held `key` before the change (or before its owner began
  /// draining), if not `server`, its owner now; else null.
  std::shared_ptr<Connection> previous_owner(std::string_view key, std::uint32_t server) override {
    return backends_.previous_owner(key, server);
  }
  RecentWrites& recent_writes() const noexcept override { return routes_table_.recent_writes; }
  /// Adopts the pool's new layout (after a reload or a membership change, which the server posts
  /// here once published): connects to new servers and lets go of removed ones.
  void refresh();
  /// Calls `changed` after each new layout is adopted, for as long as the handle returned is kept:
  /// a subscriber's connections of its own were placed by the layout before (redis/subscriber.hpp).
  [[nodiscard]] std::shared_ptr<void> on_new_layout(std::function<void()> changed);

  /// Closes the listening socket (graceful shutdown); sessions already accepted go on.
  void stop_accepting() { listener_.close(); }
  /// True while a request waits to be written to or answered by a server.
  bool busy() const noexcept { return backends_.busy(); }
  stats::PoolCounters& counters() noexcept override { return counters_; }

 private:
  /// The placement for the next request: the latest of the layout adopted.
  const Placement& router();
  void adopt(const Routes& routes);

  stats::PoolCounters& counters_;
  const RouteTable& routes_table_;
  RouterView routes_;
  std::shared_ptr<const PoolLayout> layout_;
  std::shared_ptr<const Placement> placement_;  // of layout_: the latest published
  const Protocol* protocol_ = nullptr;          // layout_->pool's: serves the clients accepted
  std::vector<std::uint64_t> loads_;            // for bounded_load: requests in flight per server
  PoolBackends backends_;                       // backends_[i] reaches layout_->pool.servers[i]
  std::vector<std::weak_ptr<std::function<void()>>> layout_watchers_;  // on_new_layout()'s
  Listener listener_;
};

}  // namespace ringleader::proxy
