// PoolHealth: which servers of a pool take traffic, shared by every worker thread of the pool.
//
// Source of the facts: twemproxy 0.5.0 (src/nc_server.c server_failure(), server_ok(); README
// "auto_eject_hosts"): a server's failures (connect errors, timeouts, a lost or broken connection)
// are counted while they are consecutive; any good reply resets the count. With auto_eject_hosts,
// the server_failure_limit-th consecutive failure ejects the server for server_retry_timeout ms.
//
// What differs from twemproxy: backends are per thread here, so the count lives in shared atomics
// and counts failures seen by every thread; and when the retry timeout is over the server does not
// come back blindly: it stays ejected until an active health check passes (health_check.hpp calls
// restore()). Each ejection and return publishes a new Placement over the live servers through the
// pool's RouteTable (pool.ejection says how keys move) and is logged. A reload makes a new PoolHealth
// for the new layout, carrying over the state of the servers it keeps.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string_view>
#include <vector>

#include "proxy/config/config.hpp"
#include "proxy/route_table.hpp"

namespace ringleader::proxy {

class PoolHealth : public std::enable_shared_from_this<PoolHealth> {
 public:
  using Clock = std::chrono::steady_clock;

  /// The health of `layout`'s servers, which publishes routes to `routes` (`routes` must outlive
  /// it) and publishes them once now. `previous` is the health of the layout a reload replaces: a
  /// server in both keeps its state (an ejected server stays ejected until its check passes).
  static std::shared_ptr<PoolHealth> create(std::shared_ptr<const PoolLayout> layout, RouteTable& routes,
                                            const PoolHealth* previous = nullptr);

  /// A reply came back from server `server` (an index into pool.servers): its failures were not consecutive.
  void success(std::uint32_t server) noexcept {
    auto& failures = servers_[server].failures;
    if (failures.load(std::memory_order_relaxed) != 0) failures.store(0, std::memory_order_relaxed);
  }
  /// Server `server` failed (`reason` is logged when this ejects it).
  void failure(std::uint32_t server, std::string_view reason);

  /// Ejected servers whose retry timeout is over: the health checker probes these.
  std::vector<std::uint32_t> due_for_check(Clock::time_point now) const;
  /// The health check passed: the server takes traffic again.
  void restore(std::uint32_t server);
  /// The health check failed: try again after another server_retry_timeout.
  void check_failed(std::uint32_t server, std::string_view reason);
  /// A reload replaced the layout: publish nothing from now on, so a late failure on a connection
  /// of the old layout cannot put old routes back.
  void retire();

  bool ejected(std::uint32_t server) const noexcept {
    return servers_[server].ejected.load(std::memory_order_acquire);
  }
  const PoolLayout& layout() const noexcept { return *layout_; }
  const config::Pool& pool() const noexcept { return layout_->pool; }

 private:
  struct State {
    std::atomic<std::uint32_t> failures{0};
    std::atomic<bool> ejected{false};
    std::atomic<Clock::rep> retry_at{0};  // when an ejected server may be checked
  };

  PoolHealth(std::shared_ptr<const PoolLayout> layout, RouteTable& routes);
  /// Publishes routes over the servers that are not ejected. Called with mutex_ held.
  void publish_live();

  std::shared_ptr<const PoolLayout> layout_;
  RouteTable& routes_;
  std::unique_ptr<State[]> servers_;
  std::mutex mutex_;  // ejections, returns and retire(); never on the request path
  bool retired_ = false;
};

}  // namespace ringleader::proxy
