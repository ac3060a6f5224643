// Placement (facts and guarantees: ringleader/placement.hpp).
//
// A routing table is one distribution built over some of the members plus the map from the
// distribution's indices back to positions in the members. twemproxy's distributions are built over
// the members in twemproxy's order: conf_validate_server() sorts a pool's servers by name (shorter
// names first, then bytewise; the name is ketama_name()), and modula's slots and ketama's ties
// follow that order. ringleader's algorithms are built over identity() in the order given.
//
// Removed members (PlacementMember::removed) stay in the tables of the algorithms that number slots
// by position (DistributionInfo::by_position) and are dropped from every other one. A key whose slot belongs
// to a removed member is looked up again under the salted hashes detail::distinct_by_rehash uses
// (h, mix(h, 0), mix(h, 1), ...) until a member that is not removed comes up. Why not
// Anchor's or Memento's in-place removal: their state after several removals depends on the order
// of the removals (AnchorHash rehashes a removed bucket's keys into the working set as it was when
// that bucket left), and a config file or etcd holds a set, not a history. Re-drawing is a function
// of the set alone, is exactly balanced over the remaining slots (each draw is uniform over all
// slots), and moves only the keys of the member marked removed: every other key's draws are the
// same and still end on the slot they ended on. It costs total weight / weight not removed draws
// per lookup on average. Because it is the same sequence as lookup_n's, a key's first replica is
// its owner.
#include "ringleader/placement.hpp"

#include <algorithm>
#include <array>
#include <limits>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>
#include <variant>
#include <vector>

#include "ringleader/algo/bounded_load.hpp"
#include "ringleader/algo/detail/distinct.hpp"
#include "ringleader/algo/detail/mix.hpp"
#include "ringleader/compat/hash_tag.hpp"
#include "ringleader/compat/ketama.hpp"
#include "ringleader/compat/modula.hpp"
#include "ringleader/compat/nginx.hpp"
#include "ringleader/distribution.hpp"
#include "ringleader/hash/twemproxy.hpp"
#include "ringleader/hash/xxh3.hpp"

namespace ringleader {
namespace {

using Family = DistributionInfo::Family;

// The one table of distribution names. ringleader's algorithms in algorithm_names() order (a unit
// test holds the two lists together). Not monotone (a unit test measures it): modula and modulo
// re-deal every slot; maglev refills its lookup table, so a join moves a few keys between old
// members too; anchor is built with as many buckets as lines, so a line added other than into a
// removed line's slot rebuilds it.
constexpr DistributionInfo kDistributions[] = {
    {"ketama", Family::ketama, false, true},         {"modula", Family::modula, false, false},
    {"random", Family::random, false, false},        {"nginx", Family::nginx, false, true},
    {"modulo", Family::algorithm, true, false},      {"ring", Family::algorithm, false, true},
    {"jump", Family::algorithm, true, true},         {"anchor", Family::algorithm, true, false},
    {"memento", Family::algorithm, true, true},      {"maglev", Family::algorithm, false, false},
    {"rendezvous", Family::algorithm, false, true},  {"multiprobe", Family::algorithm, false, true},
};

// To a table, a removed member's slot.
constexpr std::uint32_t kRemoved = std::numeric_limits<std::uint32_t>::max();

// Every server line as given, and for each the index of its member in Placement::members()
// (kRemoved for a removed line).
struct Lines {
  std::vector<PlacementMember> all;
  std::vector<std::uint32_t> member;
};

// The settings' distribution; throws for a name that is none.
const DistributionInfo& distribution_of(const PlacementSettings& settings) {
  const DistributionInfo* d = find_distribution(settings.distribution);
  if (d == nullptr) throw std::invalid_argument("placement: unknown distribution '" + settings.distribution + "'");
  return *d;
}

void validate(const std::vector<PlacementMember>& members, const PlacementSettings& settings) {
  if (std::all_of(members.begin(), members.end(), [](const PlacementMember& m) { return m.removed; }))
    throw std::invalid_argument("placement: no members (at least one that is not removed is required)");
  // Members are told apart by the name their distribution hashes: twemproxy's ketama name, else the
  // identity.
  const bool twemproxy = distribution_of(settings).twemproxy();
  std::unordered_set<std::string> seen;
  for (const PlacementMember& m : members) {
    if (m.identity().empty()) throw std::invalid_argument("placement: a member has neither a name nor an address");
    const std::string name = twemproxy ? m.ketama_name() : m.identity();
    if (m.removed) continue;  // a server may come back under its name, at the end or in a free slot
    if (!seen.insert(name).second) throw std::invalid_argument("placement: two members are named '" + name + "'");
  }
  if (settings.hash != "xxh3" && hash::twemproxy::find(settings.hash) == nullptr)
    throw std::invalid_argument("placement: unknown hash '" + settings.hash + "'");
  if (!settings.hash_tag.empty() && settings.hash_tag.size() != 2)
    throw std::invalid_argument("placement: hash_tag must be empty or two characters, got '" + settings.hash_tag + "'");
  if (settings.bounded_load && !(*settings.bounded_load >= 1.0))
    throw std::invalid_argument("placement: bounded_load must be at least 1, got " +
                                std::to_string(*settings.bounded_load));
}

// The lines that are not removed in twemproxy's order (string_compare: length first, then bytes).
std::vector<std::uint32_t> twemproxy_order(const std::vector<PlacementMember>& lines) {
  std::vector<std::string> names;
  names.reserve(lines.size());
  for (const PlacementMember& m : lines) names.push_back(m.ketama_name());
  std::vector<std::uint32_t> order;
  for (std::uint32_t i = 0; i < lines.size(); ++i)
    if (!lines[i].removed) order.push_back(i);
  std::stable_sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
    if (names[a].size() != names[b].size()) return names[a].size() < names[b].size();
    return names[a] < names[b];
  });
  return order;
}

// One distribution over a subset of the lines.
class Table {
 public:
  // `subset`: positions in lines, in the order the distribution is built over them.
  Table(const Lines& lines, const DistributionInfo& distribution, std::vector<std::uint32_t> subset)
      : to_line_(std::move(subset)), dist_(build(lines.all, distribution, to_line_)) {
    map_members(lines);
  }

  // The same algorithm over only the members with live[i], for Ejection::stable. Uses
  // Distribution::without() for ringleader's algorithms (in-place removal where the algorithm has
  // one), a rebuild over the live members for twemproxy's.
  Table without(const Lines& lines, const DistributionInfo& distribution, const std::vector<bool>& live) const {
    const auto ejected = [&](std::uint32_t line) {
      return lines.member[line] != kRemoved && !live[lines.member[line]];
    };
    if (const auto* d = std::get_if<std::unique_ptr<Distribution>>(&dist_)) {
      std::vector<std::string> gone;
      for (std::uint32_t i : to_line_)
        if (ejected(i)) gone.push_back(lines.all[i].identity());
      return Table(lines, (*d)->without(gone));
    }
    std::vector<std::uint32_t> rest;
    for (std::uint32_t i : to_line_)
      if (!ejected(i)) rest.push_back(i);
    return Table(lines, distribution, std::move(rest));
  }

  // The first out.size() distinct members with live[m] in key_hash's probe order; returns how many.
  // `dead`: how many of this table's members are not live (lookup_n need look no further than
  // out.size() + dead nodes).
  std::size_t probe(std::uint64_t key_hash, const std::vector<bool>& live, std::size_t dead,
                    std::span<std::uint32_t> out) const {
    std::size_t found = 0;
    const auto take = [&](std::uint32_t position) {
      const std::uint32_t m = to_member_[position];
      if (m == kRemoved || !live[m] || std::find(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(found), m) !=
                          out.begin() + static_cast<std::ptrdiff_t>(found))
        return false;
      out[found++] = m;
      return found == out.size();
    };
    if (out.empty()) return 0;
    const auto h32 = static_cast<std::uint32_t>(key_hash);
    // By the algorithm's type, not its index in the variant: a continuum added later walks as ketama.
    return std::visit(
        [&](const auto& algorithm) -> std::size_t {
          using A = std::decay_t<decltype(algorithm)>;
          if constexpr (requires { algorithm.points(); }) {
            // A continuum (ketama, nginx): the points from the key's one on, round the circle (ties
            // keep build order); nginx itself walks on this way past a down server.
            const auto points = algorithm.points();
            const auto first = std::lower_bound(
                points.begin(), points.end(), h32,
                [](const compat::ContinuumPoint& p, std::uint32_t h) { return p.value < h; });
            const auto start = static_cast<std::size_t>(first - points.begin());
            for (std::size_t i = 0; i < points.size(); ++i)
              if (take(points[(start + i) % points.size()].server)) break;
          } else if constexpr (std::is_same_v<A, compat::TwemproxyModula>) {  // the slots from the key's one on
            const auto slots = algorithm.slots();
            for (std::size_t i = 0; i < slots.size(); ++i)
              if (take(slots[(h32 % slots.size() + i) % slots.size()])) break;
          } else if constexpr (std::is_same_v<A, compat::TwemproxyRandom>) {  // no order: a random start
            const std::uint32_t start = algorithm.pick();
            for (std::size_t i = 0; i < to_member_.size(); ++i)
              if (take(static_cast<std::uint32_t>((start + i) % to_member_.size()))) break;
          } else {  // ringleader's algorithms: their own replica order
            const std::size_t n = std::min(to_member_.size(), out.size() + dead + removed_);
            std::array<BucketId, 32> small;  // a pool's replicas and ejected servers are few: no allocation
            std::vector<BucketId> large;
            std::span<BucketId> order(small.data(), std::min(n, small.size()));
            if (n > small.size()) {
              large.resize(n);
              order = large;
            }
            algorithm->lookup_n(key_hash, order);
            for (const BucketId b : order)
              if (take(b)) break;
          }
          return found;
        },
        dist_);
  }

  std::uint32_t lookup(std::uint64_t key_hash) const noexcept {
    // twemproxy's distributions take the 32-bit hash; a 64-bit one (xxh3) is truncated to it.
    const auto h32 = static_cast<std::uint32_t>(key_hash);
    switch (dist_.index()) {
      case 0: return to_member_[std::get<0>(dist_).lookup(h32)];
      case 1: return to_member_[std::get<1>(dist_).lookup(h32)];
      case 2: return to_member_[std::get<2>(dist_).pick()];
      case 3: return to_member_[std::get<3>(dist_).lookup(h32)];
      default: return kept(*std::get<4>(dist_), key_hash);
    }
  }

 private:
  using Algorithm = std::variant<compat::KetamaContinuum, compat::TwemproxyModula, compat::TwemproxyRandom,
                                 compat::NginxContinuum, std::unique_ptr<Distribution>>;

  Table(const Lines& lines, std::unique_ptr<Distribution> d) : to_line_(positions(lines, *d)), dist_(std::move(d)) {
    map_members(lines);
  }

  void map_members(const Lines& lines) {
    to_member_.reserve(to_line_.size());
    for (std::uint32_t line : to_line_) to_member_.push_back(lines.member[line]);
    removed_ = static_cast<std::size_t>(std::count(to_member_.begin(), to_member_.end(), kRemoved));
  }

  // The owner of key_hash among the members that are not removed (the file comment says why so).
  std::uint32_t kept(const Distribution& d, std::uint64_t key_hash) const noexcept {
    std::uint32_t m = to_member_[d.lookup(key_hash)];
    // distinct_by_rehash's draws, while they are all distinct nodes (nearly always): its first
    // member that is not removed is the first of these.
    for (std::uint64_t attempt = 0; m == kRemoved && attempt < algo::detail::kRetriesPerReplica; ++attempt)
      m = to_member_[d.lookup(algo::detail::mix(key_hash, attempt))];
    if (m != kRemoved) return m;
    // So many removed draws in a row that lookup_n's own fallback may be what decides: ask it, as
    // probe() does. Rare enough (the removed share to the 65th power) to allocate.
    std::vector<BucketId> order(std::min(to_member_.size(), removed_ + 1));
    d.lookup_n(key_hash, order);
    for (const BucketId b : order)
      if (to_member_[b] != kRemoved) return to_member_[b];
    return to_member_[order.front()];  // unreachable: order holds more nodes than are removed
  }

  static Algorithm build(const std::vector<PlacementMember>& members, const DistributionInfo& distribution,
                         const std::vector<std::uint32_t>& subset) {
    switch (distribution.family) {
      case Family::ketama: {
        std::vector<compat::KetamaServer> servers;
        for (std::uint32_t i : subset) servers.push_back({members[i].ketama_name(), members[i].weight});
        return Algorithm(std::in_place_type<compat::KetamaContinuum>, servers);
      }
      case Family::modula: {
        std::vector<std::uint32_t> weights;
        for (std::uint32_t i : subset) weights.push_back(members[i].weight);
        return Algorithm(std::in_place_type<compat::TwemproxyModula>, weights);
      }
      case Family::random:
        return Algorithm(std::in_place_type<compat::TwemproxyRandom>, static_cast<std::uint32_t>(subset.size()));
      case Family::nginx: {
        std::vector<compat::NginxServer> servers;
        for (std::uint32_t i : subset) servers.push_back({members[i].identity(), members[i].weight});
        return Algorithm(std::in_place_type<compat::NginxContinuum>, servers);
      }
      case Family::algorithm:
        break;
    }
    std::vector<Node> nodes;
    for (std::uint32_t i : subset) nodes.push_back({node_name(members, i), members[i].weight});
    return make_distribution(distribution.name, Membership(std::move(nodes)));
  }

  // A line's name to its distribution: a removed line's is made unique by its position (the server
  // may be listed again; names in a config never contain a space), so only its slots count.
  static std::string node_name(const std::vector<PlacementMember>& lines, std::uint32_t i) {
    return lines[i].removed ? lines[i].identity() + " (removed, line " + std::to_string(i) + ")" : lines[i].identity();
  }

  // Positions in lines of a distribution's nodes, found by name.
  static std::vector<std::uint32_t> positions(const Lines& lines, const Distribution& d) {
    std::unordered_map<std::string, std::uint32_t> position;
    for (std::uint32_t i = 0; i < lines.all.size(); ++i) position.emplace(node_name(lines.all, i), i);
    std::vector<std::uint32_t> out;
    for (const Node& n : d.membership().nodes()) out.push_back(position.at(n.name));
    return out;
  }

  std::vector<std::uint32_t> to_line_;
  Algorithm dist_;
  std::vector<std::uint32_t> to_member_;  // per node of the distribution: its member, or kRemoved
  std::size_t removed_ = 0;               // how many nodes are removed members
};

}  // namespace

// nc_conf.c: the address without ":port" when the port is 11211, else "addr:port"; a unix socket
// has an empty port text, so it becomes "path:" (the colon before its weight included).
std::string PlacementMember::ketama_name() const {
  if (!name.empty()) return name;
  if (address.starts_with('/')) return address + ":";
  if (address.ends_with(":11211")) return address.substr(0, address.size() - 6);
  return address;
}

std::span<const DistributionInfo> distributions() noexcept { return kDistributions; }

const DistributionInfo* find_distribution(std::string_view name) noexcept {
  for (const DistributionInfo& d : kDistributions)
    if (d.name == name) return &d;
  return nullptr;
}

class Placement::Impl {
 public:
  Impl(Lines lines, const PlacementSettings& settings, std::vector<bool> live)
      : lines_(std::move(lines)), hash_tag_(settings.hash_tag), live_(std::move(live)) {
    validate(lines_.all, settings);
    for (std::uint32_t i = 0; i < lines_.all.size(); ++i)
      if (!lines_.all[i].removed) members_.push_back(lines_.all[i]);
    const DistributionInfo& distribution = distribution_of(settings);
    const bool twemproxy = distribution.twemproxy();
    const bool nginx = distribution.family == Family::nginx;
    if (nginx) {
      hash32_ = &compat::NginxContinuum::key_hash;
    } else if (settings.hash != "xxh3") {
      hash32_ = hash::twemproxy::find(settings.hash)->hash;
    }
    // nginx's points and key hashes are 32-bit like twemproxy's: no mixing to 64 bits.
    hash_is_32_bit_ = twemproxy || nginx;
    // server_pool_hash(): a pool of one server, or an empty key, hashes to 0.
    twemproxy_zero_rules_ = twemproxy;
    single_server_ = members_.size() == 1;
    if (distribution.bounds_loads()) bounded_load_ = settings.bounded_load;
    for (std::size_t i = 0; i < members_.size(); ++i) {
      weights_.push_back(members_[i].weight);
      if (live_[i]) live_weight_ += members_[i].weight;
    }

    // Lines, in the order the distribution is built over them: removed ones only where they keep slots.
    const bool keep_removed = distribution.by_position;
    const std::vector<std::uint32_t> order = twemproxy ? twemproxy_order(lines_.all) : [&] {
      std::vector<std::uint32_t> o;
      for (std::uint32_t i = 0; i < lines_.all.size(); ++i)
        if (keep_removed || !lines_.all[i].removed) o.push_back(i);
      return o;
    }();
    std::vector<std::uint32_t> live_order;
    for (std::uint32_t i : order) {
      const std::uint32_t m = lines_.member[i];
      if (m == kRemoved || live_[m]) live_order.push_back(i);
      if (m != kRemoved && live_[m]) ++live_count_;
    }
    if (live_count_ == 0) return;

    const bool stable = settings.ejection == Ejection::stable && distribution.keyed();
    if (!stable || live_order.size() == order.size()) {
      // Replicas follow the probe order over every member, so ejecting one moves only its copies.
      if (live_order.size() != order.size()) everyone_.emplace(lines_, distribution, order);
      primary_.emplace(lines_, distribution, std::move(live_order));
    } else {
      primary_.emplace(lines_, distribution, order);
      // Slots by position: an ejected member's keys are re-drawn like a removed one's (lookup()), so
      // a member ejected, or draining, and then marked removed moves no key a second time.
      if (!keep_removed) fallback_.emplace(primary_->without(lines_, distribution, live_));
    }
  }

  std::uint64_t key_hash(std::string_view key) const noexcept {
    const std::string_view part = compat::hash_tag_part(key, hash_tag_);
    if (twemproxy_zero_rules_ && (single_server_ || part.empty())) return 0;
    if (hash32_ == nullptr) return hash::xxh3(part);
    // ringleader's algorithms read the high bits of a 64-bit hash (maglev and ring through a
    // multiply-high range reduction): twemproxy's 32-bit values would all fall on the first slot,
    // one server. Mixed to 64 bits (a bijection) they spread as they should.
    const std::uint64_t h = hash32_(part);
    return hash_is_32_bit_ ? h : algo::detail::fmix64(h);
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

  std::size_t servers_for(std::string_view key, std::span<std::uint32_t> out) const {
    if (!primary_) return 0;
    const Table& all = everyone_ ? *everyone_ : *primary_;
    return all.probe(key_hash(key), live_, members_.size() - live_count_, out.first(std::min(out.size(), live_count_)));
  }

  const std::vector<PlacementMember>& members() const noexcept { return members_; }
  std::size_t live_count() const noexcept { return live_count_; }

 private:
  // The live member that owns hash h.
  std::uint32_t lookup(std::uint64_t h) const noexcept {
    const std::uint32_t server = primary_->lookup(h);
    if (live_[server]) return server;
    if (fallback_) return fallback_->lookup(h);
    // Stable ejection over slots by position: the first live member of the re-draws.
    std::uint32_t owner = server;
    primary_->probe(h, live_, members_.size() - live_count_, std::span(&owner, 1));
    return owner;
  }

  Lines lines_;
  std::vector<PlacementMember> members_;  // the lines that are not removed
  std::string hash_tag_;
  hash::twemproxy::HashFn hash32_ = nullptr;  // a 32-bit hash (twemproxy's or nginx's); nullptr: xxh3
  bool twemproxy_zero_rules_ = false;
  bool hash_is_32_bit_ = false;  // twemproxy's and nginx's distributions take the 32-bit hash as it is
  bool single_server_ = false;
  std::vector<bool> live_;
  std::size_t live_count_ = 0;
  std::optional<Table> primary_;   // over the live members (rebuild) or all of them (stable)
  std::optional<Table> everyone_;  // rebuild with members ejected: every member, for servers_for()
  std::optional<Table> fallback_;  // stable with members ejected, by name: where an ejected member's keys go
  std::optional<double> bounded_load_;  // c, for ringleader's distributions
  std::vector<std::uint64_t> weights_;  // per member
  std::uint64_t live_weight_ = 0;
};

namespace {

Lines lines_of(std::vector<PlacementMember> members) {
  Lines lines{std::move(members), {}};
  std::uint32_t next = 0;
  for (const PlacementMember& m : lines.all) lines.member.push_back(m.removed ? kRemoved : next++);
  return lines;
}

std::size_t kept_count(const Lines& lines) {
  return static_cast<std::size_t>(lines.member.size() - std::count(lines.member.begin(), lines.member.end(), kRemoved));
}

}  // namespace

Placement::Placement(std::vector<PlacementMember> members, PlacementSettings settings) {
  Lines lines = lines_of(std::move(members));
  std::vector<bool> live(kept_count(lines), true);
  impl_ = std::make_unique<const Impl>(std::move(lines), settings, std::move(live));
}

Placement::Placement(std::vector<PlacementMember> members, PlacementSettings settings, std::span<const bool> live) {
  Lines lines = lines_of(std::move(members));
  if (live.size() != kept_count(lines))
    throw std::invalid_argument("placement: " + std::to_string(live.size()) + " live flags for " +
                                std::to_string(kept_count(lines)) + " members");
  impl_ = std::make_unique<const Impl>(std::move(lines), settings, std::vector<bool>(live.begin(), live.end()));
}

Placement::~Placement() = default;
Placement::Placement(Placement&&) noexcept = default;
Placement& Placement::operator=(Placement&&) noexcept = default;

std::uint32_t Placement::server_for(std::string_view key) const noexcept { return impl_->server_for(key); }
std::uint32_t Placement::server_for(std::string_view key, std::span<const std::uint64_t> loads) const noexcept {
  return impl_->server_for(key, loads);
}
bool Placement::bounded() const noexcept { return impl_->bounded(); }
std::size_t Placement::servers_for(std::string_view key, std::span<std::uint32_t> out) const {
  return impl_->servers_for(key, out);
}
std::uint64_t Placement::key_hash(std::string_view key) const noexcept { return impl_->key_hash(key); }
const std::vector<PlacementMember>& Placement::members() const noexcept { return impl_->members(); }
std::size_t Placement::server_count() const noexcept { return impl_->members().size(); }
std::size_t Placement::live_count() const noexcept { return impl_->live_count(); }

}  // namespace ringleader
