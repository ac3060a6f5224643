// EtcdSource; see etcd_source.hpp.
#include "proxy/membership/etcd_source.hpp"

#include <algorithm>
#include <set>
#include <string_view>

#include "proxy/config/server_entry.hpp"
#include "proxy/log.hpp"

namespace ringleader::proxy::membership {
namespace {

constexpr std::string_view kLive = "/live";

std::size_t not_removed(const std::vector<config::Server>& lines) {
  return static_cast<std::size_t>(std::count_if(lines.begin(), lines.end(), [](const config::Server& s) { return !s.removed; }));
}

EtcdOptions options_of(const config::Etcd& etcd) {
  return {.endpoints = etcd.endpoints, .user = etcd.user, .password = etcd.password, .ca = etcd.ca, .cert = etcd.cert,
          .key = etcd.key};
}

}  // namespace

void check_tls_files(const config::Pool& pool, const std::string& file) {
  if (!pool.etcd) return;
  tls_context(options_of(*pool.etcd), [&](const char* which, const std::string& problem) {
    const std::string key = std::string("etcd_") + which;
    const auto line = pool.lines.find(key);
    throw config::ConfigError(file, line == pool.lines.end() ? pool.line : line->second, pool.name, key, problem);
  });
}

std::vector<config::Server> members_of(const std::string& pool, const std::map<std::string, std::string>& values,
                                       std::map<std::string, std::string>* bad_logged) {
  auto skip = [&](const std::string& key, const std::string& value, const std::string& reason) {
    if (bad_logged != nullptr) {
      const auto it = bad_logged->find(key);
      if (it != bad_logged->end() && it->second == value) return;  // said once per bad value
      (*bad_logged)[key] = value;
    }
    log::warn("etcd value skipped", {{"pool", pool}, {"key", key}, {"value", value}, {"reason", reason}});
  };
  std::vector<config::Server> members;
  std::set<std::string> names;
  for (const auto& [key, slot_value] : values) {
    if (key.ends_with(kLive) && values.contains(key.substr(0, key.size() - kLive.size()))) continue;  // in its slot
    const auto live = values.find(key + std::string(kLive));
    const std::string& value = live != values.end() ? live->second : slot_value;
    config::Server server;
    try {
      server = config::parse_server(value);
    } catch (const std::invalid_argument& e) {
      skip(key, value, std::string(e.what()) + " (expected host:port:weight [name])");
      continue;
    }
    // A removed line keeps only its slot: its server may be listed again under another key.
    if (!server.removed && !names.insert(server.ketama_name()).second) {
      skip(key, value, "another key already names server '" + server.ketama_name() + "'");
      continue;
    }
    members.push_back(std::move(server));
  }
  if (bad_logged != nullptr) std::erase_if(*bad_logged, [&](const auto& kv) { return !values.contains(kv.first); });
  return members;
}

std::vector<config::Server> read_members(const config::Pool& pool) {
  const auto client = make_etcd_client(options_of(*pool.etcd));
  EtcdClient::Range range;
  try {
    range = client->range(pool.etcd->prefix);
  } catch (const std::exception& e) {
    throw std::runtime_error("pool '" + pool.name + "': etcd did not answer: " + e.what());
  }
  std::map<std::string, std::string> values;
  for (auto& kv : range.kvs) values[kv.key] = kv.value;
  auto members = members_of(pool.name, values);
  if (not_removed(members) < pool.etcd->min_servers)
    throw std::runtime_error("pool '" + pool.name + "': etcd holds " + std::to_string(not_removed(members)) +
                             " servers under '" + pool.etcd->prefix + "', fewer than etcd_min_servers (" +
                             std::to_string(pool.etcd->min_servers) + ")");
  return members;
}

std::vector<std::unique_ptr<EtcdSource>> start_etcd_sources(Server& server, const std::vector<config::Pool>& pools) {
  std::vector<std::unique_ptr<EtcdSource>> sources;
  for (const config::Pool& pool : pools) {
    if (!pool.etcd) continue;
    auto apply = [&server, name = pool.name](std::vector<config::Server> members) {
      return server.set_members(name, std::move(members));
    };
    sources.push_back(std::make_unique<EtcdSource>(pool.name, *pool.etcd, pool.servers, make_etcd_client(options_of(*pool.etcd)),
                                                   std::move(apply), server.stats().source(pool.name, stats::SourceStatus::Kind::etcd)));
  }
  return sources;
}

std::function<void(config::Config&)> keep_etcd_members(const std::vector<std::unique_ptr<EtcdSource>>& sources) {
  return keep_members(sources, &config::Pool::etcd, "etcd");
}

EtcdSource::EtcdSource(std::string pool, config::Etcd settings, std::vector<config::Server> initial,
                       std::unique_ptr<EtcdClient> client, Apply apply, stats::SourceStatus& status, Timing timing)
    : pool_(std::move(pool)),
      settings_(std::move(settings)),
      timing_(timing),
      apply_(std::move(apply)),
      status_(status),
      client_(std::move(client)),
      backoff_(timing.backoff_min),
      applied_(std::make_shared<AppliedMembers>(std::move(initial))),
      thread_([this] { run(); }) {}

EtcdSource::~EtcdSource() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  client_->cancel();
  thread_.join();
}

bool EtcdSource::stopping() const {
  std::lock_guard lock(mutex_);
  return stopping_;
}

void EtcdSource::sleep(std::chrono::milliseconds how_long) {
  std::unique_lock lock(mutex_);
  wake_.wait_for(lock, how_long, [this] { return stopping_; });
}

void EtcdSource::run() {
  bool read = true;
  while (!stopping()) {
    try {
      if (read) {
        read_all();
        read = false;
      }
      last_heard_ = Clock::now();
      client_->watch(settings_.prefix, revision_ + 1, *this);
      // The watch ended without an error: a compaction (read again) or stop().
      read = true;
    } catch (const std::exception& e) {
      if (stopping()) break;
      ++status_.errors;
      status_.connected = false;
      log::warn("etcd unreachable, the pool keeps its servers",
                {{"pool", pool_}, {"endpoint", client_->endpoint()}, {"error", e.what()},
                 {"revision", std::to_string(revision_)}, {"retry_in_ms", std::to_string(backoff_.count())}});
      if (dirty_) apply_now();  // changes seen before the failure are real: apply them now
      sleep(backoff_);
      backoff_ = std::min(backoff_ * 2, timing_.backoff_max);
    }
  }
}

void EtcdSource::read_all() {
  EtcdClient::Range range = client_->range(settings_.prefix);
  answered();
  values_.clear();
  for (auto& kv : range.kvs) values_[std::move(kv.key)] = std::move(kv.value);
  revision_ = range.revision;
  log::info("etcd read", {{"pool", pool_}, {"prefix", settings_.prefix}, {"revision", std::to_string(revision_)},
                          {"keys", std::to_string(values_.size())}});
  apply_now();
}

void EtcdSource::apply_now() {
  dirty_ = false;
  std::vector<config::Server> members = members_of(pool_, values_, &bad_logged_);
  if (not_removed(members) < settings_.min_servers) {
    ++status_.refused;
    log::warn("etcd membership below etcd_min_servers, the old one kept",
              {{"pool", pool_}, {"servers", std::to_string(not_removed(members))},
               {"etcd_min_servers", std::to_string(settings_.min_servers)}, {"revision", std::to_string(revision_)}});
    return;
  }
  if (!applied_->same(members)) {
    const std::optional<bool> applied = verdict(apply_(members), [this] { return stopping(); });
    if (!applied) return;
    if (!*applied) {  // the server logged why
      ++status_.refused;
      return;
    }
    log::info("etcd membership applied",
              {{"pool", pool_}, {"revision", std::to_string(revision_)}, {"servers", std::to_string(not_removed(members))}});
    applied_->set(std::move(members));
  }
  status_.revision = revision_;
  status_.applied_at_ms = unix_ms();
}

void EtcdSource::answered() {
  status_.connected = true;
  backoff_ = timing_.backoff_min;
}

bool EtcdSource::on_batch(const WatchBatch& batch) {
  last_heard_ = Clock::now();
  if (batch.created) {
    answered();
    return !stopping();
  }
  if (batch.compact_revision != 0) {
    log::warn("etcd compacted the watched revision, reading again",
              {{"pool", pool_}, {"revision", std::to_string(revision_)},
               {"compact_revision", std::to_string(batch.compact_revision)}});
    return false;
  }
  for (const auto& event : batch.events) {
    if (event.deleted)
      values_.erase(event.kv.key);
    else
      values_[event.kv.key] = event.kv.value;
  }
  revision_ = std::max(revision_, batch.revision);
  if (!dirty_) {
    dirty_ = true;
    settle_until_ = last_heard_ + std::chrono::milliseconds(settings_.settle_ms);
  }
  if (last_heard_ >= settle_until_) apply_now();
  return !stopping();
}

std::chrono::milliseconds EtcdSource::quiet_limit() {
  using std::chrono::milliseconds;
  const auto now = Clock::now();
  auto limit = last_heard_ + timing_.probe - now;
  if (dirty_) limit = std::min(limit, settle_until_ - now);
  // Rounded up: woken a fraction of a millisecond early, on_quiet() would find nothing due and spin.
  return std::max(std::chrono::ceil<milliseconds>(limit), milliseconds(0));
}

bool EtcdSource::on_quiet() {
  const auto now = Clock::now();
  if (dirty_ && now >= settle_until_) apply_now();
  if (now >= last_heard_ + timing_.probe) {
    client_->check_alive();  // throws if etcd does not answer: the watch is given up and resumed
    last_heard_ = Clock::now();
    answered();
  }
  return !stopping();
}

}  // namespace ringleader::proxy::membership
