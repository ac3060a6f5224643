// PoolHealth; see ejection.hpp.
#include "proxy/ejection.hpp"

#include <string>

#include "proxy/log.hpp"

namespace ringleader::proxy {

PoolHealth::PoolHealth(const config::Pool& pool, RouteTable& routes)
    : pool_(pool), routes_(routes), servers_(std::make_unique<State[]>(pool.servers.size())) {}

void PoolHealth::failure(std::uint32_t server, std::string_view reason) {
  State& state = servers_[server];
  const std::uint32_t failures = state.failures.fetch_add(1, std::memory_order_relaxed) + 1;
  if (!pool_.auto_eject_hosts || failures < pool_.server_failure_limit) return;
  std::lock_guard lock(mutex_);
  if (state.ejected.load(std::memory_order_relaxed)) return;  // another thread ejected it already
  const auto retry_at = Clock::now() + std::chrono::milliseconds(pool_.server_retry_timeout_ms);
  state.retry_at.store(retry_at.time_since_epoch().count(), std::memory_order_relaxed);
  state.ejected.store(true, std::memory_order_release);
  publish_live();
  log::warn("server ejected", {{"pool", pool_.name},
                               {"server", pool_.servers[server].address()},
                               {"failures", std::to_string(failures)},
                               {"retry_ms", std::to_string(pool_.server_retry_timeout_ms)},
                               {"reason", std::string(reason)}});
}

std::vector<std::uint32_t> PoolHealth::due_for_check(Clock::time_point now) const {
  std::vector<std::uint32_t> due;
  for (std::uint32_t i = 0; i < pool_.servers.size(); ++i) {
    const State& state = servers_[i];
    if (state.ejected.load(std::memory_order_acquire) &&
        state.retry_at.load(std::memory_order_relaxed) <= now.time_since_epoch().count())
      due.push_back(i);
  }
  return due;
}

void PoolHealth::restore(std::uint32_t server) {
  std::lock_guard lock(mutex_);
  State& state = servers_[server];
  state.failures.store(0, std::memory_order_relaxed);
  state.ejected.store(false, std::memory_order_release);
  publish_live();
  log::info("server returned", {{"pool", pool_.name}, {"server", pool_.servers[server].address()}});
}

void PoolHealth::check_failed(std::uint32_t server, std::string_view reason) {
  const auto retry_at = Clock::now() + std::chrono::milliseconds(pool_.server_retry_timeout_ms);
  servers_[server].retry_at.store(retry_at.time_since_epoch().count(), std::memory_order_relaxed);
  log::info("health check failed", {{"pool", pool_.name},
                                    {"server", pool_.servers[server].address()},
                                    {"reason", std::string(reason)}});
}

void PoolHealth::publish_live() {
  const std::size_t count = pool_.servers.size();
  const auto live = std::make_unique<bool[]>(count);  // not vector<bool>: Router takes a span
  for (std::size_t i = 0; i < count; ++i) live[i] = !servers_[i].ejected.load(std::memory_order_relaxed);
  routes_.publish(std::make_shared<const config::Router>(pool_, std::span<const bool>(live.get(), count)));
}

}  // namespace ringleader::proxy
