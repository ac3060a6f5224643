// Placement from members and settings alone: which string each distribution hashes for a member,
// twemproxy's member order, and the input it rejects. (Ejection, bounded loads and the golden
// vectors from nutcracker are tested through nutcracker.yml pools in tests/unit/config/.)
#include "ringleader/placement.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

namespace ringleader {
namespace {

using Members = std::vector<PlacementMember>;

std::vector<std::string> keys() {
  std::vector<std::string> k;
  for (int i = 0; i < 5000; ++i) k.push_back("key:" + std::to_string(i));
  return k;
}

// Every key goes to the member at the same index of both placements.
void expect_same_placement(const Placement& a, const Placement& b) {
  for (const std::string& k : keys()) ASSERT_EQ(a.server_for(k), b.server_for(k)) << k;
}

// (Designated initializers would read better, but g++ 12 warns about the members they leave out.)
PlacementSettings settings(const std::string& hash, const std::string& distribution) {
  PlacementSettings s;
  s.hash = hash;
  s.distribution = distribution;
  return s;
}
PlacementSettings twemproxy(const std::string& distribution) { return settings("fnv1a_64", distribution); }
const PlacementSettings kMaglev = settings("xxh3", "maglev");

// twemproxy names a member by its name, else its host alone on port 11211, else "host:port"; a
// socket path keeps the colon before its weight.
TEST(Placement, KetamaNamesAreTwemproxys) {
  EXPECT_EQ((PlacementMember{"cache-a", 1, "10.0.0.1:11211"}.ketama_name()), "cache-a");
  EXPECT_EQ((PlacementMember{"", 1, "10.0.0.1:11211"}.ketama_name()), "10.0.0.1");
  EXPECT_EQ((PlacementMember{"", 1, "10.0.0.1:11212"}.ketama_name()), "10.0.0.1:11212");
  EXPECT_EQ((PlacementMember{"", 1, "::1:11211"}.ketama_name()), "::1");
  EXPECT_EQ((PlacementMember{"", 1, "/run/a.sock"}.ketama_name()), "/run/a.sock:");
}

// ketama places an unnamed member as it places a member of that ketama name.
TEST(Placement, KetamaHashesAnUnnamedMemberAsTwemproxyNamesIt) {
  const Placement unnamed(Members{{"", 1, "10.0.0.1:11211"}, {"", 2, "10.0.0.2:11212"}}, twemproxy("ketama"));
  const Placement named(Members{{"10.0.0.1", 1, "a:1"}, {"10.0.0.2:11212", 2, "b:2"}}, twemproxy("ketama"));
  expect_same_placement(unnamed, named);
}

// A unix socket without a name is "path:" to twemproxy (the colon before its weight stays).
TEST(Placement, KetamaHashesAnUnnamedSocketWithItsColon) {
  const Placement unnamed(Members{{"", 1, "/run/a.sock"}, {"", 1, "/run/b.sock"}}, twemproxy("ketama"));
  const Placement named(Members{{"/run/a.sock:", 1, ""}, {"/run/b.sock:", 1, ""}}, twemproxy("ketama"));
  expect_same_placement(unnamed, named);
}

// ringleader's algorithms know a member by its name, else its address: moving a named member to
// another address moves no key.
TEST(Placement, AlgorithmsPlaceByNameNotAddress) {
  const Placement before(Members{{"a", 1, "10.0.0.1:11211"}, {"b", 1, "10.0.0.2:11211"}}, kMaglev);
  const Placement moved(Members{{"a", 1, "10.0.9.9:11211"}, {"b", 1, "10.0.0.2:11211"}}, kMaglev);
  expect_same_placement(before, moved);
  const Placement unnamed(Members{{"", 1, "10.0.0.1:11211"}, {"", 1, "10.0.0.2:11211"}}, kMaglev);
  const Placement named(Members{{"10.0.0.1:11211", 1, ""}, {"10.0.0.2:11211", 1, ""}}, kMaglev);
  expect_same_placement(unnamed, named);
}

// twemproxy sorts members by name before building, so the order they are listed in moves no key.
TEST(Placement, TwemproxyDistributionsIgnoreTheOrderOfMembers) {
  const Members forward = {{"cache-a", 1, ""}, {"cache-b", 2, ""}, {"c", 1, ""}};
  const Members backward = {forward[2], forward[1], forward[0]};
  for (const std::string dist : {"ketama", "modula"}) {
    const Placement a(forward, twemproxy(dist)), b(backward, twemproxy(dist));
    for (const std::string& k : keys())
      ASSERT_EQ(forward[a.server_for(k)].name, backward[b.server_for(k)].name) << dist << " " << k;
  }
}

TEST(Placement, NoLiveMember) {
  const Members members = {{"a", 1, ""}, {"b", 1, ""}};
  const bool none[] = {false, false};
  const Placement p(members, kMaglev, none);
  EXPECT_EQ(p.server_count(), 2u);
  EXPECT_EQ(p.live_count(), 0u);
  EXPECT_EQ(p.server_for("k"), Placement::kNoServer);
}

// Each bad input is refused with a message that says what is wrong.
TEST(Placement, RejectsBadInputSayingWhy) {
  using ::testing::HasSubstr;
  auto message = [](auto build) {
    try {
      build();
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("no exception");
  };
  const Members two = {{"a", 1, ""}, {"b", 1, ""}};
  const bool one_flag[] = {true};
  EXPECT_THAT(message([] { Placement(Members{}, kMaglev); }), HasSubstr("no members"));
  EXPECT_THAT(message([] { Placement(Members{{"", 1, ""}}, kMaglev); }), HasSubstr("neither a name nor an address"));
  EXPECT_THAT(message([] { Placement(Members{{"a", 1, "x:1"}, {"a", 1, "y:1"}}, kMaglev); }),
              HasSubstr("two members are named 'a'"));
  EXPECT_THAT(message([] { Placement(Members{{"", 1, "h:11211"}, {"h", 1, ""}}, twemproxy("ketama")); }),
              HasSubstr("two members are named 'h'"));
  EXPECT_THAT(message([&] { Placement(two, settings("sha1", "ketama")); }), HasSubstr("unknown hash 'sha1'"));
  EXPECT_THAT(message([&] { Placement(two, settings("xxh3", "nope")); }), HasSubstr("unknown distribution 'nope'"));
  PlacementSettings one_char_tag = kMaglev;
  one_char_tag.hash_tag = "{";
  EXPECT_THAT(message([&] { Placement(two, one_char_tag); }), HasSubstr("hash_tag"));
  PlacementSettings below_one = kMaglev;
  below_one.bounded_load = 0.5;
  EXPECT_THAT(message([&] { Placement(two, below_one); }), HasSubstr("bounded_load must be at least 1"));
  EXPECT_THAT(message([&] { Placement(two, kMaglev, one_flag); }), HasSubstr("1 live flags for 2 members"));
}

}  // namespace
}  // namespace ringleader
