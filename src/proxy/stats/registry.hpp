// Registry: every counter of a running proxy (counters.hpp), one PoolCounters per worker thread per
// pool, and the two ways to read them summed over the workers:
//
// - twemproxy_json(): the document nutcracker writes on its stats port, with nutcracker's field
//   names and layout (service, source, version, uptime, timestamp, total_connections,
//   curr_connections, then one object per pool holding one object per server, keyed by the server's
//   name, else host:port). Numbers are live, not aggregated every `-i` milliseconds as in nutcracker.
// - prometheus(): text exposition format 0.0.4 (HELP and TYPE lines, one histogram of round-trip
//   times per pool and per server).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/config/config.hpp"
#include "proxy/stats/counters.hpp"

namespace ringleader::proxy::stats {

class Registry {
 public:
  /// Sized for `config`'s pools; a reload may change a pool's servers (update()), not the pools.
  Registry(const config::Config& config, unsigned workers);

  PoolCounters& pool(unsigned worker, std::size_t pool) { return *counters_[worker * pools_ + pool]; }
  /// The counters worker `worker` keeps for `server` of pool `pool`. A server keeps its counters
  /// over reloads (they are found by its stats label), so its totals do not restart when the pool
  /// changes. Takes a lock: call it when a backend is made, not per request.
  ServerCounters& server(unsigned worker, std::size_t pool, const config::Server& server);
  /// A reload changed pool `pool`: the stats list `changed`'s servers from now on.
  void update(std::size_t pool, const config::Pool& changed);
  /// Clients connected to pool `pool` now, over every worker (for client_connections).
  std::uint64_t clients(std::size_t pool) const;

  std::string twemproxy_json(std::string_view source) const;
  std::string prometheus() const;

 private:
  /// The servers of one pool as the stats show them.
  struct PoolServers {
    std::string name;                  // the pool's
    std::vector<std::string> labels;   // its servers now, in config order (server_label())
    /// By label, one ServerCounters per worker. Never removed: a backend of a server a reload
    /// removed may still count its last replies, and a server added back continues its totals.
    std::map<std::string, std::unique_ptr<ServerCounters[]>, std::less<>> counters;
  };

  /// Sum of `field` of pool `pool` over every worker.
  template <typename Field>
  std::uint64_t sum(std::size_t pool, Field field) const {
    std::uint64_t total = 0;
    for (unsigned w = 0; w < workers_; ++w) total += field(*counters_[w * pools_ + pool]);
    return total;
  }
  /// Sum of `field` of one server (its per-worker counters) over every worker.
  std::uint64_t sum(const ServerCounters* server, Counter ServerCounters::*field) const {
    std::uint64_t total = 0;
    for (unsigned w = 0; w < workers_; ++w) total += (server[w].*field).get();
    return total;
  }
  /// The per-worker counters of the server labelled `label`, made on first use. mutex_ held.
  ServerCounters* counters_of(PoolServers& pool, const std::string& label);

  unsigned workers_;
  std::size_t pools_;
  std::vector<std::unique_ptr<PoolCounters>> counters_;  // [worker * pools_ + pool]
  mutable std::mutex mutex_;                             // servers_: reloads and backends made vs readers
  std::vector<PoolServers> servers_;                     // per pool
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
};

/// The key of a server in the stats: its name if it has one, else "host:port" (nutcracker's rule).
std::string server_label(const config::Server& server);

}  // namespace ringleader::proxy::stats
