// Memento: arbitrary removal in place, growth without capacity, LIFO reversal.
#include <gtest/gtest.h>

#include "ringleader/algo/jump.hpp"
#include "ringleader/algo/memento.hpp"
#include "ringleader/testing/checker.hpp"

namespace ringleader::algo {
namespace {

// Removing nodes from anywhere, each time only that node's keys move.
TEST(Memento, ArbitraryRemovalsAreMinimal) {
  const auto keys = testing::sample_keys(50'000);
  Memento m(Membership({{"a", 2}, {"b", 1}, {"c", 1}, {"d", 2}, {"e", 1}, {"f", 1}}));
  for (const char* name : {"c", "a", "f", "d"}) {
    const Memento next = m.without(name);
    const std::vector<std::string> gone = {name};
    const auto v = testing::check_removal(m, next, gone, keys);
    ASSERT_TRUE(v) << name << ": " << v.message;
    m = next;
  }
  EXPECT_TRUE(testing::check_weights(m, keys, 4 * testing::sampling_noise(keys.size(), 0.5)));
}

// Without removals Memento is jump hash over the slots: same placement as Jump.
TEST(Memento, WithoutRemovalsItIsJump) {
  const Membership m({{"a", 1}, {"b", 2}, {"c", 3}});
  EXPECT_TRUE(testing::check_same_placement(Memento(m), Jump(m), testing::sample_keys(20'000)));
}

// Removing then re-adding restores placement (LIFO), also when the tail shrank the b-array.
TEST(Memento, ReAddingTheLastRemovedNodeRestoresPlacement) {
  const auto keys = testing::sample_keys(50'000);
  const Memento m(Membership::uniform(9));
  EXPECT_TRUE(testing::check_same_placement(m, m.without("node-4").with({"node-4", 1}), keys));
  EXPECT_TRUE(testing::check_same_placement(m, m.without("node-8").with({"node-8", 1}), keys));
}

// Removing several nodes in one call equals removing them one by one (tail included).
TEST(Memento, RemovingSeveralAtOnceEqualsOneByOne) {
  const Memento m(Membership::uniform(10));
  const std::vector<std::string> gone = {"node-9", "node-2", "node-8", "node-5"};
  const Memento together = m.without(gone);
  const Memento one_by_one = m.without("node-9").without("node-2").without("node-8").without("node-5");
  const auto keys = testing::sample_keys(20'000);
  EXPECT_TRUE(testing::check_removal(m, together, gone, keys));
  EXPECT_TRUE(testing::check_same_placement(together, one_by_one, keys));
  EXPECT_THROW(m.without(std::vector<std::string>{"node-1", "nobody"}), std::invalid_argument);
}

// Growing beyond the initial size moves only keys that go to the new node (jump's growth).
TEST(Memento, GrowsWithoutCapacityLimit) {
  const auto keys = testing::sample_keys(50'000);
  const Memento m(Membership::uniform(3));
  Memento grown = m;
  for (int i = 0; i < 5; ++i) {
    const std::string name = "extra-" + std::to_string(i);
    const Memento next = grown.with({name, 1});
    const std::vector<std::string> added = {name};
    ASSERT_TRUE(testing::check_addition(grown, next, added, keys));
    grown = next;
  }
  EXPECT_EQ(grown.membership().size(), 8u);
}

}  // namespace
}  // namespace ringleader::algo
