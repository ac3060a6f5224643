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
  /// Re-reads config.file. A config that fails validation (or names a server that does not resolve)
  /// is logged ("config reload failed") and the old one keeps serving. Otherwise each changed pool
  /// gets new routes, and each worker adopts them before it routes its next request: connections to
  /// servers still in the pool (reached the same way) are kept, new servers are connected, removed
  /// ones close once their replies are in; clients stay connected. A pool's listen address, protocol
  /// and backlog, and the set of pools, need a restart (logged). Logs "config reloaded" at the end.
  void reload();

  static constexpr std::chrono::seconds kDrainTimeout{5};
  /// Makes run() return; safe from any thread.
  void stop();

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

  std::vector<std::shared_ptr<PoolHealth>> health_;  // per pool, its current layout's
  std::unique_ptr<HealthChecker> checker_;           // last: its thread stops before the rest goes
};

}  // namespace ringleader::proxy
