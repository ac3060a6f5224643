// Registry; see registry.hpp.
#include "proxy/stats/registry.hpp"

namespace ringleader::proxy::stats {

Registry::Registry(const config::Config& config, unsigned workers)
    : config_(config), workers_(workers), pools_(config.pools.size()) {
  for (unsigned w = 0; w < workers; ++w) {
    for (const auto& pool : config.pools) counters_.push_back(std::make_unique<PoolCounters>(pool.servers.size()));
  }
}

std::uint64_t Registry::clients(std::size_t pool) const {
  return sum(pool, [](const PoolCounters& c) { return c.client_connections.get(); });
}

std::string server_label(const config::Server& server) { return server.name.empty() ? server.address() : server.name; }

}  // namespace ringleader::proxy::stats
