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
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/config/config.hpp"
#include "proxy/stats/counters.hpp"

namespace ringleader::proxy::stats {

class Registry {
 public:
  /// `config` must outlive the registry (the Server owns both).
  Registry(const config::Config& config, unsigned workers);

  PoolCounters& pool(unsigned worker, std::size_t pool) { return *counters_[worker * pools_ + pool]; }
  /// Clients connected to pool `pool` now, over every worker (for client_connections).
  std::uint64_t clients(std::size_t pool) const;

  std::string twemproxy_json(std::string_view source) const;
  std::string prometheus() const;

 private:
  /// Sum of `field` of pool `pool` over every worker.
  template <typename Field>
  std::uint64_t sum(std::size_t pool, Field field) const {
    std::uint64_t total = 0;
    for (unsigned w = 0; w < workers_; ++w) total += field(*counters_[w * pools_ + pool]);
    return total;
  }

  const config::Config& config_;
  unsigned workers_;
  std::size_t pools_;
  std::vector<std::unique_ptr<PoolCounters>> counters_;  // [worker * pools_ + pool]
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
};

/// The key of a server in the stats: its name if it has one, else "host:port" (nutcracker's rule).
std::string server_label(const config::Server& server);

}  // namespace ringleader::proxy::stats
