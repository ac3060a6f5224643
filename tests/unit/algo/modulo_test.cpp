// Modulo, the baseline: balanced, and NOT consistent; the checker must catch that.
#include <gtest/gtest.h>

#include "ringleader/algo/modulo.hpp"
#include "ringleader/testing/checker.hpp"

namespace ringleader::algo {
namespace {

// key_hash mod slots, slots laid out node by node (weight 2 owns two residues).
TEST(Modulo, IsKeyHashModuloTheSlots) {
  const Modulo m(Membership({{"a", 1}, {"b", 2}}));
  EXPECT_EQ(m.lookup(0), 0u);
  EXPECT_EQ(m.lookup(1), 1u);
  EXPECT_EQ(m.lookup(2), 1u);
  EXPECT_EQ(m.lookup(3), 0u);
}

// Removing one of four nodes moves about 3/4 of the keys, and check_removal reports the violation.
TEST(Modulo, MovesMostKeysAndTheCheckerSaysSo) {
  const auto keys = testing::sample_keys(100'000);
  const Membership four = Membership::uniform(4);
  const std::vector<std::string> gone = {"node-1"};
  const auto v = testing::check_removal(Modulo(four), Modulo(four.without("node-1")), gone, keys);
  EXPECT_FALSE(v);
  EXPECT_NEAR(v.measured, 0.75, 0.01);
  EXPECT_NE(v.message.find("did not leave"), std::string::npos) << v.message;
}

}  // namespace
}  // namespace ringleader::algo
