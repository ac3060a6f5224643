// MultiProbe: the definition transcribed by brute force, balance improving with probes.
#include <gtest/gtest.h>

#include <limits>
#include <string>

#include <xxhash.h>

#include "ringleader/algo/multiprobe.hpp"
#include "ringleader/testing/checker.hpp"

namespace ringleader::algo {
namespace {

// The paper's definition by brute force: for every probe, the clockwise distance to every point; the closest wins
// (earliest probe on ties). The indexed implementation must agree on every key.
TEST(MultiProbe, AgreesWithTheBruteForceDefinition) {
  const Membership m({{"a", 1}, {"b", 3}, {"c", 1}, {"d", 2}});
  const MultiProbe mp(m, {.probes = 5});
  struct Point {
    std::uint64_t position;
    BucketId owner;
  };
  std::vector<Point> points;
  for (BucketId id = 0; id < m.size(); ++id)
    for (std::uint32_t i = 0; i < m[id].weight; ++i) {
      const std::string label = m[id].name + "-" + std::to_string(i);
      points.push_back({XXH3_64bits(label.data(), label.size()), id});
    }
  for (std::uint64_t h : testing::sample_keys(20'000)) {
    std::uint64_t best = std::numeric_limits<std::uint64_t>::max();
    BucketId owner = 0;
    for (std::uint32_t probe = 0; probe < 5; ++probe) {
      const std::uint64_t p = detail::mix(h, probe);
      for (const Point& pt : points)
        if (pt.position - p < best) best = pt.position - p, owner = pt.owner;
    }
    ASSERT_EQ(mp.lookup(h), owner) << h;
  }
}

// More probes, better balance: 21 probes at 100 nodes stays under 1.15 (paper: ~1.05 plus our
// sampling noise); a single probe is a one-point-per-node ring and far worse.
TEST(MultiProbe, ProbesImproveBalance) {
  const auto keys = testing::sample_keys(500'000);
  const Membership m = Membership::uniform(100);
  const auto many = testing::check_balance(MultiProbe(m), keys, 1.15);
  EXPECT_TRUE(many) << many.message;
  const auto one = testing::check_balance(MultiProbe(m, {.probes = 1}), keys, 1.15);
  EXPECT_FALSE(one);
  EXPECT_GT(one.measured, 2 * (many.measured - 1) + 1);
}

// Any node can leave or join and only its keys move.
TEST(MultiProbe, RemovalAndAdditionAreMinimal) {
  const auto keys = testing::sample_keys(50'000);
  const Membership m = Membership::uniform(30);
  const MultiProbe mp(m);
  const std::vector<std::string> gone = {"node-4"};
  EXPECT_TRUE(testing::check_removal(mp, MultiProbe(m.without("node-4")), gone, keys));
  const std::vector<std::string> added = {"fresh"};
  EXPECT_TRUE(testing::check_addition(mp, MultiProbe(m.with({"fresh", 1})), added, keys));
}

// The documented weakness: the peak stays bounded but a point right after another node's point is
// starved, so weights are not honoured within any useful tolerance (header: use Rendezvous/Maglev).
TEST(MultiProbe, BoundsThePeakButCanStarveANode) {
  const auto keys = testing::sample_keys(500'000);
  std::vector<Node> nodes;
  for (std::uint32_t i = 0; i < 50; ++i) nodes.push_back({"node-" + std::to_string(i), 1 + i % 4});
  const MultiProbe mp{Membership(nodes)};
  EXPECT_TRUE(testing::check_balance(mp, keys, 1.15));
  const auto weights = testing::check_weights(mp, keys, 0.5);
  EXPECT_FALSE(weights);
  EXPECT_GT(weights.measured, 0.9);
}

// Probe counts outside 1..kMaxProbes are errors.
TEST(MultiProbe, ProbeCountIsValidated) {
  EXPECT_THROW(MultiProbe(Membership::uniform(2), {.probes = 0}), std::invalid_argument);
  EXPECT_THROW(MultiProbe(Membership::uniform(2), {.probes = MultiProbe::kMaxProbes + 1}), std::invalid_argument);
}

}  // namespace
}  // namespace ringleader::algo
