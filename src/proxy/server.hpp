// Server: `ringleader serve`. Runs every pool of a config on N worker threads until stopped.
//
// Thread per core: each worker has its own io_context, its own listening socket per pool (TCP
// listeners use SO_REUSEPORT, so the kernel spreads connections over the workers; a unix socket is
// shared by all workers through duplicated descriptors) and its own backend connections. Nothing on
// the request path is shared between threads but the immutable routing tables (route_table.hpp).
//
// Membership is an input: a source (membership/: the config file on SIGHUP, etcd, DNS) hands new
// members to set_members(), or a whole config to set_config(). Names are resolved on the change
// thread (change_queue.hpp), then the change is planned and applied on run()'s thread, the one
// place that changes pools, so two changes never interleave.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include <asio/io_context.hpp>

#include "proxy/change_queue.hpp"
#include "proxy/config/config.hpp"
#include "proxy/ejection.hpp"
#include "proxy/health_check.hpp"
#include "proxy/pool_worker.hpp"
#include "proxy/resolve.hpp"
#include "proxy/route_table.hpp"
#include "proxy/stats/registry.hpp"

namespace ringleader::proxy {

class Server {
 public:
  static constexpr std::chrono::milliseconds kDefaultDrainTimeout{5000};

  /// Resolves every backend and opens every listener. Throws std::runtime_error with a message
  /// naming the pool and address when that fails (a port in use, an unknown host). `drain_timeout`:
  /// how long a graceful shutdown waits for the replies of requests already sent to servers.
  Server(config::Config config, unsigned threads, std::chrono::milliseconds drain_timeout = kDefaultDrainTimeout);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  /// Serves until SIGINT or SIGTERM (or stop()). SIGINT/SIGTERM shut down gracefully: the listeners
  /// close, requests already sent to servers get their replies (up to the drain timeout), then run()
  /// returns. SIGHUP reopens the log file and calls what on_reload() registered (the config file
  /// source re-reads the file); the other signals are nutcracker's (signals.hpp).
  void run();

  /// The one way to change a running pool's servers, for every membership source: makes `members`
  /// the servers of pool `pool`. Safe from any thread; returns at once. The names are resolved on the
  /// change thread, then the change is applied on run()'s thread like a reload: connections to
  /// servers still in the pool (reached the same way) are kept, with their ejection state; new
  /// servers are connected; removed ones close once their replies are in; only the keys of the
  /// servers added or removed move; clients are never dropped. A name that does not resolve, an
  /// unknown pool, an empty list or two servers with the same name are logged ("membership change
  /// failed") and the old members keep serving. Updates of one pool that queue up while another
  /// resolves coalesce: the last one wins. The future: true once applied (which waits for run()),
  /// false if it failed or a later update replaced it; broken if the server is destroyed first.
  /// `members`: the pool's server lines in order; lines marked ` removed` keep their slots and get
  /// no connection (config::set_server_lines).
  std::future<bool> set_members(std::string pool, std::vector<config::Server> members);
  /// A whole config as a source read it (`read` runs on the change thread: it may read a file;
  /// `source` names it in the log). A config that fails validation, names a server that does not
  /// resolve or a listen address that is taken is logged ("config reload failed") and the old one
  /// keeps serving. Otherwise: each changed pool changes as set_members() says; a new pool starts
  /// listening; a removed pool stops listening and serves the clients it has until they leave. A
  /// running pool's listen address, protocol and backlog need a restart (logged). Logs "config
  /// reloaded" at the end. The future as for set_members().
  std::future<bool> set_config(std::string source, std::function<config::Config()> read);
  /// `reread` is called on SIGHUP, on run()'s thread: a source that re-reads something on SIGHUP
  /// registers here, before run(). It must return at once (set_config() does).
  void on_reload(std::function<void()> reread);

  /// How often freed memory is given back to the system (malloc_trim; see server.cpp).
  static constexpr std::chrono::seconds kTrimPeriod{2};
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
  /// set_members() and set_config() once resolved, on run()'s thread; false (logged) if they failed.
  bool apply_members(const std::string& pool, std::vector<config::Server> members, std::vector<config::Server> removed,
                     std::vector<Endpoint> endpoints);
  bool apply_config(const std::string& source, const config::Config& fresh, const std::vector<ResolvedPool>& resolved);
  /// What applying `fresh` (whose names are `resolved`, pool by pool) changes, into `plan`; throws
  /// (with `plan` holding what it opened) if `fresh` cannot be applied.
  void plan_reload(const config::Config& fresh, const std::vector<ResolvedPool>& resolved, ReloadPlan& plan);
  /// A pool a reload left as it was reads its TLS files again (renewed certificates); if they fail,
  /// it keeps those it had, and says why in the log.
  void reread_certificates(const RunningPool& pool, const std::string& file);
  /// Applies a plan; cannot fail.
  void apply(ReloadPlan& plan);
  /// Every worker's listener for `pool` (throws like the constructor).
  std::vector<Acceptor> open_listeners(const config::Pool& pool, const ResolvedPool& resolved);
  /// Starts serving a pool on every worker; `running`: the workers' threads run already.
  void add_pool(std::shared_ptr<const PoolLayout> layout, std::vector<Acceptor> listeners, bool running);
  /// Closes the listeners, waits (up to drain_timeout_) until no request is with a server, then stop().
  void drain();

  std::chrono::milliseconds drain_timeout_;
  std::unique_ptr<stats::Registry> stats_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<std::unique_ptr<RunningPool>> pools_;  // by index; a removed pool stays for its clients
  std::atomic<bool> stopping_{false};
  std::vector<std::function<void()>> on_reload_;
  asio::io_context control_{1};  // run()'s thread: signals, memory trimming, membership changes applied
  std::unique_ptr<HealthChecker> checker_;
  ChangeQueue changes_;  // last: its thread, which posts to control_, stops before the rest goes
};

}  // namespace ringleader::proxy
