// EtcdSource: one pool's members from etcd (docs/operations.md, "Fleet"). Every key under the pool's
// `etcd_prefix` holds one server line as in `servers:` ("host:port:weight [name]"), so an operator
// can use plain `etcdctl put`, and `ringleader register` keeps a line alive under a lease.
//
// Stable slots (docs/operations.md, "Stable slots in etcd"): the members are the keys in key order,
// and a line ending in ` removed` keeps its slot, as in a file. A key K may have a key K + "/live":
// while it exists its line stands in K's place. `ringleader register` claims a slot K in a
// transaction and writes the server's line marked removed to K (no lease: the slot outlives the
// server) and its live line to K/live under its lease; when the lease ends, K/live goes and the
// slot shows the server removed, so no proxy renumbers the others.
//
// On a thread of its own: reads the prefix, then watches it from the next revision. Each change
// (put, delete, lease expiry) becomes a new member list handed to `apply` (Server::set_members(): the
// same guarantees as a reload); changes that arrive within `etcd_settle_ms` of the first are applied
// as one. What it guarantees:
// - etcd unreachable or stopped (a watch is silent while nothing changes, so a quiet watch is
//   checked every `probe` with a short request): the pool keeps its members; the source logs, counts
//   the error, retries with backoff (and on the next endpoint), and resumes the watch from the last
//   revision it saw, so no change is lost. After a compaction took that revision away, it reads the
//   prefix again.
// - A membership smaller than `etcd_min_servers` is never applied (logged, counted, the old one kept).
// - A value that is not a server line is logged with its key and skipped; so is a second server with
//   the name of one already listed.
// - Destroying it is prompt: the thread's etcd calls are cancelled, whatever etcd does, then joined.
//
//   proxy::Server server(config, threads);
//   auto sources = membership::start_etcd_sources(server, config_pools);
//   server.run();
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "proxy/config/config.hpp"
#include "proxy/membership/applied_members.hpp"
#include "proxy/membership/etcd_client.hpp"
#include "proxy/server.hpp"
#include "proxy/stats/source_status.hpp"

namespace ringleader::proxy::membership {

class EtcdSource : private WatchHandler {
 public:
  /// Makes a member list the pool's; the future as for Server::set_members().
  using Apply = std::function<std::future<bool>(std::vector<config::Server>)>;
  struct Timing {
    std::chrono::milliseconds backoff_min{100};  // first wait after a failure, doubled up to max
    std::chrono::milliseconds backoff_max{5000};
    std::chrono::milliseconds probe{2000};  // a quiet watch checks etcd answers this often
  };

  /// Starts watching. `initial`: the members the pool serves now (its `servers:`).
  EtcdSource(std::string pool, config::Etcd settings, std::vector<config::Server> initial,
             std::unique_ptr<EtcdClient> client, Apply apply, stats::SourceStatus& status, Timing timing);
  EtcdSource(std::string pool, config::Etcd settings, std::vector<config::Server> initial,
             std::unique_ptr<EtcdClient> client, Apply apply, stats::SourceStatus& status)
      : EtcdSource(std::move(pool), std::move(settings), std::move(initial), std::move(client), std::move(apply), status,
                   Timing{}) {}
  /// Cancels the thread's etcd calls and joins it.
  ~EtcdSource() override;
  EtcdSource(const EtcdSource&) = delete;
  EtcdSource& operator=(const EtcdSource&) = delete;

  const std::string& pool() const noexcept { return pool_; }
  const config::Etcd& settings() const noexcept { return settings_; }
  /// The members last applied (at first, `initial`). Safe from any thread.
  std::vector<config::Server> members() const { return applied_->get(); }
  std::shared_ptr<const AppliedMembers> applied() const { return applied_; }

 private:
  void run();
  /// Reads the prefix and applies what it holds at once.
  void read_all();
  void apply_now();
  /// etcd answered: connected, and the next failure waits the shortest backoff again.
  void answered();
  bool stopping() const;
  void sleep(std::chrono::milliseconds how_long);

  bool on_batch(const WatchBatch& batch) override;
  std::chrono::milliseconds quiet_limit() override;
  bool on_quiet() override;

  using Clock = std::chrono::steady_clock;
  const std::string pool_;
  const config::Etcd settings_;
  const Timing timing_;
  const Apply apply_;
  stats::SourceStatus& status_;
  std::unique_ptr<EtcdClient> client_;

  // The thread's own state.
  std::map<std::string, std::string> values_;  // key -> server line, as etcd has them
  std::int64_t revision_ = 0;                  // of values_
  bool dirty_ = false;                         // values_ changed since last applied
  Clock::time_point settle_until_;             // when dirty_: apply then
  Clock::time_point last_heard_;               // from etcd
  std::chrono::milliseconds backoff_;          // the wait after the next failure
  std::map<std::string, std::string> bad_logged_;  // key -> bad value already logged

  const std::shared_ptr<AppliedMembers> applied_;
  mutable std::mutex mutex_;  // stopping_
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;  // last: starts once the rest exists
};

/// The server lines of `values` (key -> line) as members, in key order, K/live in K's place (the
/// file comment): bad lines and repeated names are logged (with `pool` and the key) and skipped.
/// Pure: used by the source and at start-up.
std::vector<config::Server> members_of(const std::string& pool, const std::map<std::string, std::string>& values,
                                       std::map<std::string, std::string>* bad_logged = nullptr);

/// The members of `pool` (which has `etcd:`) as etcd holds them now: for a pool whose `servers:` is
/// empty (the proxy needs some before it starts), and for `ringleader locate`. Throws
/// std::runtime_error naming the pool if etcd does not answer or holds fewer than etcd_min_servers.
std::vector<config::Server> read_members(const config::Pool& pool);

/// Reads `pool`'s etcd TLS files, as its etcd client will: a file that cannot be used throws
/// config::ConfigError naming `file`, the key's line and why (so `serve -t` finds it).
void check_tls_files(const config::Pool& pool, const std::string& file);

/// One EtcdSource for every pool of `pools` that has `etcd:`, feeding `server`.
std::vector<std::unique_ptr<EtcdSource>> start_etcd_sources(Server& server, const std::vector<config::Pool>& pools);

/// For the config file's reloads (FileSource::Adjust): a pool that `sources` feed keeps the members
/// etcd gave it, whatever the file's `servers:` says; changed etcd settings are logged as needing a
/// restart. Safe after the sources are gone.
std::function<void(config::Config&)> keep_etcd_members(const std::vector<std::unique_ptr<EtcdSource>>& sources);

}  // namespace ringleader::proxy::membership
