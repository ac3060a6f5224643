// Properties of every algorithm over random memberships and random sequences of changes. RapidCheck
// shrinks any counterexample to a small membership and a short sequence before reporting it.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "ringleader/algo/anchor.hpp"
#include "ringleader/algo/bounded_load.hpp"
#include "ringleader/algo/memento.hpp"
#include "ringleader/algo/ring.hpp"
#include "ringleader/distribution.hpp"
#include "ringleader/testing/checker.hpp"

namespace ringleader {
namespace {

// n nodes "n0".."n{n-1}" with weights 1..3.
Membership random_membership(std::size_t max_nodes) {
  const auto n = *rc::gen::inRange<std::size_t>(1, max_nodes + 1);
  const auto weights = *rc::gen::container<std::vector<std::uint32_t>>(n, rc::gen::inRange<std::uint32_t>(1, 4));
  std::vector<Node> nodes;
  for (std::size_t i = 0; i < n; ++i) nodes.push_back({"n" + std::to_string(i), weights[i]});
  return Membership(std::move(nodes));
}

// The algorithms that promise minimal disruption for any single removal or addition.
const std::vector<std::string_view> kConsistent = {"ring", "anchor", "memento", "rendezvous", "multiprobe"};

// Any sequence of removals (of any node) and additions moves, at each step, only the keys of the
// node that left or onto the node that joined.
RC_GTEST_PROP(Consistency, EveryChangeMovesOnlyTheChangedNodesKeys, ()) {
  const auto algorithm = *rc::gen::elementOf(kConsistent);
  const Membership start = random_membership(12);
  const auto keys = testing::sample_keys(2000, *rc::gen::arbitrary<std::uint64_t>());
  DistributionOptions options;
  options.anchor_capacity = 64;  // room for every addition below: growth stays in place
  options.ring_points = 20;      // smaller rings keep the property fast; consistency is unaffected
  std::unique_ptr<Distribution> d = make_distribution(algorithm, start, options);
  const auto steps = *rc::gen::inRange(1, 8);
  int fresh = 0;
  for (int step = 0; step < steps; ++step) {
    const Membership& m = d->membership();
    const bool remove = m.size() > 1 && *rc::gen::arbitrary<bool>();
    if (remove) {
      const auto victim = *rc::gen::inRange<std::size_t>(0, m.size());
      const std::vector<std::string> gone = {m[static_cast<BucketId>(victim)].name};
      auto next = d->without(gone);
      const auto v = testing::check_removal(*d, *next, gone, keys);
      RC_ASSERT(v.ok);
      d = std::move(next);
    } else {
      const std::vector<std::string> added = {"fresh" + std::to_string(fresh++)};
      auto next = d->with(Node{added[0], *rc::gen::inRange<std::uint32_t>(1, 4)});
      RC_ASSERT(testing::check_addition(*d, *next, added, keys).ok);
      d = std::move(next);
    }
  }
}

// Anchor and Memento: removing a node and adding it back restores every key's placement.
RC_GTEST_PROP(Consistency, RemoveThenReAddRestoresPlacement, ()) {
  const Membership m = random_membership(12);
  RC_PRE(m.size() > 1);
  const auto victim = m[*rc::gen::inRange<BucketId>(0, static_cast<BucketId>(m.size()))];
  const auto keys = testing::sample_keys(2000, *rc::gen::arbitrary<std::uint64_t>());
  const algo::Anchor a(m);
  RC_ASSERT(testing::check_same_placement(a, a.without(victim.name).with(victim), keys).ok);
  const algo::Memento me(m);
  RC_ASSERT(testing::check_same_placement(me, me.without(victim.name).with(victim), keys).ok);
}

// Jump: appending a node and removing the last one are minimal.
RC_GTEST_PROP(Consistency, JumpIsMinimalForLastInFirstOut, ()) {
  const Membership m = random_membership(20);
  const auto keys = testing::sample_keys(2000, *rc::gen::arbitrary<std::uint64_t>());
  const auto d = make_distribution("jump", m);
  const std::vector<std::string> added = {"tail"};
  const auto grown = d->with(Node{"tail", *rc::gen::inRange<std::uint32_t>(1, 4)});
  RC_ASSERT(testing::check_addition(*d, *grown, added, keys).ok);
  RC_ASSERT(testing::check_removal(*grown, *d, added, keys).ok);
}

// The Ring's direct-answer index agrees with binary search for any membership and points count.
RC_GTEST_PROP(Ring, IndexAgreesWithBinarySearch, ()) {
  const Membership m = random_membership(30);
  const algo::Ring r(m, {.points_per_weight = *rc::gen::inRange<std::uint32_t>(1, 200)});
  for (std::uint64_t h : testing::sample_keys(5000, *rc::gen::arbitrary<std::uint64_t>()))
    RC_ASSERT(r.lookup(h) == r.lookup_by_binary_search(h));
}

// lookup_n returns k distinct nodes starting with lookup(), for every algorithm, n and k <= n.
RC_GTEST_PROP(Replicas, LookupNIsDistinctAndStartsWithLookup, ()) {
  const auto algorithm = *rc::gen::elementOf(std::vector<std::string_view>(algorithm_names().begin(),
                                                                          algorithm_names().end()));
  const Membership m = random_membership(16);
  const auto d = make_distribution(algorithm, m);
  const auto k = *rc::gen::inRange<std::size_t>(0, m.size() + 1);
  RC_ASSERT(testing::check_lookup_n(*d, testing::sample_keys(200, *rc::gen::arbitrary<std::uint64_t>()), k).ok);
}

// Algorithms placing by name only give the same placement whatever the order of the list.
RC_GTEST_PROP(Placement, ListOrderDoesNotMatterForNamePlacedAlgorithms, ()) {
  const auto algorithm = *rc::gen::elementOf(std::vector<std::string_view>{"ring", "maglev", "rendezvous", "multiprobe"});
  const Membership m = random_membership(12);
  std::vector<Node> shuffled(m.nodes().begin(), m.nodes().end());
  const auto order = *rc::gen::container<std::vector<std::uint32_t>>(shuffled.size(), rc::gen::arbitrary<std::uint32_t>());
  std::vector<std::size_t> idx(shuffled.size());
  for (std::size_t i = 0; i < idx.size(); ++i) idx[i] = i;
  std::sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) { return order[a] < order[b]; });
  std::vector<Node> permuted;
  for (std::size_t i : idx) permuted.push_back(shuffled[i]);
  const auto a = make_distribution(algorithm, m);
  const auto b = make_distribution(algorithm, Membership(permuted));
  RC_ASSERT(testing::check_same_placement(*a, *b, testing::sample_keys(2000)).ok);
}

// BoundedLoad: for any factor, weights and acquire/release sequence, the node an acquire returns
// holds at most ceil(c x total x w / W).
RC_GTEST_PROP(BoundedLoad, NeverAboveTheBound, ()) {
  const Membership m = random_membership(10);
  const double c = 1.0 + *rc::gen::inRange(0, 200) / 100.0;
  const auto algorithm = *rc::gen::elementOf(std::vector<std::string_view>{"ring", "maglev", "anchor", "rendezvous"});
  std::shared_ptr<const Distribution> d = make_distribution(algorithm, m);
  algo::BoundedLoad bounded(d, c);
  const auto ops = *rc::gen::container<std::vector<std::uint64_t>>(rc::gen::arbitrary<std::uint64_t>());
  std::vector<BucketId> held;
  for (std::uint64_t op : ops) {
    if (!held.empty() && op % 4 == 0) {
      bounded.release(held.back());
      held.pop_back();
      continue;
    }
    const BucketId b = bounded.acquire(op);
    held.push_back(b);
    const double allowed = c * static_cast<double>(held.size()) * m[b].weight / static_cast<double>(m.total_weight());
    RC_ASSERT(static_cast<double>(bounded.load(b)) - 1 < allowed + 1e-9);
  }
}

}  // namespace
}  // namespace ringleader
