// The checker itself: each check fails on a table that breaks its promise, with a useful message.
#include <gtest/gtest.h>

#include <span>
#include <stdexcept>

#include "ringleader/algo/jump.hpp"
#include "ringleader/algo/modulo.hpp"
#include "ringleader/testing/checker.hpp"

namespace ringleader::testing {
namespace {

// A deliberately broken table: ignores weights, puts everything on node 0 when `skewed`, and
// repeats node 0 in lookup_n.
struct Broken {
  Membership nodes;
  bool skewed = false;
  BucketId lookup(std::uint64_t h) const noexcept {
    return skewed && h % 2 == 0 ? 0 : static_cast<BucketId>(h % nodes.size());
  }
  void lookup_n(std::uint64_t h, std::span<BucketId> out) const {
    for (BucketId& b : out) b = lookup(h);
  }
  const Membership& membership() const noexcept { return nodes; }
};

TEST(Checker, BalanceCatchesSkew) {
  const auto keys = sample_keys(20'000);
  const auto v = check_balance(Broken{Membership::uniform(4), true}, keys, 1.1);
  EXPECT_FALSE(v);
  EXPECT_NEAR(v.measured, 2.0, 0.05);  // half the keys on a quarter share
  EXPECT_NE(v.message.find("node-0"), std::string::npos) << v.message;
}

TEST(Checker, WeightsCatchIgnoredWeights) {
  const auto keys = sample_keys(20'000);
  const auto v = check_weights(Broken{Membership({{"a", 1}, {"b", 3}})}, keys, 0.05);
  EXPECT_FALSE(v);
  EXPECT_NE(v.message.find("weight"), std::string::npos) << v.message;
}

TEST(Checker, LookupNCatchesRepeats) {
  const auto v = check_lookup_n(Broken{Membership::uniform(4)}, sample_keys(10), 2);
  EXPECT_FALSE(v);
  EXPECT_NE(v.message.find("repeats"), std::string::npos) << v.message;
}

TEST(Checker, AdditionCatchesKeysMovingToOldNodes) {
  const auto keys = sample_keys(20'000);
  const Membership m = Membership::uniform(4);
  const std::vector<std::string> added = {"node-4"};
  const auto v = check_addition(algo::Modulo(m), algo::Modulo(m.with({"node-4", 1})), added, keys);
  EXPECT_FALSE(v);
  EXPECT_NE(v.message.find("not a new node"), std::string::npos) << v.message;
}

TEST(Checker, SamePlacementReportsDifferences) {
  const auto keys = sample_keys(20'000);
  const Membership m = Membership::uniform(4);
  const auto v = check_same_placement(algo::Modulo(m), algo::Jump(m), keys);
  EXPECT_FALSE(v);
  EXPECT_GT(v.measured, 0.5);
}

// verify_distribution names the algorithm and the failed promise.
TEST(Checker, VerifyDistributionReportsTheBrokenPromise) {
  const auto d = make_distribution("modulo", Membership::uniform(5));
  const auto v = verify_distribution(*d, Promises{}, sample_keys(20'000));
  EXPECT_FALSE(v);
  EXPECT_NE(v.message.find("modulo: removing"), std::string::npos) << v.message;
}

}  // namespace
}  // namespace ringleader::testing
