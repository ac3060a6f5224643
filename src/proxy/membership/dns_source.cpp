// DnsSource; see dns_source.hpp.
#include "proxy/membership/dns_source.hpp"

#include <algorithm>

#include "proxy/log.hpp"

namespace ringleader::proxy::membership {

std::vector<config::Server> read_dns_members(const config::Pool& pool) {
  const config::Dns& settings = *pool.dns;
  std::vector<config::Server> members;
  try {
    DnsResolver resolver(settings);
    members = dns_members(settings, resolver.resolve().records);
  } catch (const std::exception& e) {
    throw std::runtime_error("pool '" + pool.name + "': DNS did not answer for '" + settings.name() + "': " + e.what());
  }
  if (const auto refused = dns_refusal(settings, members))
    throw std::runtime_error("pool '" + pool.name + "': DNS for '" + settings.name() + "': " + *refused);
  return members;
}

std::vector<std::unique_ptr<DnsSource>> start_dns_sources(Server& server, const std::vector<config::Pool>& pools) {
  std::vector<std::unique_ptr<DnsSource>> sources;
  for (const config::Pool& pool : pools) {
    if (!pool.dns) continue;
    auto apply = [&server, name = pool.name](std::vector<config::Server> members) {
      return server.set_members(name, std::move(members));
    };
    sources.push_back(std::make_unique<DnsSource>(pool.name, *pool.dns, pool.servers, std::move(apply),
                                                  server.stats().source(pool.name, stats::SourceStatus::Kind::dns)));
  }
  return sources;
}

std::function<void(config::Config&)> keep_dns_members(const std::vector<std::unique_ptr<DnsSource>>& sources) {
  return keep_members(sources, &config::Pool::dns, "DNS");
}

DnsSource::DnsSource(std::string pool, config::Dns settings, std::vector<config::Server> initial, Apply apply,
                     stats::SourceStatus& status)
    : pool_(std::move(pool)),
      settings_(std::move(settings)),
      apply_(std::move(apply)),
      status_(status),
      resolver_(settings_),
      applied_(std::make_shared<AppliedMembers>(std::move(initial))),
      thread_([this] { run(); }) {}

DnsSource::~DnsSource() {
  resolver_.cancel();
  thread_.join();
}

void DnsSource::run() {
  while (resolver_.wait(refresh())) {
  }
}

std::chrono::milliseconds DnsSource::refresh() {
  DnsResolver::Answer answer;
  try {
    answer = resolver_.resolve();
  } catch (const DnsError& e) {
    if (resolver_.cancelled()) return std::chrono::milliseconds(0);
    if (e.no_such_name()) {
      ++status_.answers;
      status_.answered_at_ms = unix_ms();
      status_.servers = 0;
      ++status_.refused;
      log::warn("DNS lists no servers, the pool keeps its servers", {{"pool", pool_}, {"error", e.what()}});
      return refresh_;
    }
    ++status_.errors;
    const auto retry = std::min<std::chrono::milliseconds>(refresh_, std::chrono::seconds(1));
    if (failures_++ == 0)  // once per outage: the stats count every failure
      log::warn("DNS failed, the pool keeps its servers",
                {{"pool", pool_}, {"error", e.what()}, {"retry_every_ms", std::to_string(retry.count())}});
    return retry;
  }
  if (failures_ > 0) {
    log::info("DNS answers again", {{"pool", pool_}, {"failures", std::to_string(failures_)}});
    failures_ = 0;
  }
  refresh_ = dns_refresh(settings_, answer.ttl);
  for (const std::string& target : answer.unresolved)
    log::warn("DNS target did not resolve, its server keeps its address if it has one", {{"pool", pool_}, {"target", target}});
  std::vector<config::Server> members = dns_members(settings_, std::move(answer.records), this->members());
  ++status_.answers;
  status_.answered_at_ms = unix_ms();
  status_.servers = members.size();
  if (const auto refused = dns_refusal(settings_, members)) {
    ++status_.refused;
    log::warn("DNS answer refused, the pool keeps its servers",
              {{"pool", pool_}, {"name", settings_.name()}, {"reason", *refused},
               {"dns_min_servers", std::to_string(settings_.min_servers)}});
    return refresh_;
  }
  apply(std::move(members));
  return refresh_;
}

void DnsSource::apply(std::vector<config::Server> members) {
  if (!applied_->same(members)) {
    const std::optional<bool> applied = verdict(apply_(members), [this] { return resolver_.cancelled(); });
    if (!applied) return;
    if (!*applied) {  // the server logged why
      ++status_.refused;
      return;
    }
    log::info("DNS membership applied", {{"pool", pool_}, {"name", settings_.name()}, {"servers", std::to_string(members.size())}});
    applied_->set(std::move(members));
    ++status_.changes;
    status_.applied_at_ms = unix_ms();
  } else if (status_.applied_at_ms == 0) {
    status_.applied_at_ms = unix_ms();  // the first answer confirms the members the pool started with
  }
}

}  // namespace ringleader::proxy::membership
