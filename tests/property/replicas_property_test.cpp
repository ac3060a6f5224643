// Replicas keep consistent hashing's promise: a server that leaves takes only its own copies with
// it, each replaced by one copy on another server; every other copy of every key stays put.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "ringleader/placement.hpp"

namespace ringleader {
namespace {

std::vector<PlacementMember> random_members(std::size_t min, std::size_t max, bool equal_weights) {
  const auto n = *rc::gen::inRange<std::size_t>(min, max + 1);
  std::vector<PlacementMember> members;
  for (std::size_t i = 0; i < n; ++i)
    members.push_back({"s" + std::to_string(i), equal_weights ? 1u : *rc::gen::inRange<std::uint32_t>(1, 4), ""});
  return members;
}

PlacementSettings settings_for(const std::string& distribution) {
  PlacementSettings s;
  s.distribution = distribution;
  if (!find_distribution(distribution)->twemproxy()) s.hash = "xxh3";
  s.ejection = *rc::gen::element(Ejection::rebuild, Ejection::stable);
  return s;
}

std::vector<std::uint32_t> copies(const Placement& p, const std::string& key, std::size_t r) {
  std::vector<std::uint32_t> out(r);
  out.resize(p.servers_for(key, out));
  return out;
}

// `after` is `before` with `gone` taken out (order kept) and one member that was not there put last;
// or, if `before` did not hold `gone`, the same. Members are compared by name.
void check_only_its_copies_moved(const std::vector<std::string>& before, const std::vector<std::string>& after,
                                 const std::string& gone) {
  std::vector<std::string> kept = before;
  std::erase(kept, gone);
  if (kept.size() == before.size()) {
    RC_ASSERT(after == before);
    return;
  }
  RC_ASSERT(after.size() == before.size());
  RC_ASSERT(std::equal(kept.begin(), kept.end(), after.begin()));
  RC_ASSERT(std::find(before.begin(), before.end(), after.back()) == before.end());
}

std::vector<std::string> names(const std::vector<PlacementMember>& members, const std::vector<std::uint32_t>& ids) {
  std::vector<std::string> out;
  for (const std::uint32_t i : ids) out.push_back(members[i].name);
  return out;
}

// Ejecting a server (any distribution but random, any weights, either ejection mode) moves only
// the copies it held.
RC_GTEST_PROP(Replicas, EjectingAServerMovesOnlyItsCopies, ()) {
  const auto distribution = *rc::gen::element<std::string>("ketama", "modula", "nginx", "ring", "maglev", "anchor",
                                                           "memento", "jump", "rendezvous", "multiprobe");
  const auto members = random_members(2, 10, false);
  const auto r = *rc::gen::inRange<std::size_t>(1, members.size());
  const PlacementSettings settings = settings_for(distribution);
  std::vector<bool> live(members.size(), true);
  // Some servers may be out already; one more leaves.
  for (std::size_t i = 0; i + 1 < members.size(); ++i) live[i] = *rc::gen::weightedElement<bool>({{1, false}, {3, true}});
  std::vector<std::uint32_t> up;
  for (std::uint32_t i = 0; i < members.size(); ++i)
    if (live[i]) up.push_back(i);
  RC_PRE(up.size() >= 2);
  const std::uint32_t victim = *rc::gen::elementOf(up);
  const std::unique_ptr<bool[]> flags(new bool[members.size()]);
  std::copy(live.begin(), live.end(), flags.get());
  const Placement before(members, settings, std::span<const bool>(flags.get(), members.size()));
  flags[victim] = false;
  const Placement after(members, settings, std::span<const bool>(flags.get(), members.size()));
  const std::size_t want = std::min(r, up.size() - 1);
  for (int k = 0; k < 300; ++k) {
    const std::string key = "key:" + std::to_string(k);
    auto b = names(members, copies(before, key, want));
    check_only_its_copies_moved(b, names(members, copies(after, key, want)), members[victim].name);
  }
}

// Removing a server from the pool's list (a membership change, not an ejection) moves only its
// copies with the distributions whose probe order is a walk that no other server's presence
// changes: ketama (equal weights: its points per server do not depend on the count), nginx (its
// points never do), ring, rendezvous.
RC_GTEST_PROP(Replicas, RemovingAServerMovesOnlyItsCopies, ()) {
  const auto distribution = *rc::gen::element<std::string>("ketama", "nginx", "ring", "rendezvous");
  const auto members = random_members(3, 10, distribution == "ketama");
  const auto r = *rc::gen::inRange<std::size_t>(1, members.size() - 1);
  const PlacementSettings settings = settings_for(distribution);
  const auto victim = *rc::gen::inRange<std::size_t>(0, members.size());
  auto fewer = members;
  fewer.erase(fewer.begin() + static_cast<std::ptrdiff_t>(victim));
  const Placement before(members, settings);
  const Placement after(fewer, settings);
  for (int k = 0; k < 300; ++k) {
    const std::string key = "key:" + std::to_string(k);
    check_only_its_copies_moved(names(members, copies(before, key, r)), names(fewer, copies(after, key, r)),
                                members[victim].name);
  }
}

}  // namespace
}  // namespace ringleader
