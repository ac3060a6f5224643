// The placement puts every golden key exactly where the real program put it:
// - nutcracker 0.5.0 (tests/data/twemproxy/: every hash x {ketama, modula}, weights, names, port
//   11211 and others, hash tags, a unix-socket server);
// - nginx 1.22 `hash $request_uri consistent` (tests/data/nginx/: 4, 3 and 10 servers, weights,
//   server texts without a port, unix sockets) as `distribution: nginx`.
// On a mismatch, fix the placement: the data come from the real programs (each folder's `generate`),
// and regenerating them cannot make a wrong placement right.
#include <gtest/gtest.h>

#include "proxy/config/config.hpp"
#include "unit/placement/golden.hpp"

namespace ringleader::config {
namespace {

// Every key of every pool of tests/data/NAME/golden.tsv against the pools of tests/data/NAME/CONFIG.
void expect_golden(const std::string& name, const std::string& config_file, const std::string& program) {
  const auto golden = testing::load_golden(name);
  const Config config = load_file(testing::golden_dir(name) + "/" + config_file);
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
        ADD_FAILURE() << "pool " << pool.name << ": key #" << k << " goes to " << got << ", " << program << ": "
                      << golden.server[p][k];
      ++checked;
    }
    EXPECT_EQ(wrong, 0u) << "pool " << pool.name << ": " << wrong << " of " << golden.keys.size() << " keys misplaced";
  }
  EXPECT_EQ(checked, golden.keys.size() * golden.pools.size());
}

TEST(PlacementGolden, EveryKeyOfEveryPoolLandsWhereNutcrackerPutIt) { expect_golden("twemproxy", "nutcracker.yml", "nutcracker"); }

TEST(PlacementGolden, EveryUriOfEveryPoolLandsWhereNginxSentIt) { expect_golden("nginx", "ringleader.yml", "nginx"); }

}  // namespace
}  // namespace ringleader::config
