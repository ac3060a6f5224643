// Golden vectors: every algorithm still places the fixed keys of tests/data/golden/scenarios.hpp on
// the recorded nodes. A failure means placement changed, i.e. keys move in every deployment.
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "data/golden/scenarios.hpp"

namespace ringleader {
namespace {

constexpr const char* kHowToRegenerate =
    "\nPlacement changed. If that is a bug, fix it. If it is intended, it is a breaking change (every "
    "deployment moves these keys): regenerate with\n"
    "  cmake --build build/dev --target ringleader_golden_generate && "
    "build/dev/tests/unit/algo/ringleader_golden_generate tests/data/golden\n"
    "and say so in the release notes.";

class Golden : public ::testing::TestWithParam<std::string_view> {};

// Each recorded (scenario, key) still lands on the recorded node, and every pair is recorded.
TEST_P(Golden, PlacementMatchesTheRecordedVectors) {
  const std::string algorithm(GetParam());
  std::ifstream in(std::string(RINGLEADER_TEST_DATA) + "/golden/" + algorithm + ".txt");
  ASSERT_TRUE(in) << "missing golden file for " << algorithm << kHowToRegenerate;
  std::map<std::pair<std::string, std::string>, std::string> recorded;
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    std::string scenario, key, node;
    fields >> scenario >> key >> node;
    recorded[{scenario, key}] = node;
  }
  std::size_t checked = 0;
  for (const auto& s : golden::scenarios(algorithm)) {
    for (const std::string& key : golden::keys()) {
      const auto it = recorded.find({s.name, key});
      ASSERT_NE(it, recorded.end()) << s.name << " " << key << " is not recorded" << kHowToRegenerate;
      const std::string& now = s.distribution->membership()[s.distribution->lookup(hash::xxh3(key))].name;
      ASSERT_EQ(now, it->second) << algorithm << ", scenario " << s.name << ", " << key << kHowToRegenerate;
      ++checked;
    }
  }
  EXPECT_EQ(checked, recorded.size()) << "the golden file has entries no scenario produces" << kHowToRegenerate;
}

INSTANTIATE_TEST_SUITE_P(EveryAlgorithm, Golden, ::testing::ValuesIn(algorithm_names()),
                         [](const auto& info) { return std::string(info.param); });

}  // namespace
}  // namespace ringleader
