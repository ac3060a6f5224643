// The placement puts every golden key exactly where the real nutcracker 0.5.0 put it
// (tests/data/twemproxy/: every hash x {ketama, modula}, weights, names, port 11211 and others,
// hash tags, a unix-socket server). On a mismatch, fix the placement: the data come from nutcracker
// itself (tests/data/twemproxy/generate), and regenerating them cannot make a wrong placement right.
#include <gtest/gtest.h>

#include "proxy/config/config.hpp"
#include "unit/config/golden.hpp"

namespace ringleader::config {
namespace {

TEST(PlacementGolden, EveryKeyOfEveryPoolLandsWhereNutcrackerPutIt) {
  const auto golden = testing::load_twemproxy_golden();
  const Config config = load_file(testing::twemproxy_golden_dir() + "/nutcracker.yml");
  ASSERT_EQ(config.pools.size(), golden.pools.size());
  ASSERT_GE(golden.keys.size(), 2000u);
  std::size_t checked = 0;
  for (std::size_t p = 0; p < golden.pools.size(); ++p) {
    const Pool& pool = config.pool(golden.pools[p]);
    const Placement placement = make_placement(pool);
    std::size_t wrong = 0;
    for (std::size_t k = 0; k < golden.keys.size(); ++k) {
      const std::uint32_t got = placement.server_for(golden.keys[k]);
      if (got != golden.server[p][k] && ++wrong <= 3)
        ADD_FAILURE() << "pool " << pool.name << ": key #" << k << " goes to " << got << ", nutcracker: "
                      << golden.server[p][k];
      ++checked;
    }
    EXPECT_EQ(wrong, 0u) << "pool " << pool.name << ": " << wrong << " of " << golden.keys.size() << " keys misplaced";
  }
  EXPECT_EQ(checked, golden.keys.size() * golden.pools.size());
}

}  // namespace
}  // namespace ringleader::config
