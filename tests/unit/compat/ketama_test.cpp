// The ketama continuum shared by twemproxy and libmemcached: point counts from the float formula,
// MD5-derived point values, first-point-at-or-after lookup with wrap-around, and clear errors.
#include "ringleader/compat/ketama.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <string>
#include <stdexcept>
#include <vector>

#include "ringleader/hash/twemproxy.hpp"

namespace ringleader::compat {
namespace {

// Equal weights: 160 points each, except where float rounding bites: with 100 servers 1/100 * 160 / 4
// * 100 is 39.999998f, so each server gets 39 groups of 4 = 156 points (twemproxy and libmemcached alike).
TEST(KetamaContinuum, EqualWeightsGive160PointsEachUpToFloatRounding) {
  for (std::uint32_t n : {1u, 2u, 3u, 7u}) EXPECT_EQ(KetamaContinuum::points_for(1, n, n), 160u) << n;
  EXPECT_EQ(KetamaContinuum::points_for(1, 100, 100), 156u);
  const KetamaContinuum ring(std::vector<KetamaServer>{{"a", 1}, {"b", 1}, {"c", 1}});
  EXPECT_EQ(ring.points().size(), 480u);
}

// Weights 1 and 2 of two servers: floorf(1/3 * 160/4 * 2) * 4 = 26 * 4 and floorf(2/3 * 80) * 4 = 53 * 4.
TEST(KetamaContinuum, WeightedPointsRoundDownToGroupsOfFour) {
  EXPECT_EQ(KetamaContinuum::points_for(1, 3, 2), 104u);
  EXPECT_EQ(KetamaContinuum::points_for(2, 3, 2), 212u);
  const KetamaContinuum ring(std::vector<KetamaServer>{{"a", 1}, {"b", 2}});
  std::map<std::uint32_t, int> per_server;
  for (const auto& p : ring.points()) ++per_server[p.server];
  EXPECT_EQ(per_server[0], 104);
  EXPECT_EQ(per_server[1], 212);
}

// Group i of a server is MD5("<name>-<i>") read as four little-endian words.
TEST(KetamaContinuum, PointValuesAreTheMd5Words) {
  std::uint32_t values[4];
  KetamaContinuum::point_values("10.0.0.1", 5, values);
  EXPECT_EQ(values[0], hash::twemproxy::md5("10.0.0.1-5"));
  unsigned char digest[16];
  hash::twemproxy::md5_digest("10.0.0.1-5", digest);
  EXPECT_EQ(values[3], std::uint32_t{digest[12]} | std::uint32_t{digest[13]} << 8 | std::uint32_t{digest[14]} << 16 |
                           std::uint32_t{digest[15]} << 24);
}

// A key goes to the first point at or after its hash; past the last point it wraps to the first.
TEST(KetamaContinuum, LookupIsFirstPointAtOrAfterWithWrapAround) {
  const KetamaContinuum ring(std::vector<KetamaServer>{{"a", 1}, {"b", 1}, {"c", 1}, {"d", 1}});
  const auto points = ring.points();
  ASSERT_TRUE(std::is_sorted(points.begin(), points.end(),
                             [](const ContinuumPoint& x, const ContinuumPoint& y) { return x.value < y.value; }));
  for (std::size_t i = 1; i < points.size(); i += 37) {
    EXPECT_EQ(ring.lookup(points[i].value), points[i].server);
    if (points[i - 1].value + 1 < points[i].value) {
      EXPECT_EQ(ring.lookup(points[i - 1].value + 1), points[i].server);
    }
  }
  EXPECT_EQ(ring.lookup(0), points.front().server);
  if (points.back().value < 0xFFFFFFFFu) {
    EXPECT_EQ(ring.lookup(points.back().value + 1), points.front().server);
  }
}

// The bucket index finds what a binary search over the whole circle finds, for any circle size.
TEST(KetamaContinuum, IndexedLookupEqualsPlainBinarySearch) {
  std::mt19937 rng(3);
  for (std::uint32_t n : {1u, 2u, 7u, 300u}) {
    std::vector<KetamaServer> servers;
    for (std::uint32_t i = 0; i < n; ++i) servers.push_back({"s" + std::to_string(i), 1 + i % 5});
    const KetamaContinuum ring(servers);
    const auto points = ring.points();
    for (int i = 0; i < 100000; ++i) {
      const std::uint32_t h = i < 4 ? std::uint32_t{0xFFFFFFFFu} - i : static_cast<std::uint32_t>(rng());
      auto it = std::lower_bound(points.begin(), points.end(), h,
                                 [](const ContinuumPoint& p, std::uint32_t v) { return p.value < v; });
      if (it == points.end()) it = points.begin();
      ASSERT_EQ(ring.lookup(h), it->server) << n << " servers, hash " << h;
    }
  }
}

// Bad input is refused with a message, never undefined behaviour.
TEST(KetamaContinuum, RejectsBadServers) {
  EXPECT_THROW(KetamaContinuum(std::vector<KetamaServer>{}), std::invalid_argument);
  EXPECT_THROW(KetamaContinuum(std::vector<KetamaServer>{{"a", 0}}), std::invalid_argument);
  // twemproxy hashes at most 85 bytes of "<name>-<point>"; a longer name would read past its buffer.
  EXPECT_THROW(KetamaContinuum(std::vector<KetamaServer>{{std::string(84, 'x'), 1}}), std::invalid_argument);
  EXPECT_NO_THROW(KetamaContinuum(std::vector<KetamaServer>{{std::string(80, 'x'), 1}}));
}

// libmemcached names points "host" for port 11211 and "host:port" otherwise.
TEST(LibmemcachedKetama, PointNames) {
  EXPECT_EQ(LibmemcachedKetama::point_name({"10.0.0.1", 11211, 1}), "10.0.0.1");
  EXPECT_EQ(LibmemcachedKetama::point_name({"10.0.0.1", 11212, 1}), "10.0.0.1:11212");
}

}  // namespace
}  // namespace ringleader::compat
