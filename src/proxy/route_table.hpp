// RouteTable: a pool's current routes, shared by every worker thread and replaced whole.
//
// Routes are immutable. New ones (after a reload or an ejection, issue 5) are published with
// publish(); each worker keeps its own reference (RouterView) and looks at an atomic version number
// on every request, so the hot path is one relaxed-cost atomic load and never waits on a lock. The
// mutex is taken only when a worker picks up new routes.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string_view>
#include <vector>

#include <asio/generic/stream_protocol.hpp>

#include "proxy/config/config.hpp"
#include "proxy/transport/tls.hpp"
#include "ringleader/hash/xxh3.hpp"
#include "ringleader/placement.hpp"

namespace ringleader::proxy {

class PoolHealth;

/// One version of a pool: its settings and where its servers are. A reload that changes the pool
/// makes a new layout; an ejection keeps the layout and only changes the placement.
struct PoolLayout {
  config::Pool pool;
  std::vector<asio::generic::stream_protocol::endpoint> endpoints;  // endpoints[i] reaches pool.servers[i]
  std::shared_ptr<tls::PoolTls> tls;  // the pool's TLS; null: plaintext both ways
};

/// What a request is routed with. placement.server_for() is an index into layout->pool.servers.
struct Routes {
  std::shared_ptr<const PoolLayout> layout;
  std::shared_ptr<PoolHealth> health;  // where backends of this layout report failures (ejection.hpp)
  std::shared_ptr<const Placement> placement;
};

/// When keys were last written or deleted during a warm-up, by slot of the key's hash: shared by
/// the pool's workers. A copy is made only if no write of its key began from kHoldOff before its
/// read to the copy, so a write still on its way to a server when the read began counts too (it
/// would have timed out by then). Two keys in one slot only make a copy skipped (a miss), never wrong.
class RecentWrites {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr Clock::duration kHoldOff = std::chrono::seconds(2);

  /// A write or delete of `key` is about to be sent.
  void wrote(std::string_view key) noexcept {
    const auto now = Clock::now().time_since_epoch().count();
    auto& last = slot(key);
    for (auto seen = last.load(); seen < now && !last.compare_exchange_weak(seen, now);) {
    }
  }
  /// A write of `key` began after `read` - kHoldOff.
  bool written_since(std::string_view key, Clock::time_point read) const noexcept {
    return slot(key).load() >= (read - kHoldOff).time_since_epoch().count();
  }

 private:
  static constexpr std::size_t kSlots = 1 << 12;
  std::atomic<Clock::rep>& slot(std::string_view key) const noexcept { return writes_[hash::xxh3(key) % kSlots]; }

  mutable std::array<std::atomic<Clock::rep>, kSlots> writes_{};  // the last write's start, per slot
};

/// Empty until the first publish() (PoolHealth::create() publishes).
class RouteTable {
 public:
  /// Shared by the pool's workers like the routes, and kept across changes (route/warm_up.hpp).
  mutable RecentWrites recent_writes;

  /// Makes `routes` the ones every worker uses from its next request on.
  void publish(Routes routes) {
    auto next = std::make_shared<const Routes>(std::move(routes));
    std::lock_guard lock(mutex_);
    routes_ = std::move(next);
    version_.fetch_add(1, std::memory_order_release);
  }

  std::uint64_t version() const noexcept { return version_.load(std::memory_order_acquire); }

  std::shared_ptr<const Routes> current() const {
    std::lock_guard lock(mutex_);
    return routes_;
  }

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const Routes> routes_;
  std::atomic<std::uint64_t> version_{0};
};

/// One worker's view of a RouteTable.
class RouterView {
 public:
  explicit RouterView(const RouteTable& table)
      : table_(table), version_(table.version()), routes_(table.current()) {}

  const Routes& get() {
    if (const auto latest = table_.version(); latest != version_) {
      version_ = latest;
      routes_ = table_.current();
    }
    return *routes_;
  }

 private:
  const RouteTable& table_;
  std::uint64_t version_;
  std::shared_ptr<const Routes> routes_;
};

}  // namespace ringleader::proxy
