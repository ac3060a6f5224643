// Registry: every counter of a running proxy (counters.hpp), one PoolCounters per worker thread per
// pool (PoolStats), and the two ways to read them summed over the workers:
//
// - twemproxy_json(): the document nutcracker writes on its stats port, with nutcracker's field
//   names and layout (service, source, version, uptime, timestamp, total_connections,
//   curr_connections, then one object per pool holding one object per server, keyed by the server's
//   name, else host:port). Numbers are live, not aggregated every `-i` milliseconds as in nutcracker.
// - prometheus(): text exposition format 0.0.4 (HELP and TYPE lines, one histogram of round-trip
//   times per pool and per server).
#pragma once

#include <chrono>
#include <functional>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/config/config.hpp"
#include "proxy/stats/counters.hpp"
#include "proxy/stats/source_status.hpp"

namespace ringleader::proxy::stats {

/// Everything counted for one pool: one PoolCounters per worker thread, and its servers' counters.
class PoolStats {
 public:
  PoolStats(std::string name, unsigned workers);

  const std::string& name() const noexcept { return name_; }
  PoolCounters& worker(unsigned worker) { return *workers_[worker]; }
  /// Clients connected now, over every worker (for client_connections). Takes no lock.
  std::uint64_t clients() const { return sum([](const PoolCounters& c) { return c.client_connections.get(); }); }

  /// Sum of `field` over every worker.
  template <typename Field>
  std::uint64_t sum(Field field) const {
    std::uint64_t total = 0;
    for (const auto& counters : workers_) total += field(*counters);
    return total;
  }

 private:
  friend class Registry;  // the server lists, under its mutex
  std::string name_;
  std::vector<std::unique_ptr<PoolCounters>> workers_;
  bool removed_ = false;             // by a reload: no longer shown
  std::vector<std::string> labels_;  // its servers now, in config order (server_label())
  /// By label, one ServerCounters per worker. Never removed: a backend of a server a reload
  /// removed may still count its last replies, and a server added back continues its totals.
  std::map<std::string, std::unique_ptr<ServerCounters[]>, std::less<>> servers_;
};

class Registry {
 public:
  explicit Registry(unsigned workers) : workers_(workers) {}

  /// Counts a pool from now on (at start, or added by a reload); returns the index the other calls
  /// take. Pools are never erased, so indices and references stay valid.
  std::size_t add_pool(const config::Pool& pool);
  /// A reload removed pool `pool`: the stats stop showing it (its clients may go on counting).
  void remove_pool(std::size_t pool);
  /// A reload changed pool `pool`: the stats list `changed`'s servers from now on.
  void update(std::size_t pool, const config::Pool& changed);

  PoolStats& pool(std::size_t pool);
  /// The counters worker `worker` keeps for `server` of pool `pool`. A server keeps its counters
  /// over reloads (they are found by its stats label), so its totals do not restart when the pool
  /// changes. Takes a lock: call it when a backend is made, not per request.
  ServerCounters& server(unsigned worker, std::size_t pool, const config::Server& server);

  /// The status a membership source of `kind` keeps for pool `pool` (by name), made on first use:
  /// from then on the stats show it in that pool's entry. Never erased, so the reference stays valid.
  SourceStatus& source(const std::string& pool, SourceStatus::Kind kind);

  std::string twemproxy_json(std::string_view source) const;
  std::string prometheus() const;

 private:
  /// Sum of `field` of one server (its per-worker counters) over every worker.
  std::uint64_t sum(const ServerCounters* server, Counter ServerCounters::*field) const {
    std::uint64_t total = 0;
    for (unsigned w = 0; w < workers_; ++w) total += (server[w].*field).get();
    return total;
  }
  /// The per-worker counters of the server labelled `label`, made on first use. mutex_ held.
  ServerCounters* counters_of(PoolStats& pool, const std::string& label);
  /// The /metrics families of the pools' SourceStatus. mutex_ held.
  void source_metrics(std::string& out, const std::vector<const PoolStats*>& pools,
                      const std::function<std::string(const PoolStats&)>& pool_label) const;
  /// The pools the stats show (not removed). mutex_ held.
  std::vector<const PoolStats*> shown() const;

  unsigned workers_;
  mutable std::mutex mutex_;                       // pools_ and their server lists vs the readers
  std::vector<std::unique_ptr<PoolStats>> pools_;  // by index, removed ones included
  std::map<std::string, std::unique_ptr<SourceStatus>, std::less<>> sources_;  // by pool name
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
};

/// The key of a server in the stats: its name if it has one, else "host:port" (nutcracker's rule).
std::string server_label(const config::Server& server);

}  // namespace ringleader::proxy::stats
