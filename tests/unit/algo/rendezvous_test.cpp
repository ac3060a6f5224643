// Rendezvous: exact weights, failover order, consistency for any change, list-order independence.
#include <gtest/gtest.h>

#include "ringleader/algo/rendezvous.hpp"
#include "ringleader/testing/checker.hpp"

namespace ringleader::algo {
namespace {

// Shares equal weight / total within sampling noise (the logarithmic method is exact).
TEST(Rendezvous, WeightsAreExact) {
  const auto keys = testing::sample_keys(400'000);
  const Rendezvous r(Membership({{"a", 1}, {"b", 2}, {"c", 3}, {"d", 4}}));
  const auto v = testing::check_weights(r, keys, 4 * testing::sampling_noise(keys.size(), 0.1));
  EXPECT_TRUE(v) << v.message;
}

// Removing the best node sends each key to its second-best: lookup_n is the failover order.
TEST(Rendezvous, SecondReplicaIsWhereKeysGoOnFailure) {
  const Membership m({{"a", 1}, {"b", 2}, {"c", 1}, {"d", 3}, {"e", 1}});
  const Rendezvous r(m);
  for (std::uint64_t h : testing::sample_keys(2000)) {
    BucketId out[5];
    r.lookup_n(h, out);
    const Rendezvous without_first(m.without(m[out[0]].name));
    ASSERT_EQ(without_first.membership()[without_first.lookup(h)].name, m[out[1]].name);
  }
}

// Any node can leave or join and only its keys move, weighted or not.
TEST(Rendezvous, RemovalAndAdditionAreMinimal) {
  const auto keys = testing::sample_keys(50'000);
  const Membership m({{"a", 1}, {"b", 2}, {"c", 1}, {"d", 3}});
  const Rendezvous r(m);
  const std::vector<std::string> gone = {"b"};
  EXPECT_TRUE(testing::check_removal(r, Rendezvous(m.without("b")), gone, keys));
  const std::vector<std::string> added = {"e"};
  EXPECT_TRUE(testing::check_addition(r, Rendezvous(m.with({"e", 5})), added, keys));
}

// Placement depends on names, not on list order.
TEST(Rendezvous, ListOrderDoesNotMatter) {
  const Membership a({{"x", 1}, {"y", 2}, {"z", 1}});
  const Membership b({{"z", 1}, {"x", 1}, {"y", 2}});
  EXPECT_TRUE(testing::check_same_placement(Rendezvous(a), Rendezvous(b), testing::sample_keys(50'000)));
}

}  // namespace
}  // namespace ringleader::algo
