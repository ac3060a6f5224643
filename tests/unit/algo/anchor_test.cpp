// Anchor: arbitrary removal in place moves exactly the removed node's keys; additions reverse them.
#include <gtest/gtest.h>

#include "ringleader/algo/anchor.hpp"
#include "ringleader/testing/checker.hpp"

namespace ringleader::algo {
namespace {

// Removing nodes one after another, from anywhere, each time moves only that node's keys.
TEST(Anchor, ArbitraryRemovalsAreMinimal) {
  const auto keys = testing::sample_keys(50'000);
  Anchor a(Membership::uniform(12));
  for (const char* name : {"node-5", "node-0", "node-11", "node-7"}) {
    const Anchor next = a.without(name);
    const std::vector<std::string> gone = {name};
    const auto v = testing::check_removal(a, next, gone, keys);
    ASSERT_TRUE(v) << name << ": " << v.message;
    a = next;
  }
  EXPECT_EQ(a.membership().size(), 8u);
  EXPECT_TRUE(testing::check_balance(a, keys, 1.0 + 4 * testing::sampling_noise(keys.size(), 1.0 / 8)));
}

// Re-adding the node removed last gives it exactly its old keys back.
TEST(Anchor, ReAddingTheLastRemovedNodeRestoresPlacement) {
  const auto keys = testing::sample_keys(50'000);
  const Anchor a(Membership({{"a", 1}, {"b", 2}, {"c", 1}, {"d", 3}}));
  const Anchor back = a.without("b").with({"b", 2});
  EXPECT_TRUE(testing::check_same_placement(a, back, keys));
}

// An addition moves only keys that now go to the new node, also into previously removed slots.
TEST(Anchor, AdditionsAreMinimal) {
  const auto keys = testing::sample_keys(50'000);
  const Anchor a = Anchor(Membership::uniform(6)).without("node-2");
  const std::vector<std::string> added = {"fresh"};
  EXPECT_TRUE(testing::check_addition(a, a.with({"fresh", 1}), added, keys));
}

// Removing several nodes in one call equals removing them one by one; bad lists are errors.
TEST(Anchor, RemovingSeveralAtOnceEqualsOneByOne) {
  const Anchor a(Membership({{"a", 1}, {"b", 2}, {"c", 1}, {"d", 3}, {"e", 1}}));
  const std::vector<std::string> gone = {"d", "a", "c"};
  const Anchor together = a.without(gone);
  EXPECT_TRUE(testing::check_same_placement(together, a.without("d").without("a").without("c"),
                                            testing::sample_keys(20'000)));
  EXPECT_TRUE(testing::check_removal(a, together, gone, testing::sample_keys(20'000)));
  EXPECT_THROW(a.without(std::vector<std::string>{"a", "a"}), std::invalid_argument);
  EXPECT_THROW(a.without(std::vector<std::string>{"a", "b", "c", "d", "e"}), std::invalid_argument);
}

// Capacity: defaults to twice the weight; an explicit one below the weight is an error; with()
// beyond it is std::length_error.
TEST(Anchor, CapacityIsEnforced) {
  EXPECT_EQ(Anchor(Membership::uniform(5)).capacity(), 10u);
  EXPECT_THROW(Anchor(Membership::uniform(5), {.capacity = 4}), std::invalid_argument);
  const Anchor full(Membership::uniform(5), {.capacity = 5});
  EXPECT_EQ(full.free_slots(), 0u);
  EXPECT_THROW(full.with({"x", 1}), std::length_error);
  EXPECT_THROW(full.without("nobody"), std::invalid_argument);
}

// With capacity == working slots and no removal, a lookup is the first reduction: no rehash.
TEST(Anchor, WithoutRemovalsTheFirstSlotIsTheAnswer) {
  const Anchor a(Membership::uniform(10), {.capacity = 10});
  for (std::uint64_t h : testing::sample_keys(1000)) ASSERT_EQ(a.lookup(h), detail::reduce(h, 10));
}

}  // namespace
}  // namespace ringleader::algo
