// BoundedLoad: never above ceil(c x mean) (weighted) under random acquire/release, over any table.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <memory>
#include <random>

#include "ringleader/algo/bounded_load.hpp"
#include "ringleader/algo/maglev.hpp"
#include "ringleader/algo/ring.hpp"
#include "ringleader/distribution.hpp"
#include "ringleader/testing/checker.hpp"

namespace ringleader::algo {
namespace {

// Random acquire/release (a fixed std::mt19937_64 stream, same on every platform); after every
// acquire the chosen node holds at most ceil(c x total x w / W), written here as
// load - 1 < c x total x w / W so the test does not share the class's formula.
template <class Table>
void expect_bound_holds(std::shared_ptr<const Table> table, double c) {
  BoundedLoad bounded(table, c);
  const Membership& m = table->membership();
  std::vector<std::uint64_t> loads(m.size(), 0);
  std::vector<BucketId> held;
  std::mt19937_64 rng(12345);
  for (int step = 0; step < 20'000; ++step) {
    if (!held.empty() && rng() % 3 == 0) {
      const std::size_t i = rng() % held.size();
      bounded.release(held[i]);
      --loads[held[i]];
      held[i] = held.back();
      held.pop_back();
      continue;
    }
    const BucketId b = bounded.acquire(rng());
    ++loads[b];
    held.push_back(b);
    const double allowed = c * static_cast<double>(held.size()) * m[b].weight / static_cast<double>(m.total_weight());
    ASSERT_LT(static_cast<double>(loads[b]) - 1, allowed + 1e-9) << "step " << step << " node " << m[b].name;
    ASSERT_EQ(bounded.load(b), loads[b]);
  }
  EXPECT_EQ(bounded.total_load(), held.size());
}

TEST(BoundedLoad, NeverAboveTheBoundOverMaglev) {
  const auto maglev = std::make_shared<const Maglev>(Membership::uniform(10));
  for (double c : {1.0, 1.25, 2.0}) expect_bound_holds(maglev, c);
}

TEST(BoundedLoad, NeverAboveTheBoundOverARingWithWeights) {
  const auto ring = std::make_shared<const Ring>(Membership({{"a", 1}, {"b", 2}, {"c", 5}, {"d", 1}}));
  for (double c : {1.0, 1.1, 1.5}) expect_bound_holds(ring, c);
}

TEST(BoundedLoad, NeverAboveTheBoundOverAnyDistribution) {
  for (std::string_view name : algorithm_names()) {
    std::shared_ptr<const Distribution> d = make_distribution(name, Membership::uniform(7));
    expect_bound_holds(d, 1.2);
  }
}

// With c = 1 and equal weights, acquiring without releasing fills every node to ceil(m/n).
TEST(BoundedLoad, FactorOneIsPerfectBalance) {
  BoundedLoad bounded(std::make_shared<const Maglev>(Membership::uniform(7)), 1.0);
  const auto keys = testing::sample_keys(100);
  for (std::uint64_t h : keys) bounded.acquire(h);
  for (BucketId b = 0; b < 7; ++b) EXPECT_LE(bounded.load(b), (100u + 6) / 7);
}

// With room everywhere (large c) every request stays on the key's own node.
TEST(BoundedLoad, KeysStayHomeWhileThereIsRoom) {
  const auto maglev = std::make_shared<const Maglev>(Membership::uniform(5));
  BoundedLoad bounded(maglev, 1000.0);
  for (std::uint64_t h : testing::sample_keys(1000)) ASSERT_EQ(bounded.acquire(h), maglev->lookup(h));
}

// Factors below 1, NaN and infinity, a missing table, and releasing an idle node are errors.
TEST(BoundedLoad, BadInputThrows) {
  const auto maglev = std::make_shared<const Maglev>(Membership::uniform(3));
  EXPECT_THROW(BoundedLoad(maglev, 0.99), std::invalid_argument);
  EXPECT_THROW(BoundedLoad(maglev, std::nan("")), std::invalid_argument);
  EXPECT_THROW(BoundedLoad(maglev, std::numeric_limits<double>::infinity()), std::invalid_argument);
  EXPECT_THROW(BoundedLoad(std::shared_ptr<const Maglev>(), 1.5), std::invalid_argument);
  BoundedLoad bounded(maglev, 1.5);
  EXPECT_THROW(bounded.release(0), std::invalid_argument);
  EXPECT_THROW(bounded.release(3), std::invalid_argument);
}

}  // namespace
}  // namespace ringleader::algo
