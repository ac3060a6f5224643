// UhashringMd5 puts keys where uhashring's default ring (HashRing(nodes), python3-uhashring 2.x) puts
// them. The golden values below were printed by the installed library:
//   from uhashring import HashRing
//   r = HashRing(nodes=["cache-a", "cache-b", "cache-c"])
//   r2 = HashRing(nodes={"a": {"weight": 1}, "b": {"weight": 3}, "c": {"weight": 2, "vnodes": 10}})
//   r.get_node(key), r2.get_node(key), r2.get_key("user:42"), r2.get_points()[:2], and the count of
//   get_node("k%d" % i) per node for i < 10000.
// On a mismatch, fix the port: python/tests/test_uhashring_compat.py checks many more keys live.
#include "ringleader/compat/uhashring_md5.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

namespace ringleader::compat {
namespace {

constexpr Uint128 u128(std::uint64_t high, std::uint64_t low) { return Uint128{high} << 64 | low; }

std::string node_of(const UhashringMd5& ring, std::string_view key) { return ring.nodes()[ring.lookup(key)].name; }

// Equal weights and uhashring's defaults (160 points per node).
TEST(UhashringMd5, EqualNodesPlaceKeysAsUhashring) {
  const UhashringMd5 ring({{"cache-a"}, {"cache-b"}, {"cache-c"}});
  EXPECT_EQ(ring.points().size(), 480u);
  EXPECT_EQ(node_of(ring, "user:1"), "cache-a");
  EXPECT_EQ(node_of(ring, "user:2"), "cache-c");
  EXPECT_EQ(node_of(ring, "user:42"), "cache-b");
  EXPECT_EQ(node_of(ring, "session:7"), "cache-b");
  EXPECT_EQ(node_of(ring, ""), "cache-a");
  EXPECT_EQ(node_of(ring, "\xd0\xba\xd0\xbb\xd1\x8e\xd1\x87"), "cache-c");  // "ключ" in UTF-8
  EXPECT_EQ(node_of(ring, "cart:{9}"), "cache-c");
  std::vector<int> count(3, 0);
  for (int i = 0; i < 10000; ++i) ++count[ring.lookup("k" + std::to_string(i))];
  EXPECT_EQ(count, (std::vector<int>{3042, 3190, 3768}));
}

// Weights multiply the points, vnodes replaces the 160; the key hash and the points are uhashring's
// 128-bit integers.
TEST(UhashringMd5, WeightsAndVnodesPlaceKeysAsUhashring) {
  const UhashringMd5 ring({{"a", 1}, {"b", 3}, {"c", 2, 10}});
  ASSERT_EQ(ring.points().size(), 660u);
  EXPECT_TRUE(ring.points()[0] == u128(0x0025ca6899dd9738, 0x6e5b0f582073c179));
  EXPECT_EQ(ring.nodes()[ring.owners()[0]].name, "b");
  EXPECT_TRUE(ring.points()[1] == u128(0x002d259e1fc532bf, 0xb6687b1a70b46ead));
  EXPECT_EQ(ring.nodes()[ring.owners()[1]].name, "a");
  EXPECT_TRUE(UhashringMd5::hash("user:42") == u128(0x56dadf1868c3ba34, 0x0467c942a86c29de));
  EXPECT_EQ(node_of(ring, "user:1"), "a");
  EXPECT_EQ(node_of(ring, "user:2"), "b");
  EXPECT_EQ(node_of(ring, ""), "b");
  EXPECT_EQ(node_of(ring, "cart:{9}"), "a");
  std::vector<int> count(3, 0);
  for (int i = 0; i < 10000; ++i) ++count[ring.lookup("k" + std::to_string(i))];
  EXPECT_EQ(count, (std::vector<int>{2554, 7206, 240}));
}

// A hash above the last point wraps to the first point, as bisect_right does.
TEST(UhashringMd5, HashPastTheLastPointWrapsToTheFirst) {
  const UhashringMd5 ring({{"a"}, {"b"}});
  EXPECT_EQ(ring.point_for(~Uint128{0}), 0u);
  EXPECT_EQ(ring.point_for(ring.points()[0]), 1u);  // strictly greater
}

TEST(UhashringMd5, RejectsBadInput) {
  EXPECT_THROW(UhashringMd5({}), std::invalid_argument);
  EXPECT_THROW(UhashringMd5({{""}}), std::invalid_argument);
  EXPECT_THROW(UhashringMd5({{"a"}, {"a"}}), std::invalid_argument);
  EXPECT_THROW(UhashringMd5({{"a", 0}}), std::invalid_argument);
  EXPECT_THROW(UhashringMd5({{"a", 1u << 20, 160}}), std::invalid_argument);
}

}  // namespace
}  // namespace ringleader::compat
