// DnsSource: one pool's members from DNS (docs/operations.md, "Kubernetes"): the targets of an SRV
// name (`dns_srv`), or the addresses of a name (`dns_a`), asked again every `dns_refresh_ms`, else
// when the answer's TTL runs out (at least 1 s). What an answer means (identity, order, weights):
// dns_answer.hpp; how it is asked: dns_resolver.hpp.
//
// On a thread of its own, never a worker's nor the signal path's. Each answer becomes a member
// list handed to `apply` (Server::set_members(): the same guarantees as a reload), only when it
// differs from the list applied last: an answer is one change however many records changed since
// the last, and one that only reorders records changes nothing. What it guarantees:
// - DNS failing (SERVFAIL, a timeout, no name server answering): the pool keeps its members; the
//   source counts every failure, logs the first of an outage (and the answer that ends it), and
//   asks again after min(refresh, 1 s).
// - An answer with no servers (NXDOMAIN, no records) or fewer than `dns_min_servers` is never
//   applied (logged, counted as refused, the old members kept).
// - A target that does not resolve this time keeps the address it has (logged); a new one waits.
// - Destroying it is prompt: the resolver's queries and waits are cancelled, then the thread joined.
//
//   proxy::Server server(config, threads);
//   auto sources = membership::start_dns_sources(server, config_pools);
//   server.run();
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "proxy/config/config.hpp"
#include "proxy/membership/applied_members.hpp"
#include "proxy/membership/dns_resolver.hpp"
#include "proxy/server.hpp"
#include "proxy/stats/source_status.hpp"

namespace ringleader::proxy::membership {

class DnsSource {
 public:
  /// Makes a member list the pool's; the future as for Server::set_members().
  using Apply = std::function<std::future<bool>(std::vector<config::Server>)>;

  /// Starts asking at once. `initial`: the members the pool serves now (its `servers:`, or the
  /// answer read_dns_members() gave at start).
  DnsSource(std::string pool, config::Dns settings, std::vector<config::Server> initial, Apply apply,
            stats::SourceStatus& status);
  /// Cancels the resolver and joins the thread.
  ~DnsSource();
  DnsSource(const DnsSource&) = delete;
  DnsSource& operator=(const DnsSource&) = delete;

  const std::string& pool() const noexcept { return pool_; }
  const config::Dns& settings() const noexcept { return settings_; }
  /// The members last applied (at first, `initial`). Safe from any thread.
  std::vector<config::Server> members() const { return applied_->get(); }
  std::shared_ptr<const AppliedMembers> applied() const { return applied_; }

 private:
  void run();
  /// Asks DNS and applies what it says; returns how long to wait before asking again.
  std::chrono::milliseconds refresh();
  /// Applies `members` unless they are what the pool has (the server logs a refusal; it is counted).
  void apply(std::vector<config::Server> members);

  const std::string pool_;
  const config::Dns settings_;
  const Apply apply_;
  stats::SourceStatus& status_;
  DnsResolver resolver_;
  const std::shared_ptr<AppliedMembers> applied_;
  std::chrono::milliseconds refresh_{1000};  // the thread's: the last answer's
  std::uint64_t failures_ = 0;               // the thread's: in a row, since the last answer
  std::thread thread_;  // last: starts once the rest exists
};

/// The members DNS gives `pool` (which has `dns_srv:` or `dns_a:`) now: for a pool whose `servers:`
/// is empty (the proxy needs some before it starts), and for `ringleader locate` and `simulate -c`.
/// Throws std::runtime_error naming the pool and the name if DNS fails or the answer is refused.
std::vector<config::Server> read_dns_members(const config::Pool& pool);

/// One DnsSource for every pool of `pools` that has DNS settings, feeding `server`.
std::vector<std::unique_ptr<DnsSource>> start_dns_sources(Server& server, const std::vector<config::Pool>& pools);

/// For the config file's reloads (FileSource::Adjust): a pool that `sources` feed keeps the members
/// DNS gave it; changed DNS settings are logged as needing a restart. Safe after the sources are gone.
std::function<void(config::Config&)> keep_dns_members(const std::vector<std::unique_ptr<DnsSource>>& sources);

}  // namespace ringleader::proxy::membership
