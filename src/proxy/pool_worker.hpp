// PoolWorker: one pool as seen by one worker thread: its listening socket, its view of the pool's
// routing table, and its own connection to every server of the pool.
//
// The pool's protocol (protocols.hpp) serves each client accepted. Sessions accepted here run on
// this worker's io_context and use only this worker's backends, so
// nothing on the request path is shared between threads except the immutable routing table.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include <asio/awaitable.hpp>
#include <asio/generic/stream_protocol.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>

#include "proxy/backend.hpp"
#include "proxy/client_session.hpp"
#include "proxy/config/config.hpp"
#include "proxy/ejection.hpp"
#include "proxy/listen_socket.hpp"
#include "proxy/protocol.hpp"
#include "proxy/route/context.hpp"
#include "proxy/route/warm_up_window.hpp"
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
    Backend& shared = backends_[server]->in_dialect(dialect);
    if (protocol_->connection_policy() == ConnectionPolicy::per_request) return shared.free_connection();
    return shared;
  }
  /// A connection of its own to `server` for one streamed request (Backend::another_connection);
  /// busy() counts it until it closes, so a graceful shutdown waits for its reply too.
  std::shared_ptr<Backend> own_connection(std::uint32_t server, Dialect dialect);
  /// A connection of one client's own to `server` in `dialect`, for its transaction, blocking command
  /// or subscription (redis/pinned.hpp, redis/subscriber.hpp), counted against the pool's
  /// redis_pinned_connections on this worker; null past it. busy() does not wait for it.
  std::shared_ptr<Backend> pinned_connection(std::uint32_t server, Dialect dialect);
  /// A warm-up is on (route/warm_up.hpp): deletes of moved keys go to their previous owner too, and their
  /// writes are noted in recent_writes().
  bool warming() const noexcept override { return warm_.open(); }
  /// ...and misses of moved keys are asked of their previous owner (over at warmup_ms; the rest
  /// goes on for RecentWrites::kHoldOff more, for the reads still out).
  bool warm_reads() const noexcept override { return warm_.reads(); }
  /// While warming(): the server that held `key` before the change (or before its owner began
  /// draining), if not `server`, its owner now; else null.
  std::shared_ptr<Connection> previous_owner(std::string_view key, std::uint32_t server) override;
  RecentWrites& recent_writes() const noexcept override { return routes_table_.recent_writes; }
  /// Adopts the pool's new layout (after a reload or a membership change, which the server posts
  /// here once published): connects to new servers and lets go of removed ones.
  void refresh();

  /// Closes the listening socket (graceful shutdown); sessions already accepted go on.
  void stop_accepting();
  /// True while a request waits to be written to or answered by a server.
  bool busy() const noexcept;
  stats::PoolCounters& counters() noexcept override { return counters_; }

 private:
  asio::awaitable<void> accept_loop();
  /// Serves a client just accepted (or closes it at client_connections).
  void start_session(Socket socket);
  /// The placement for the next request: the latest of the layout adopted.
  const Placement& router();
  /// Makes backends_ match `routes`: the backend of every server still reached the same way is kept
  /// (with its connection), new servers get new backends, the others are retired.
  void adopt(const Routes& routes);
  /// Retires each of `backends` that neither the pool nor its warm-up uses.
  void retire_unused(const std::vector<std::shared_ptr<Backend>>& backends);
  /// Retires `backend` (a reload removed it): it closes once its replies are in.
  void retire(const std::shared_ptr<Backend>& backend);

  asio::io_context& io_;
  stats::Registry& registry_;
  unsigned worker_;
  std::size_t pool_index_;
  stats::PoolStats& stats_;
  stats::PoolCounters& counters_;
  const RouteTable& routes_table_;
  RouterView routes_;
  std::shared_ptr<const PoolLayout> layout_;
  std::shared_ptr<const Placement> placement_;       // of layout_: the latest published
  const Protocol* protocol_ = nullptr;               // layout_->pool's: serves the clients accepted
  std::vector<std::shared_ptr<Backend>> backends_;  // backends_[i] reaches layout_->pool.servers[i]
  std::vector<std::weak_ptr<Backend>> others_;       // removed by a reload, or one stream's own:
                                                     // maybe still answering
  std::vector<std::uint64_t> loads_;                 // for bounded_load: requests in flight per server
  std::vector<std::weak_ptr<Backend>> pinned_;       // pinned_connection()'s, maybe still open
  bool started_ = false;
  Acceptor acceptor_;
  WarmUpWindow warm_;  // after a change (route/warm_up_window.hpp)

  static constexpr std::size_t kAcceptBatch = 64;  // connections accepted per pass of the event loop
};

}  // namespace ringleader::proxy
