// Maglev: the table's exact balance, weights, its bounded extra movement, name-order independence.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "ringleader/algo/maglev.hpp"
#include "ringleader/testing/checker.hpp"

namespace ringleader::algo {
namespace {

std::vector<std::size_t> entries_per_node(const Maglev& m) {
  std::vector<std::size_t> count(m.membership().size());
  for (BucketId b : m.table()) ++count[b];
  return count;
}

// Equal weights: every node owns floor(M/n) or ceil(M/n) entries (section 3.4), so peak-to-mean of
// the table is at most ceil(M/n)/(M/n): 1.007 at n = 1000.
TEST(Maglev, EqualWeightsOwnFloorOrCeilOfTheTable) {
  for (std::size_t n : {1u, 7u, 100u, 1000u}) {
    const Maglev m(Membership::uniform(n));
    const std::size_t lo = 65537 / n, hi = (65537 + n - 1) / n;
    for (std::size_t c : entries_per_node(m)) ASSERT_TRUE(c == lo || c == hi) << "n " << n << " count " << c;
  }
}

// A tiny prime table, checkable by hand: 3 nodes share 7 entries as 3/2/2, nothing left empty.
TEST(Maglev, TinyTableIsFullAndFair) {
  const Maglev m(Membership::uniform(3), {.table_size = 7});
  auto counts = entries_per_node(m);
  std::sort(counts.begin(), counts.end());
  EXPECT_EQ(counts, (std::vector<std::size_t>{2, 2, 3}));
}

// Weights: a node of weight w owns M * w / W entries, to within a few entries (Envoy's rounds).
TEST(Maglev, WeightsSetTheShareOfTheTable) {
  const Membership weighted({{"a", 1}, {"b", 2}, {"c", 3}, {"d", 4}});
  const Maglev m(weighted);
  const auto counts = entries_per_node(m);
  for (BucketId id = 0; id < 4; ++id) {
    const double expected = 65537.0 * weighted[id].weight / 10.0;
    EXPECT_NEAR(counts[id], expected, 4.0) << weighted[id].name;
  }
}

// Not minimal, but bounded: removing or adding one node moves at most 1% of keys beyond those that
// must move, at n = 10, 100, 1000 with the default table (measured: see docs/benchmarks.md).
TEST(Maglev, ExtraMovementIsBounded) {
  const auto keys = testing::sample_keys(100'000);
  for (std::size_t n : {10u, 100u, 1000u}) {
    const Membership m = Membership::uniform(n);
    const Maglev before(m);
    const std::string victim = "node-" + std::to_string(n / 2);
    const std::vector<std::string> gone = {victim};
    const auto removed = testing::check_extra_movement(before, Maglev(m.without(victim)), gone, keys, 0.01);
    EXPECT_TRUE(removed) << "n " << n << ": " << removed.message;
    const std::vector<std::string> added = {"fresh"};
    const auto grown = testing::check_extra_movement(before, Maglev(m.with({"fresh", 1})), added, keys, 0.01);
    EXPECT_TRUE(grown) << "n " << n << ": " << grown.message;
  }
}

// The extra movement exists (so the bound above is not vacuous): a strict minimal-removal check fails.
TEST(Maglev, IsNotStrictlyMinimal) {
  const auto keys = testing::sample_keys(100'000);
  const Membership m = Membership::uniform(50);
  const std::vector<std::string> gone = {"node-7"};
  EXPECT_FALSE(testing::check_removal(Maglev(m), Maglev(m.without("node-7")), gone, keys));
}

// Placement depends on names, not on the order of the membership list.
TEST(Maglev, ListOrderDoesNotMatter) {
  const Membership a({{"x", 1}, {"y", 2}, {"z", 1}, {"w", 3}});
  const Membership b({{"w", 3}, {"z", 1}, {"x", 1}, {"y", 2}});
  EXPECT_TRUE(testing::check_same_placement(Maglev(a), Maglev(b), testing::sample_keys(50'000)));
}

// The table size must be a prime no smaller than the node count.
TEST(Maglev, TableSizeIsValidated) {
  EXPECT_THROW(Maglev(Membership::uniform(3), {.table_size = 1}), std::invalid_argument);
  EXPECT_THROW(Maglev(Membership::uniform(3), {.table_size = 9}), std::invalid_argument);
  EXPECT_THROW(Maglev(Membership::uniform(12), {.table_size = 11}), std::invalid_argument);
  EXPECT_NO_THROW(Maglev(Membership::uniform(11), {.table_size = 11}));
}

}  // namespace
}  // namespace ringleader::algo
