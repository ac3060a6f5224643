// Server: `ringleader serve`. Runs every pool of a config on N worker threads until stopped.
//
// Thread per core: each worker has its own io_context, its own listening socket per pool (TCP
// listeners use SO_REUSEPORT, so the kernel spreads connections over the workers; a unix socket is
// shared by all workers through duplicated descriptors) and its own backend connections. Nothing on
// the request path is shared between threads but the immutable routing tables (route_table.hpp).
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <vector>

#include "proxy/config/config.hpp"
#include "proxy/ejection.hpp"
#include "proxy/health_check.hpp"
#include "proxy/route_table.hpp"
#include "proxy/stats/registry.hpp"

namespace ringleader::proxy {

class Server {
 public:
  /// Resolves every backend and opens every listener. Throws std::runtime_error with a message
  /// naming the pool and address when that fails (a port in use, an unknown host).
  Server(config::Config config, unsigned threads);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  /// Serves until SIGINT or SIGTERM (or stop()). SIGINT/SIGTERM shut down gracefully: the listeners
  /// close, requests already sent to servers get their replies (up to kDrainTimeout), then run()
  /// returns. SIGHUP re-reads the config file (reload()).
  void run();
  /// Re-reads config.file and validates it; a config that fails is logged and the old one keeps
  /// serving. Logs "config reloaded" on success.
  void reload();

  static constexpr std::chrono::seconds kDrainTimeout{5};
  /// Makes run() return; safe from any thread.
  void stop();

  /// The routing table of pool i (in config order), where a reload publishes a new Router.
  RouteTable& routes(std::size_t pool) { return *routes_[pool]; }
  /// Every counter of every worker (read by the stats and admin listeners).
  stats::Registry& stats() { return *stats_; }

 private:
  struct Worker;
  config::Config config_;
  std::vector<std::unique_ptr<RouteTable>> routes_;
  std::unique_ptr<stats::Registry> stats_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::atomic<bool> stopping_{false};
  /// Closes the listeners, waits (up to kDrainTimeout) until no request is with a server, then stop().
  void drain();

  std::vector<std::vector<asio::generic::stream_protocol::endpoint>> endpoints_;  // per pool
  std::vector<std::shared_ptr<PoolHealth>> health_;  // per pool, shared by its workers' backends
  std::unique_ptr<HealthChecker> checker_;           // last: its thread stops before the rest goes
};

}  // namespace ringleader::proxy
