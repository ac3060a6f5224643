// What the membership sources that run on a thread of their own (etcd, DNS) share: the members a
// source applied last, the wait for the server to apply a new list, and how a reload of the config
// file keeps the members a source gave rather than the file's `servers:`.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "proxy/config/config.hpp"
#include "proxy/log.hpp"

namespace ringleader::proxy::membership {

/// The members a source applied last, shared with whatever may outlive the source (a reload in
/// flight on the server's change thread).
class AppliedMembers {
 public:
  explicit AppliedMembers(std::vector<config::Server> servers) : servers_(std::move(servers)) {}
  std::vector<config::Server> get() const {
    std::lock_guard lock(mutex_);
    return servers_;
  }
  void set(std::vector<config::Server> servers) {
    std::lock_guard lock(mutex_);
    servers_ = std::move(servers);
  }
  /// Whether `servers` are these, line for line (as written: a changed weight or name is a change).
  bool same(const std::vector<config::Server>& servers) const {
    std::lock_guard lock(mutex_);
    return std::equal(servers.begin(), servers.end(), servers_.begin(), servers_.end(),
                      [](const config::Server& a, const config::Server& b) { return a.text == b.text; });
  }

 private:
  mutable std::mutex mutex_;
  std::vector<config::Server> servers_;
};

/// Now, in unix milliseconds (the stats' times).
inline std::int64_t unix_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

/// The server's verdict on a membership handed to it (Server::set_members()'s future), or nothing if
/// `stopping()` came true first.
inline std::optional<bool> verdict(std::future<bool> applied, const std::function<bool()>& stopping) {
  while (applied.wait_for(std::chrono::milliseconds(20)) != std::future_status::ready)
    if (stopping()) return std::nullopt;
  return applied.get();
}

/// For the config file's reloads (FileSource::Adjust): a pool that one of `sources` feeds keeps the
/// members the source gave it, whatever the file's `servers:` says; a change of the pool's settings
/// for that source (`field`, e.g. &config::Pool::etcd; `what` names it) is logged as needing a
/// restart. Safe after the sources are gone.
template <class Source, class Settings>
std::function<void(config::Config&)> keep_members(const std::vector<std::unique_ptr<Source>>& sources,
                                                  std::optional<Settings> config::Pool::*field, std::string what) {
  struct Fed {
    Settings settings;
    std::shared_ptr<const AppliedMembers> applied;
  };
  std::map<std::string, Fed> by_pool;
  for (const auto& source : sources) by_pool.insert_or_assign(source->pool(), Fed{source->settings(), source->applied()});
  return [by_pool, field, what](config::Config& fresh) {
    for (config::Pool& pool : fresh.pools) {
      const auto it = by_pool.find(pool.name);
      if ((pool.*field) && it != by_pool.end()) config::set_server_lines(pool, it->second.applied->get());
      // The source keeps asking what it was started with: say so rather than seem to apply it.
      const bool changed = it == by_pool.end() ? (pool.*field).has_value() : pool.*field != it->second.settings;
      if (changed) log::warn("pool change needs a restart", {{"pool", pool.name}, {"reason", "its " + what + " settings changed"}});
    }
  };
}

}  // namespace ringleader::proxy::membership
