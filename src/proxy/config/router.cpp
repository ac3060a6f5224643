// The pool router (facts and guarantees: router.hpp).
//
// A routing table is one distribution built over some of the pool's servers plus the map from the
// distribution's indices back to positions in pool.servers. twemproxy's distributions are built over
// the servers in twemproxy's order: conf_validate_server() sorts a pool's servers by name (shorter
// names first, then bytewise; the name is Server::ketama_name()), and modula's slots and ketama's ties
// follow that order. ringleader's algorithms are built over Server::node_name() in file order.
#include "proxy/config/router.hpp"

#include <algorithm>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

#include "ringleader/algo/bounded_load.hpp"
#include "ringleader/algo/detail/mix.hpp"
#include "ringleader/compat/hash_tag.hpp"
#include "ringleader/compat/ketama.hpp"
#include "ringleader/compat/modula.hpp"
#include "ringleader/distribution.hpp"
#include "ringleader/hash/twemproxy.hpp"
#include "ringleader/hash/xxh3.hpp"

namespace ringleader::config {
namespace {

// Positions in pool.servers in twemproxy's order (string_compare: length first, then bytes).
std::vector<std::uint32_t> twemproxy_order(const Pool& pool) {
  std::vector<std::string> names;
  names.reserve(pool.servers.size());
  for (const Server& s : pool.servers) names.push_back(s.ketama_name());
  std::vector<std::uint32_t> order(pool.servers.size());
  for (std::uint32_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
    if (names[a].size() != names[b].size()) return names[a].size() < names[b].size();
    return names[a] < names[b];
  });
  return order;
}

// One distribution over a subset of the pool's servers.
class Table {
 public:
  // `members`: positions in pool.servers, in the order the distribution is built over them.
  Table(const Pool& pool, std::vector<std::uint32_t> members)
      : to_pool_(std::move(members)), dist_(build(pool, to_pool_)) {}

  // The same algorithm over only the servers with live[i] (i: position in pool.servers), for
  // `ejection: stable`. Uses Distribution::without() for ringleader's algorithms (in-place removal
  // where the algorithm has one), a rebuild over the live servers for twemproxy's.
  Table without(const Pool& pool, const std::vector<bool>& live) const {
    if (const auto* d = std::get_if<std::unique_ptr<Distribution>>(&dist_)) {
      std::vector<std::string> gone;
      for (std::uint32_t i : to_pool_)
        if (!live[i]) gone.push_back(pool.servers[i].node_name());
      return Table(pool, (*d)->without(gone));
    }
    std::vector<std::uint32_t> rest;
    for (std::uint32_t i : to_pool_)
      if (live[i]) rest.push_back(i);
    return Table(pool, std::move(rest));
  }

  std::uint32_t lookup(std::uint64_t key_hash) const noexcept {
    // twemproxy's distributions take the 32-bit hash; a 64-bit one (xxh3) is truncated to it.
    const auto h32 = static_cast<std::uint32_t>(key_hash);
    switch (dist_.index()) {
      case 0: return to_pool_[std::get<0>(dist_).lookup(h32)];
      case 1: return to_pool_[std::get<1>(dist_).lookup(h32)];
      case 2: return to_pool_[std::get<2>(dist_).pick()];
      default: return to_pool_[std::get<3>(dist_)->lookup(key_hash)];
    }
  }

 private:
  using Algorithm = std::variant<compat::KetamaContinuum, compat::TwemproxyModula, compat::TwemproxyRandom,
                                 std::unique_ptr<Distribution>>;

  Table(const Pool& pool, std::unique_ptr<Distribution> d) : to_pool_(positions(pool, *d)), dist_(std::move(d)) {}

  static Algorithm build(const Pool& pool, const std::vector<std::uint32_t>& members) {
    if (pool.distribution == "ketama") {
      std::vector<compat::KetamaServer> servers;
      for (std::uint32_t i : members) servers.push_back({pool.servers[i].ketama_name(), pool.servers[i].weight});
      return Algorithm(std::in_place_type<compat::KetamaContinuum>, servers);
    }
    if (pool.distribution == "modula") {
      std::vector<std::uint32_t> weights;
      for (std::uint32_t i : members) weights.push_back(pool.servers[i].weight);
      return Algorithm(std::in_place_type<compat::TwemproxyModula>, weights);
    }
    if (pool.distribution == "random")
      return Algorithm(std::in_place_type<compat::TwemproxyRandom>, static_cast<std::uint32_t>(members.size()));
    std::vector<Node> nodes;
    for (std::uint32_t i : members) nodes.push_back({pool.servers[i].node_name(), pool.servers[i].weight});
    return make_distribution(pool.distribution, Membership(std::move(nodes)));
  }

  // Positions in pool.servers of a distribution's nodes, found by name.
  static std::vector<std::uint32_t> positions(const Pool& pool, const Distribution& d) {
    std::unordered_map<std::string, std::uint32_t> position;
    for (std::uint32_t i = 0; i < pool.servers.size(); ++i) position.emplace(pool.servers[i].node_name(), i);
    std::vector<std::uint32_t> out;
    for (const Node& n : d.membership().nodes()) out.push_back(position.at(n.name));
    return out;
  }

  std::vector<std::uint32_t> to_pool_;
  Algorithm dist_;
};

}  // namespace

class Router::Impl {
 public:
  Impl(const Pool& pool, std::vector<bool> live) : hash_tag_(pool.hash_tag), live_(std::move(live)) {
    if (pool.servers.empty()) throw std::invalid_argument("router: the pool has no servers");
    if (pool.hash != "xxh3") {
      const auto* f = hash::twemproxy::find(pool.hash);
      if (f == nullptr) throw std::invalid_argument("router: unknown hash '" + pool.hash + "'");
      twemproxy_hash_ = f->hash;
    }
    const bool twemproxy = pool.twemproxy_distribution();
    if (!twemproxy) {
      const auto names = algorithm_names();
      if (std::find(names.begin(), names.end(), pool.distribution) == names.end())
        throw std::invalid_argument("router: unknown distribution '" + pool.distribution + "'");
    }
    // server_pool_hash(): a pool of one server, or an empty key, hashes to 0.
    twemproxy_zero_rules_ = twemproxy;
    single_server_ = pool.servers.size() == 1;
    if (!twemproxy) bounded_load_ = pool.bounded_load;
    for (std::size_t i = 0; i < pool.servers.size(); ++i) {
      weights_.push_back(pool.servers[i].weight);
      if (live_[i]) live_weight_ += pool.servers[i].weight;
    }

    const std::vector<std::uint32_t> order = twemproxy ? twemproxy_order(pool) : [&] {
      std::vector<std::uint32_t> o(pool.servers.size());
      for (std::uint32_t i = 0; i < o.size(); ++i) o[i] = i;
      return o;
    }();
    std::vector<std::uint32_t> live_order;
    for (std::uint32_t i : order)
      if (live_[i]) live_order.push_back(i);
    live_count_ = live_order.size();
    if (live_order.empty()) return;

    const bool stable = pool.ejection == Ejection::stable && pool.distribution != "random";
    if (!stable || live_order.size() == order.size()) {
      primary_.emplace(pool, std::move(live_order));
    } else {
      primary_.emplace(pool, order);
      fallback_.emplace(primary_->without(pool, live_));
    }
  }

  std::uint64_t key_hash(std::string_view key) const noexcept {
    const std::string_view part = compat::hash_tag_part(key, hash_tag_);
    if (twemproxy_zero_rules_ && (single_server_ || part.empty())) return 0;
    if (twemproxy_hash_ == nullptr) return hash::xxh3(part);
    // ringleader's algorithms read the high bits of a 64-bit hash (maglev and ring through a
    // multiply-high range reduction): twemproxy's 32-bit values would all fall on the first slot,
    // one server. Mixed to 64 bits (a bijection) they spread as they should.
    const std::uint64_t h = twemproxy_hash_(part);
    return twemproxy_zero_rules_ ? h : algo::detail::fmix64(h);
  }

  std::uint32_t server_for(std::string_view key) const noexcept {
    if (!primary_) return kNoServer;
    return lookup(key_hash(key));
  }

  std::uint32_t server_for(std::string_view key, std::span<const std::uint64_t> loads) const noexcept {
    if (!primary_ || !bounded_load_) return server_for(key);
    std::uint64_t total = 1;  // the new request
    for (std::size_t s = 0; s < live_.size(); ++s) total += live_[s] ? loads[s] : 0;
    const auto n = static_cast<std::uint32_t>(live_.size());
    return algo::probe_bounded(
        key_hash(key), n, [&](std::uint64_t h) { return lookup(h); },
        [&](std::uint32_t s) {
          do s = (s + 1) % n;
          while (!live_[s]);
          return s;
        },
        [&](std::uint32_t s) {
          return loads[s] + 1 <= algo::bounded_capacity(*bounded_load_, total, weights_[s], live_weight_);
        });
  }

  bool bounded() const noexcept { return bounded_load_.has_value(); }

  std::size_t server_count() const noexcept { return live_.size(); }
  std::size_t live_count() const noexcept { return live_count_; }

 private:
  // The live server that owns hash h.
  std::uint32_t lookup(std::uint64_t h) const noexcept {
    const std::uint32_t server = primary_->lookup(h);
    if (fallback_ && !live_[server]) return fallback_->lookup(h);
    return server;
  }

  std::string hash_tag_;
  hash::twemproxy::HashFn twemproxy_hash_ = nullptr;  // nullptr: xxh3
  bool twemproxy_zero_rules_ = false;
  bool single_server_ = false;
  std::vector<bool> live_;
  std::size_t live_count_ = 0;
  std::optional<Table> primary_;   // over the live servers (rebuild) or all of them (stable)
  std::optional<Table> fallback_;  // stable with servers ejected: where an ejected server's keys go
  std::optional<double> bounded_load_;  // c, for ringleader's distributions
  std::vector<std::uint64_t> weights_;  // per server of the pool
  std::uint64_t live_weight_ = 0;
};

Router::Router(const Pool& pool) : impl_(std::make_unique<const Impl>(pool, std::vector<bool>(pool.servers.size(), true))) {}

Router::Router(const Pool& pool, std::span<const bool> live) {
  if (live.size() != pool.servers.size())
    throw std::invalid_argument("router: " + std::to_string(live.size()) + " live flags for " +
                                std::to_string(pool.servers.size()) + " servers");
  impl_ = std::make_unique<const Impl>(pool, std::vector<bool>(live.begin(), live.end()));
}

Router::~Router() = default;
Router::Router(Router&&) noexcept = default;
Router& Router::operator=(Router&&) noexcept = default;

std::uint32_t Router::server_for(std::string_view key) const noexcept { return impl_->server_for(key); }
std::uint32_t Router::server_for(std::string_view key, std::span<const std::uint64_t> loads) const noexcept {
  return impl_->server_for(key, loads);
}
bool Router::bounded() const noexcept { return impl_->bounded(); }
std::uint64_t Router::key_hash(std::string_view key) const noexcept { return impl_->key_hash(key); }
std::size_t Router::server_count() const noexcept { return impl_->server_count(); }
std::size_t Router::live_count() const noexcept { return impl_->live_count(); }

}  // namespace ringleader::config
