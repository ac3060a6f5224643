// Registry; see registry.hpp.
#include "proxy/stats/registry.hpp"

namespace ringleader::proxy::stats {

PoolStats::PoolStats(std::string name, unsigned workers) : name_(std::move(name)) {
  for (unsigned w = 0; w < workers; ++w) workers_.push_back(std::make_unique<PoolCounters>());
}

std::size_t Registry::add_pool(const config::Pool& pool) {
  {
    std::lock_guard lock(mutex_);
    pools_.push_back(std::make_unique<PoolStats>(pool.name, workers_));
  }
  const std::size_t index = pools_.size() - 1;  // only the reloading thread adds
  update(index, pool);
  return index;
}

void Registry::remove_pool(std::size_t pool) {
  std::lock_guard lock(mutex_);
  pools_[pool]->removed_ = true;
}

PoolStats& Registry::pool(std::size_t pool) {
  std::lock_guard lock(mutex_);
  return *pools_[pool];
}

SourceStatus& Registry::source(const std::string& pool, SourceStatus::Kind kind) {
  std::lock_guard lock(mutex_);
  auto& slot = sources_[pool];
  if (!slot) {
    slot = std::make_unique<SourceStatus>();
    slot->kind = kind;
  }
  return *slot;
}

ServerCounters* Registry::counters_of(PoolStats& pool, const std::string& label) {
  auto& slot = pool.servers_[label];
  if (!slot) slot = std::make_unique<ServerCounters[]>(workers_);
  return slot.get();
}

ServerCounters& Registry::server(unsigned worker, std::size_t pool, const config::Server& server) {
  std::lock_guard lock(mutex_);
  return counters_of(*pools_[pool], server_label(server))[worker];
}

void Registry::update(std::size_t pool, const config::Pool& changed) {
  std::lock_guard lock(mutex_);
  PoolStats& stats = *pools_[pool];
  stats.labels_.clear();
  for (const auto& server : changed.servers) {
    stats.labels_.push_back(server_label(server));
    counters_of(stats, stats.labels_.back());
  }
}

std::vector<const PoolStats*> Registry::shown() const {
  std::vector<const PoolStats*> out;
  for (const auto& pool : pools_) {
    if (!pool->removed_) out.push_back(pool.get());
  }
  return out;
}

std::string server_label(const config::Server& server) { return server.name.empty() ? server.address() : server.name; }

}  // namespace ringleader::proxy::stats
