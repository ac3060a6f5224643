// Registry; see registry.hpp.
#include "proxy/stats/registry.hpp"

namespace ringleader::proxy::stats {

Registry::Registry(const config::Config& config, unsigned workers) : workers_(workers), pools_(config.pools.size()) {
  for (unsigned w = 0; w < workers; ++w) {
    for (std::size_t p = 0; p < pools_; ++p) counters_.push_back(std::make_unique<PoolCounters>());
  }
  servers_.resize(pools_);
  for (std::size_t p = 0; p < pools_; ++p) {
    servers_[p].name = config.pools[p].name;
    update(p, config.pools[p]);
  }
}

ServerCounters* Registry::counters_of(PoolServers& pool, const std::string& label) {
  auto& slot = pool.counters[label];
  if (!slot) slot = std::make_unique<ServerCounters[]>(workers_);
  return slot.get();
}

ServerCounters& Registry::server(unsigned worker, std::size_t pool, const config::Server& server) {
  std::lock_guard lock(mutex_);
  return counters_of(servers_[pool], server_label(server))[worker];
}

void Registry::update(std::size_t pool, const config::Pool& changed) {
  std::lock_guard lock(mutex_);
  PoolServers& servers = servers_[pool];
  servers.labels.clear();
  for (const auto& server : changed.servers) {
    servers.labels.push_back(server_label(server));
    counters_of(servers, servers.labels.back());
  }
}

std::uint64_t Registry::clients(std::size_t pool) const {
  return sum(pool, [](const PoolCounters& c) { return c.client_connections.get(); });
}

std::string server_label(const config::Server& server) { return server.name.empty() ? server.address() : server.name; }

}  // namespace ringleader::proxy::stats
