// WarmUpWindow; see warm_up_window.hpp.
#include "proxy/route/warm_up_window.hpp"

#include <algorithm>
#include <chrono>

#include "proxy/config/config.hpp"

namespace ringleader::proxy {

WarmUpWindow::WarmUpWindow(asio::io_context& io, std::function<void(Backends)> closed)
    : timer_(io), closed_(std::move(closed)) {}

WarmUpWindow::Backends WarmUpWindow::reopen(const PoolLayout* before, const Backends& previous, const PoolLayout& now,
                                            const Backends& backends) {
  Backends ended = close();
  const config::Pool& pool = now.pool;
  const auto draining = [](const config::Server& s) { return s.draining; };
  if (std::any_of(pool.servers.begin(), pool.servers.end(), draining)) {
    // Until a change closes it: the draining servers' keys were theirs, every other key where it is.
    before_ = std::make_unique<const Placement>(config::make_placement(pool));
    backends_ = backends;
    receives_.assign(backends.size(), true);
    reads_ = true;
    return ended;
  }
  if (pool.warmup_ms == 0 || before == nullptr) return ended;
  const auto& old = before->pool.servers;
  const auto same = [](const config::Server& a, const config::Server& b) {
    return a.name == b.name && a.weight == b.weight && a.address() == b.address() && a.draining == b.draining;
  };
  if (std::equal(old.begin(), old.end(), pool.servers.begin(), pool.servers.end(), same)) return ended;  // none moved
  // Where keys were: the servers that were not draining owned them.
  const auto live = std::make_unique<bool[]>(old.size());
  for (std::size_t i = 0; i < old.size(); ++i) live[i] = !old[i].draining;
  before_ = std::make_unique<const Placement>(config::make_placement(before->pool, std::span(live.get(), old.size())));
  backends_ = previous;
  reads_ = true;
  // Servers added, none changed: a monotone distribution moves keys only to the new servers, so a
  // read whose owner is an old one (most reads) needs no second lookup. Others (modula, maglev) move
  // keys between the old servers too; so may ketama with unequal weights, whose few such keys then
  // miss as they would without warm-up (never a wrong answer).
  const auto in = [&](const std::vector<config::Server>& list, const config::Server& s) {
    return std::any_of(list.begin(), list.end(), [&](const config::Server& o) { return same(o, s); });
  };
  const bool joins_only = pool.distribution_info().monotone &&
                          std::all_of(old.begin(), old.end(), [&](const config::Server& o) { return in(pool.servers, o); });
  receives_.resize(pool.servers.size());
  for (std::size_t i = 0; i < pool.servers.size(); ++i) receives_[i] = !joins_only || !in(old, pool.servers[i]);
  timer_.expires_after(std::chrono::milliseconds(pool.warmup_ms));
  timer_.async_wait([this, id = opened_](const std::error_code& ec) {
    if (!ec && id == opened_) on_timer();
  });
  return ended;
}

void WarmUpWindow::on_timer() {
  if (!reads_) {
    closed_(close());
    return;
  }
  // Reads of the previous owners are over; their copies may still be out.
  reads_ = false;
  timer_.expires_after(RecentWrites::kHoldOff);
  timer_.async_wait([this, id = opened_](const std::error_code& ec) {
    if (!ec && id == opened_) on_timer();
  });
}

WarmUpWindow::Backends WarmUpWindow::close() {
  ++opened_;
  timer_.cancel();
  before_.reset();
  reads_ = false;
  receives_.clear();
  return std::exchange(backends_, {});
}

std::shared_ptr<Backend> WarmUpWindow::previous_owner(std::string_view key, std::uint32_t server,
                                                      const Backend* owner) const {
  if (!receives_[server]) return nullptr;
  const std::uint32_t before = before_->server_for(key);
  if (before == Placement::kNoServer || backends_[before].get() == owner) return nullptr;
  return backends_[before];
}

}  // namespace ringleader::proxy
