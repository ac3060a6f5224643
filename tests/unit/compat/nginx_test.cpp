// nginx's consistent hash: the point values come from CRC-32 chained as nginx chains it. The expected
// values were computed independently with Python's zlib.crc32 over the whole string
// (host "\0" port previous-point-as-4-LE-bytes); tests/data/nginx/ checks whole placements against
// the real nginx.
#include "ringleader/compat/nginx.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <stdexcept>
#include <vector>

#include "ringleader/hash/crc32.hpp"
#include "ringleader/hash/twemproxy.hpp"

namespace ringleader::compat {
namespace {

bool has_point(const NginxContinuum& ring, std::uint32_t value) {
  const auto points = ring.points();
  return std::any_of(points.begin(), points.end(), [&](const ContinuumPoint& p) { return p.value == value; });
}

TEST(NginxContinuum, PointsAreChainedCrc32OfHostNulPort) {
  const NginxContinuum ring(std::vector<NginxServer>{{"10.0.0.1:8080", 1}});
  EXPECT_EQ(ring.points().size(), 160u);
  for (std::uint32_t v : {0xf1ea5a8fu, 0x4bd08e68u, 0x84e5eeeeu}) EXPECT_TRUE(has_point(ring, v)) << std::hex << v;
}

// "unix:" is dropped and has no port; a text without ":digits" is all host.
TEST(NginxContinuum, UnixSocketsAndPortlessTextsHaveNoPort) {
  EXPECT_TRUE(has_point(NginxContinuum(std::vector<NginxServer>{{"unix:/x", 1}}), 0x43e819a7u));
  EXPECT_TRUE(has_point(NginxContinuum(std::vector<NginxServer>{{"cache-a", 1}}), 0x9de187dcu));
}

TEST(NginxContinuum, WeightGivesPointsAndKeysGoToThePointAtOrAfterTheirHash) {
  const NginxContinuum ring(std::vector<NginxServer>{{"10.0.0.1:8080", 1}, {"10.0.0.2:8080", 3}});
  EXPECT_EQ(ring.points().size(), 640u);  // no two equal points here
  const auto points = ring.points();
  EXPECT_TRUE(std::is_sorted(points.begin(), points.end(),
                             [](const ContinuumPoint& a, const ContinuumPoint& b) { return a.value < b.value; }));
  for (std::size_t i = 0; i < points.size(); ++i) {
    EXPECT_EQ(ring.lookup(points[i].value), points[i].server);
    if (points[i].value > 0 && (i == 0 || points[i - 1].value < points[i].value - 1))
      EXPECT_EQ(ring.lookup(points[i].value - 1), points[i].server);
  }
  EXPECT_EQ(ring.lookup(points.back().value + 1), points.front().server);  // wraps around
}

TEST(NginxContinuum, KeyHashIsCrc32) {
  EXPECT_EQ(NginxContinuum::key_hash("/img/1.png"), 0xfeece48fu);
  EXPECT_EQ(NginxContinuum::key_hash("/img/1.png"), hash::twemproxy::crc32a("/img/1.png"));
  EXPECT_EQ(hash::crc32_final(hash::crc32_update(hash::crc32_update(hash::kCrc32Init, "/img/"), "1.png")),
            0xfeece48fu);
}

TEST(NginxContinuum, RejectsNoServersAndWeightZero) {
  EXPECT_THROW(NginxContinuum(std::vector<NginxServer>{}), std::invalid_argument);
  EXPECT_THROW(NginxContinuum(std::vector<NginxServer>{{"a:1", 0}}), std::invalid_argument);
}

}  // namespace
}  // namespace ringleader::compat
