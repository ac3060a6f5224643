// PoolBackends; see pool_backends.hpp.
#include "proxy/pool_backends.hpp"

#include <algorithm>
#include <chrono>
#include <unordered_map>

#include "proxy/protocols.hpp"

namespace ringleader::proxy {

namespace {

BackendOptions backend_options(const PoolLayout& layout) {
  const config::Pool& pool = layout.pool;
  BackendOptions options;
  options.protocol = &protocol_of(pool);
  if (pool.timeout_ms) options.timeout = std::chrono::milliseconds(*pool.timeout_ms);
  options.handshake = options.protocol->handshake(pool, 0);
  for (Dialect d = 1; d < options.protocol->dialects(); ++d)
    options.dialect_handshakes.push_back(options.protocol->handshake(pool, d));
  options.tcp_keepalive = pool.tcpkeepalive;
  options.keep_free = pool.server_connections.value_or(options.keep_free);
  options.max_connections = pool.http_max_connections;
  if (pool.tls.server) options.tls = layout.tls;
  return options;
}

void forget_closed(std::vector<std::weak_ptr<Backend>>& backends) {
  std::erase_if(backends, [](const auto& weak) { return weak.expired(); });
}

}  // namespace

PoolBackends::PoolBackends(asio::io_context& io, stats::Registry& registry, unsigned worker, std::size_t pool_index)
    : io_(io),
      registry_(registry),
      worker_(worker),
      pool_index_(pool_index),
      warm_(io, [this](WarmUpWindow::Backends closed) { retire_unused(closed); }) {}

void PoolBackends::start(const config::Pool& pool) {
  started_ = true;
  if (pool.preconnect) {
    for (auto& backend : backends_) backend->preconnect();
  }
}

void PoolBackends::adopt(const Routes& routes, const PoolLayout* before) {
  const PoolLayout& layout = *routes.layout;
  const BackendOptions options = backend_options(layout);
  std::unordered_map<std::string_view, const std::shared_ptr<Backend>*> current;  // by address
  for (auto& backend : backends_) {
    if (backend) current.emplace(backend->name(), &backend);
  }
  std::vector<std::shared_ptr<Backend>> next;
  for (std::uint32_t i = 0; i < layout.pool.servers.size(); ++i) {
    const std::string name = layout.pool.servers[i].address();
    stats::ServerCounters& counters = registry_.server(worker_, pool_index_, layout.pool.servers[i]);
    // Kept if reached the same way and counted under the same stats label (a renamed server's
    // counters are another's).
    const auto found = current.find(name);
    const auto same = [&](const std::shared_ptr<Backend>& b) {
      return b && b->endpoint() == layout.endpoints[i] && b->options() == options && &b->counters() == &counters;
    };
    if (found != current.end() && same(*found->second)) {
      next.push_back(*found->second);
    } else {
      next.push_back(std::make_shared<Backend>(io_, name, layout.endpoints[i], options, counters));
      if (started_ && layout.pool.preconnect) next.back()->preconnect();
    }
    next.back()->report_to(routes.health, i);
  }
  forget_closed(others_);
  std::vector<std::shared_ptr<Backend>> previous = std::exchange(backends_, std::move(next));
  const auto closed = warm_.reopen(before, previous, layout, backends_);
  retire_unused(previous);
  retire_unused(closed);
}

void PoolBackends::retire_unused(const std::vector<std::shared_ptr<Backend>>& backends) {
  const auto used = [&](const std::shared_ptr<Backend>& backend) {
    return std::find(backends_.begin(), backends_.end(), backend) != backends_.end() ||
           std::find(warm_.backends().begin(), warm_.backends().end(), backend) != warm_.backends().end();
  };
  for (const auto& backend : backends) {
    if (!backend || used(backend)) continue;
    backend->retire();  // it closes once its replies are in
    others_.push_back(backend);
  }
}

std::shared_ptr<Backend> PoolBackends::previous_owner(std::string_view key, std::uint32_t server) const {
  return warm_.previous_owner(key, server, backends_[server].get());
}

std::shared_ptr<Backend> PoolBackends::own_connection(std::uint32_t server, Dialect dialect) {
  auto backend = backends_[server]->in_dialect(dialect).stream_connection();
  // Its server's Backend counts it in all_idle(), unless a reload retires that one before the
  // stream is answered: others_ keeps it counted then.
  forget_closed(others_);
  const auto same = [&](const std::weak_ptr<Backend>& other) { return other.lock().get() == backend.get(); };
  if (std::none_of(others_.begin(), others_.end(), same)) others_.push_back(backend->weak_from_this());
  return backend;
}

std::shared_ptr<Backend> PoolBackends::pinned_connection(std::uint32_t server, Dialect dialect, std::size_t limit) {
  forget_closed(pinned_);
  if (pinned_.size() >= limit) return nullptr;
  // Not among others_, which busy() waits for: a blocked client may wait for ever, and a
  // subscriber's connection always does.
  auto backend = backends_[server]->in_dialect(dialect).another_connection();
  pinned_.push_back(backend);
  return backend;
}

bool PoolBackends::busy() const noexcept {
  const auto idle = [](const std::shared_ptr<Backend>& backend) { return !backend || backend->all_idle(); };
  if (!std::all_of(backends_.begin(), backends_.end(), idle)) return true;
  // A removed server read from during a warm-up.
  if (!std::all_of(warm_.backends().begin(), warm_.backends().end(), idle)) return true;
  return !std::all_of(others_.begin(), others_.end(), [&](const auto& weak) { return idle(weak.lock()); });
}

}  // namespace ringleader::proxy
