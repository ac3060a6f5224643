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
#include "proxy/pool_worker.hpp"
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
  /// returns. SIGHUP reopens the log file and re-reads the config file (reload()); the other
  /// signals are nutcracker's (signals.hpp).
  void run();
  /// Re-reads config.file. A config that fails validation, names a server that does not resolve or
  /// a listen address that is taken is logged ("config reload failed") and the old one keeps serving.
  /// Otherwise: each changed pool gets new routes, which each worker adopts before it routes its next
  /// request (connections to servers still in the pool, reached the same way, are kept; new servers
  /// are connected; removed ones close once their replies are in); a new pool starts listening; a
  /// removed pool stops listening and serves the clients it has until they leave. Client connections
  /// are never dropped. A running pool's listen address, protocol and backlog need a restart (logged).
  /// Logs "config reloaded" at the end.
  void reload();

  static constexpr std::chrono::seconds kDrainTimeout{5};
  /// How often freed memory is given back to the system (malloc_trim; see server.cpp).
  static constexpr std::chrono::seconds kTrimPeriod{10};
  /// Makes run() return; safe from any thread.
  void stop();

  /// Every counter of every worker (read by the stats and admin listeners).
  stats::Registry& stats() { return *stats_; }

 private:
  struct Worker;
  struct RunningPool;
  struct ReloadPlan;
  /// The pool of that name that is not removed, or null.
  RunningPool* running(const std::string& name);
  /// What reloading `fresh` changes, into `plan`; throws (with `plan` holding what it opened) if
  /// `fresh` cannot be applied.
  void plan_reload(const config::Config& fresh, ReloadPlan& plan);
  /// Applies a plan; cannot fail.
  void apply(ReloadPlan& plan);
  /// Every worker's listener for `pool` (throws like the constructor).
  std::vector<Acceptor> open_listeners(const config::Pool& pool);
  /// Starts serving a pool on every worker; `running`: the workers' threads run already.
  void add_pool(std::shared_ptr<const PoolLayout> layout, std::vector<Acceptor> listeners, bool running);
  /// Closes the listeners, waits (up to kDrainTimeout) until no request is with a server, then stop().
  void drain();

  std::string file_;
  std::unique_ptr<stats::Registry> stats_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<std::unique_ptr<RunningPool>> pools_;  // by index; a removed pool stays for its clients
  std::atomic<bool> stopping_{false};
  std::unique_ptr<HealthChecker> checker_;  // last: its thread stops before the rest goes
};

}  // namespace ringleader::proxy
