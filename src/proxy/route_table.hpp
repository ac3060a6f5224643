// RouteTable: a pool's current Router, shared by every worker thread and replaced whole.
//
// Routers are immutable. A new one (after a reload or an ejection, issue 5) is published with
// publish(); each worker keeps its own reference (RouterView) and looks at an atomic version number
// on every request, so the hot path is one relaxed-cost atomic load and never waits on a lock. The
// mutex is taken only when a worker picks up a new router.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>

#include "proxy/config/router.hpp"

namespace ringleader::proxy {

class RouteTable {
 public:
  explicit RouteTable(std::shared_ptr<const config::Router> router) : router_(std::move(router)) {}

  /// Makes `router` the one every worker uses from its next request on.
  void publish(std::shared_ptr<const config::Router> router) {
    std::lock_guard lock(mutex_);
    router_ = std::move(router);
    version_.fetch_add(1, std::memory_order_release);
  }

  std::uint64_t version() const noexcept { return version_.load(std::memory_order_acquire); }

  std::shared_ptr<const config::Router> current() const {
    std::lock_guard lock(mutex_);
    return router_;
  }

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const config::Router> router_;
  std::atomic<std::uint64_t> version_{0};
};

/// One worker's view of a RouteTable.
class RouterView {
 public:
  explicit RouterView(const RouteTable& table)
      : table_(table), version_(table.version()), router_(table.current()) {}

  const config::Router& get() {
    if (const auto latest = table_.version(); latest != version_) {
      version_ = latest;
      router_ = table_.current();
    }
    return *router_;
  }

 private:
  const RouteTable& table_;
  std::uint64_t version_;
  std::shared_ptr<const config::Router> router_;
};

}  // namespace ringleader::proxy
