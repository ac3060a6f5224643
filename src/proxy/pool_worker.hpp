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

  /// The pool's settings as of the last request routed.
  const config::Pool& pool() const noexcept override { return layout_->pool; }
  /// The server of each key of one request, into `servers` (backend() indices); false if no server
  /// is live. Not for a pool with replicas: copies() places its keys. After a reload, first makes
  /// backend() match the new pool. With the pool's bounded_load, counts this worker's requests in
  /// flight per server.
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
  /// Where a request to `server` goes (each protocol's connection policy: one shared connection per
  /// server, or a free one per request: Protocol::connection_per_request).
  Backend& backend(std::uint32_t server) {
    Backend& shared = *backends_[server];
    return protocol_->connection_per_request() ? shared.free_connection() : shared;
  }
  Connection& connection(std::uint32_t server) override { return backend(server); }
  /// A connection of its own to `server` for one streamed request (Backend::another_connection);
  /// busy() counts it until it closes, so a graceful shutdown waits for its reply too.
  std::shared_ptr<Backend> own_connection(std::uint32_t server);
  /// A warm-up is on (route/warm_up.hpp): deletes of moved keys go to their previous owner too, and their
  /// writes are noted in recent_writes().
  bool warming() const noexcept override { return warm_.before != nullptr; }
  /// ...and misses of moved keys are asked of their previous owner (over at warmup_ms; the rest
  /// goes on for RecentWrites::kHoldOff more, for the reads still out).
  bool warm_reads() const noexcept override { return warm_.reads; }
  /// While warming(): the server that held `key` before the change (or before its owner began
  /// draining), if not `server`, its owner now; else null.
  std::shared_ptr<Connection> previous_owner(std::string_view key, std::uint32_t server) override;
  RecentWrites& recent_writes() const noexcept override { return routes_table_.recent_writes; }
  /// Picks up a reload now rather than at the next request, so a worker without traffic also
  /// connects to new servers and lets go of removed ones.
  void refresh() { router(); }

  /// Closes the listening socket (graceful shutdown); sessions already accepted go on.
  void stop_accepting();
  /// True while a request waits to be written to or answered by a server.
  bool busy() const noexcept;
  stats::PoolCounters& counters() noexcept override { return counters_; }

 private:
  asio::awaitable<void> accept_loop();
  /// Serves a client just accepted (or closes it at client_connections).
  void start_session(Socket socket);
  /// The router for the next request, after adopting a reloaded pool.
  const Placement& router();
  /// Makes backends_ match `routes`: the backend of every server still reached the same way is kept
  /// (with its connection), new servers get new backends, the others are retired.
  void adopt(const Routes& routes);
  /// After adopt(): starts the warm-up of a change from `before` (whose servers `previous` reached)
  /// if the pool wants one, or the one of a draining server.
  void start_warm_up(const PoolLayout* before, const std::vector<std::shared_ptr<Backend>>& previous);
  struct WarmUp {
    std::unique_ptr<const Placement> before;          // where keys were; null: no warm-up
    std::vector<std::shared_ptr<Backend>> backends;  // backends[i] reaches before's server i
    bool reads = false;                               // misses go to the previous owner
    std::vector<bool> receives;                       // by server now: keys may have moved to it
  };
  /// Ends the warm-up; returns it (its backends no longer in the pool are to be retired).
  WarmUp end_warm_up();
  /// Retires each of `backends` that neither the pool nor its warm-up uses.
  void retire_unused(const std::vector<std::shared_ptr<Backend>>& backends);
  /// warmup_ms is over: reads stop; kHoldOff later, the rest.
  void on_warm_up_timer();
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
  const Protocol* protocol_ = nullptr;               // layout_->pool's: serves the clients accepted
  std::vector<std::shared_ptr<Backend>> backends_;  // backends_[i] reaches layout_->pool.servers[i]
  std::vector<std::weak_ptr<Backend>> others_;       // removed by a reload, or one stream's own:
                                                     // maybe still answering
  std::vector<std::uint64_t> loads_;                 // for bounded_load: requests in flight per server
  bool started_ = false;
  Acceptor acceptor_;
  WarmUp warm_;
  asio::steady_timer warm_timer_;
  std::uint64_t warm_ups_ = 0;  // warm-ups started: a timer of an earlier one that fires late does nothing

  static constexpr std::size_t kAcceptBatch = 64;  // connections accepted per pass of the event loop
};

}  // namespace ringleader::proxy
