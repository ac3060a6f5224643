// Jump: the paper's function, LIFO consistency, exact balance in expectation.
#include <gtest/gtest.h>

#include "ringleader/algo/jump.hpp"
#include "ringleader/testing/checker.hpp"

namespace ringleader::algo {
namespace {

// detail::jump against the paper's definition of consistency: with one bucket everything is 0,
// and growing from n to n+1 buckets moves a key only to bucket n.
TEST(Jump, GrowingOnlyMovesKeysToTheNewBucket) {
  for (std::uint64_t h : testing::sample_keys(20'000)) {
    ASSERT_EQ(detail::jump(h, 1), 0u);
    std::uint32_t previous = 0;
    for (std::uint32_t n = 2; n <= 64; ++n) {
      const std::uint32_t b = detail::jump(h, n);
      ASSERT_LT(b, n);
      ASSERT_TRUE(b == previous || b == n - 1) << "key " << h << " n " << n;
      previous = b;
    }
  }
}

// Values from an independent Python transcription of the paper's C++ listing (Python ints and
// floats, masking to 64 bits): a regression here means the LCG, the shift or the division changed.
TEST(Jump, MatchesTheFigureOneTranscription) {
  EXPECT_EQ(detail::jump(0, 100), 0u);
  EXPECT_EQ(detail::jump(1, 2), 0u);
  EXPECT_EQ(detail::jump(1, 1000), 549u);
  EXPECT_EQ(detail::jump(0xdeadbeef, 10), 5u);
  EXPECT_EQ(detail::jump(0xFFFF'FFFF'FFFF'FFFFULL, 1000), 313u);
  EXPECT_EQ(detail::jump(123456789, 100000), 42483u);
  EXPECT_EQ(detail::jump(42, 7), 2u);
}

// Appending a node moves only keys that go to it; removing the last moves only its keys; removing
// a middle node is NOT minimal (and the checker sees it).
TEST(Jump, IsConsistentForLastInFirstOutChangesOnly) {
  const auto keys = testing::sample_keys(50'000);
  const Membership m = Membership::uniform(8);
  const Jump j(m);
  const std::vector<std::string> added = {"node-8"};
  EXPECT_TRUE(testing::check_addition(j, Jump(m.with({"node-8", 1})), added, keys));
  const std::vector<std::string> last = {"node-7"};
  EXPECT_TRUE(testing::check_removal(j, Jump(m.without("node-7")), last, keys));
  const std::vector<std::string> middle = {"node-3"};
  EXPECT_FALSE(testing::check_removal(j, Jump(m.without("node-3")), middle, keys));
}

// with() and without_last() are the explicit LIFO changes: minimal, and they undo each other.
TEST(Jump, LastInFirstOutChangesAreExplicit) {
  const auto keys = testing::sample_keys(50'000);
  const Jump j(Membership({{"a", 1}, {"b", 2}, {"c", 1}}));
  const Jump grown = j.with({"d", 3});
  EXPECT_TRUE(testing::check_addition(j, grown, std::vector<std::string>{"d"}, keys));
  EXPECT_TRUE(testing::check_same_placement(j, grown.without_last(), keys));
  EXPECT_THROW(Jump(Membership::uniform(1)).without_last(), std::invalid_argument);
}

// Weights via slots: shares within sampling noise of weight / total.
TEST(Jump, HonoursWeights) {
  const auto keys = testing::sample_keys(400'000);
  const Jump j(Membership({{"a", 1}, {"b", 3}, {"c", 6}}));
  const auto v = testing::check_weights(j, keys, 4 * testing::sampling_noise(keys.size(), 0.1));
  EXPECT_TRUE(v) << v.message;
}

}  // namespace
}  // namespace ringleader::algo
