// twemproxy's modula (servers repeated by weight, hash % slots) and random (uniform over live servers).
#include "ringleader/compat/modula.hpp"

#include <gtest/gtest.h>

#include <set>
#include <stdexcept>
#include <vector>

namespace ringleader::compat {
namespace {

// Weights {1, 2, 1} give slots [0, 1, 1, 2]: hash % 4 picks the slot.
TEST(TwemproxyModula, SlotsRepeatServersByWeight) {
  const std::vector<std::uint32_t> weights{1, 2, 1};
  const TwemproxyModula m(weights);
  EXPECT_EQ(m.slot_count(), 4u);
  const std::uint32_t expected[] = {0, 1, 1, 2, 0, 1, 1, 2};
  for (std::uint32_t h = 0; h < 8; ++h) EXPECT_EQ(m.lookup(h), expected[h]) << h;
  EXPECT_EQ(m.lookup(0xFFFFFFFFu), expected[0xFFFFFFFFu % 4]);
}

TEST(TwemproxyModula, RejectsBadWeights) {
  EXPECT_THROW(TwemproxyModula(std::vector<std::uint32_t>{}), std::invalid_argument);
  EXPECT_THROW(TwemproxyModula(std::vector<std::uint32_t>{1, 0}), std::invalid_argument);
  EXPECT_THROW(TwemproxyModula(std::vector<std::uint32_t>{2147483647u, 1}), std::invalid_argument);  // 2^31 slots
}

// random picks only live servers, and reaches each of them.
TEST(TwemproxyRandom, PicksEveryServerAndNothingElse) {
  const TwemproxyRandom r(5);
  std::set<std::uint32_t> seen;
  for (int i = 0; i < 2000; ++i) {
    const std::uint32_t s = r.pick();
    ASSERT_LT(s, 5u);
    seen.insert(s);
  }
  EXPECT_EQ(seen.size(), 5u);
  EXPECT_THROW(TwemproxyRandom(0), std::invalid_argument);
}

}  // namespace
}  // namespace ringleader::compat
