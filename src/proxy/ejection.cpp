// PoolHealth; see ejection.hpp.
#include "proxy/ejection.hpp"

#include <string>
#include <unordered_map>

#include "proxy/log.hpp"

namespace ringleader::proxy {

PoolHealth::PoolHealth(std::shared_ptr<const PoolLayout> layout, RouteTable& routes)
    : layout_(std::move(layout)), routes_(routes), servers_(std::make_unique<State[]>(layout_->pool.servers.size())) {}

std::shared_ptr<PoolHealth> PoolHealth::create(std::shared_ptr<const PoolLayout> layout, RouteTable& routes,
                                               const PoolHealth* previous) {
  std::shared_ptr<PoolHealth> health(new PoolHealth(std::move(layout), routes));
  const auto& servers = health->pool().servers;
  if (previous != nullptr) {
    std::unordered_map<std::string, std::size_t> before;  // address -> index in the old pool
    for (std::size_t j = 0; j < previous->pool().servers.size(); ++j)
      before.emplace(previous->pool().servers[j].address(), j);
    for (std::size_t i = 0; i < servers.size(); ++i) {
      const auto found = before.find(servers[i].address());
      if (found == before.end()) continue;
      const State& old = previous->servers_[found->second];
      State& now = health->servers_[i];
      now.failures.store(old.failures.load(std::memory_order_relaxed), std::memory_order_relaxed);
      now.retry_at.store(old.retry_at.load(std::memory_order_relaxed), std::memory_order_relaxed);
      // Ejection is only kept where the new pool ejects at all.
      now.ejected.store(old.ejected.load(std::memory_order_acquire) && health->pool().auto_eject_hosts,
                        std::memory_order_relaxed);
    }
  }
  std::lock_guard lock(health->mutex_);
  health->publish_live();
  return health;
}

void PoolHealth::failure(std::uint32_t server, std::string_view reason) {
  const config::Pool& pool = layout_->pool;
  State& state = servers_[server];
  const std::uint32_t failures = state.failures.fetch_add(1, std::memory_order_relaxed) + 1;
  if (!pool.auto_eject_hosts || failures < pool.server_failure_limit) return;
  std::lock_guard lock(mutex_);
  if (retired_ || state.ejected.load(std::memory_order_relaxed)) return;  // ejected by another thread already
  const auto retry_at = Clock::now() + std::chrono::milliseconds(pool.server_retry_timeout_ms);
  state.retry_at.store(retry_at.time_since_epoch().count(), std::memory_order_relaxed);
  state.ejected.store(true, std::memory_order_release);
  publish_live();
  log::warn("server ejected", {{"pool", pool.name},
                               {"server", pool.servers[server].address()},
                               {"failures", std::to_string(failures)},
                               {"retry_ms", std::to_string(pool.server_retry_timeout_ms)},
                               {"reason", std::string(reason)}});
}

std::vector<std::uint32_t> PoolHealth::due_for_check(Clock::time_point now) const {
  std::vector<std::uint32_t> due;
  for (std::uint32_t i = 0; i < pool().servers.size(); ++i) {
    const State& state = servers_[i];
    if (state.ejected.load(std::memory_order_acquire) &&
        state.retry_at.load(std::memory_order_relaxed) <= now.time_since_epoch().count())
      due.push_back(i);
  }
  return due;
}

void PoolHealth::restore(std::uint32_t server) {
  std::lock_guard lock(mutex_);
  if (retired_) return;
  State& state = servers_[server];
  state.failures.store(0, std::memory_order_relaxed);
  state.ejected.store(false, std::memory_order_release);
  publish_live();
  log::info("server returned", {{"pool", pool().name}, {"server", pool().servers[server].address()}});
}

void PoolHealth::check_failed(std::uint32_t server, std::string_view reason) {
  const auto retry_at = Clock::now() + std::chrono::milliseconds(pool().server_retry_timeout_ms);
  servers_[server].retry_at.store(retry_at.time_since_epoch().count(), std::memory_order_relaxed);
  log::info("health check failed", {{"pool", pool().name},
                                    {"server", pool().servers[server].address()},
                                    {"reason", std::string(reason)}});
}

void PoolHealth::retire() {
  std::lock_guard lock(mutex_);
  retired_ = true;
}

void PoolHealth::publish_live() {
  const std::size_t count = pool().servers.size();
  const auto live = std::make_unique<bool[]>(count);  // not vector<bool>: make_placement takes a span
  // A draining server takes no traffic of its own: its keys are placed as if it had left.
  for (std::size_t i = 0; i < count; ++i)
    live[i] = !servers_[i].ejected.load(std::memory_order_relaxed) && !pool().servers[i].draining;
  auto placement = config::make_placement(pool(), std::span<const bool>(live.get(), count));
  routes_.publish({layout_, shared_from_this(), std::make_shared<const Placement>(std::move(placement))});
}

}  // namespace ringleader::proxy
