// Placement from members and settings alone: which string each distribution hashes for a member,
// twemproxy's member order, the input it rejects, the distributions' properties. (Ejection,
// bounded loads and the golden vectors: through nutcracker.yml pools, pool_placement_test.cpp and
// golden_test.cpp beside it.)
#include "ringleader/placement.hpp"

#include "ringleader/compat/ketama.hpp"
#include "ringleader/distribution.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
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

// A member marked removed takes no keys and is not in members(); only its keys move, for every
// distribution (jump, anchor, memento and modulo keep its slots; the others place by name).
TEST(PlacementRemoved, OnlyTheRemovedMembersKeysMove) {
  std::vector<PlacementSettings> all = {twemproxy("ketama"), settings("fnv1a_64", "nginx")};
  for (const std::string_view d : algorithm_names()) all.push_back(settings("xxh3", std::string(d)));
  for (const PlacementSettings& s : all) {
    const Members lines = {{"s1", 1, "a:1"}, {"s2", 1, "b:1"}, {"s3", 1, "c:1"}, {"s4", 1, "d:1"}};
    const Placement before(lines, s);
    for (std::size_t gone = 0; gone < lines.size(); ++gone) {
      Members marked = lines;
      marked[gone].removed = true;
      const Placement after(marked, s);
      ASSERT_EQ(after.members().size(), 3u);
      std::size_t others_moved = 0;
      for (const std::string& k : keys()) {
        const std::string& was = before.members()[before.server_for(k)].name;
        const std::string& is = after.members()[after.server_for(k)].name;
        ASSERT_NE(is, lines[gone].name) << s.distribution;
        others_moved += was != lines[gone].name && is != was;
      }
      // maglev rebuilds its table: a handful of other keys move (under 1%).
      EXPECT_LE(others_moved, s.distribution == "maglev" ? keys().size() / 100 : 0u) << s.distribution << " " << gone;
    }
  }
}

// Which members are removed decides placement, not the order they left in, nor what happened
// before: two placements of the same lines agree, whichever line was marked first.
TEST(PlacementRemoved, TheSetOfRemovedLinesDecides) {
  for (const std::string d : {"jump", "anchor", "memento", "modulo"}) {
    Members lines;
    for (int i = 0; i < 8; ++i) lines.push_back({"s" + std::to_string(i), 1 + static_cast<std::uint32_t>(i % 3), ""});
    lines[1].removed = lines[4].removed = lines[6].removed = true;
    expect_same_placement(Placement(lines, settings("xxh3", d)), Placement(lines, settings("xxh3", d)));
    // Marking one more moves only its keys, whether it is above or below the removed ones.
    for (const std::size_t more : {std::size_t{0}, std::size_t{5}, std::size_t{7}}) {
      Members marked = lines;
      marked[more].removed = true;
      const Placement before(lines, settings("xxh3", d)), after(marked, settings("xxh3", d));
      for (const std::string& k : keys()) {
        const std::string& was = before.members()[before.server_for(k)].name;
        if (was != lines[more].name) ASSERT_EQ(after.members()[after.server_for(k)].name, was) << d << " " << k;
      }
    }
  }
}

// A new server written in place of a removed line of the same weight takes its slots: only keys
// that go to it move.
TEST(PlacementRemoved, ANewServerTakesAFreeSlot) {
  for (const std::string d : {"jump", "anchor", "memento", "modulo"}) {
    const Members before_lines = {{"s1", 1, ""}, {"s2", 2, "", true}, {"s3", 1, ""}, {"s4", 1, ""}};
    Members after_lines = before_lines;
    after_lines[1] = {"s5", 2, ""};
    const Placement before(before_lines, settings("xxh3", d)), after(after_lines, settings("xxh3", d));
    std::size_t taken = 0;
    for (const std::string& k : keys()) {
      const std::string& is = after.members()[after.server_for(k)].name;
      taken += is == "s5";
      if (is != "s5") ASSERT_EQ(before.members()[before.server_for(k)].name, is) << d << " " << k;
    }
    EXPECT_GT(taken, keys().size() / 3) << d;  // 2 of 5 slots: about 40%
  }
}

// Replicas skip removed members too, and a key's first copy is still its owner.
TEST(PlacementRemoved, ReplicasSkipRemovedMembers) {
  for (const std::string d : {"jump", "anchor", "memento", "modulo", "maglev"}) {
    const Members lines = {{"s1", 1, ""}, {"s2", 1, "", true}, {"s3", 1, ""}, {"s4", 1, "", true}, {"s5", 1, ""}};
    const Placement p(lines, settings("xxh3", d));
    ASSERT_EQ(p.server_count(), 3u);
    for (const std::string& k : keys()) {
      std::uint32_t copies[3];
      ASSERT_EQ(p.servers_for(k, copies), 3u);
      EXPECT_EQ(copies[0], p.server_for(k)) << d << " " << k;
      EXPECT_NE(copies[0], copies[1]);
      EXPECT_NE(copies[1], copies[2]);
      EXPECT_NE(copies[0], copies[2]);
    }
  }
}

// Under stable ejection a member ejected (or draining) sends its keys where marking it removed
// sends them, so the later edit of its line moves nothing.
TEST(PlacementRemoved, EjectedKeysGoWhereRemovedKeysGo) {
  for (const std::string d : {"jump", "anchor", "memento", "modulo"}) {
    PlacementSettings s = settings("xxh3", d);
    s.ejection = Ejection::stable;
    const Members lines = {{"s1", 1, ""}, {"s2", 2, ""}, {"s3", 1, ""}, {"s4", 1, ""}};
    const bool live[] = {true, false, true, true};
    const Placement ejected(lines, s, live);
    Members marked = lines;
    marked[1].removed = true;
    const Placement removed(marked, s);
    for (const std::string& k : keys())
      ASSERT_EQ(lines[ejected.server_for(k)].name, removed.members()[removed.server_for(k)].name) << d << " " << k;
  }
}

// Every line removed leaves nothing to place on. A server may come back under the name of a
// removed line (at the end, say, with a new weight): the removed line keeps only its slots.
TEST(PlacementRemoved, RejectsNoLineThatIsNotRemovedAcceptsANameBack) {
  EXPECT_THROW(Placement(Members{{"a", 1, "", true}}, kMaglev), std::invalid_argument);
  for (const std::string d : {"jump", "anchor", "maglev"}) {
    const Placement back(Members{{"a", 1, "", true}, {"b", 1, ""}, {"a", 3, ""}}, settings("xxh3", d));
    ASSERT_EQ(back.server_count(), 2u);
    std::size_t on_a = 0;
    for (const std::string& k : keys()) on_a += back.members()[back.server_for(k)].name == "a";
    EXPECT_GT(on_a, keys().size() / 2) << d;  // weight 3 of 4
  }
}

Members four() {
  return {{"", 1, "10.0.0.1:11211"}, {"", 1, "10.0.0.2:11211"}, {"", 2, "10.0.0.3:11211"}, {"", 1, "10.0.0.4:11211"}};
}

// With every member live, a key's first copy is on the server it has without replicas, so a pool
// that turns replicas on keeps every key where it was; the other copies are distinct members.
TEST(PlacementReplicas, FirstCopyIsTheOwnerAndCopiesAreDistinct) {
  for (const std::string distribution : {"ketama", "modula", "ring", "maglev", "anchor", "jump", "rendezvous"}) {
    const Placement p(four(), distribution == "ketama" || distribution == "modula" ? twemproxy(distribution)
                                                                                 : settings("xxh3", distribution));
    for (const std::string& k : keys()) {
      std::uint32_t copies[3];
      ASSERT_EQ(p.servers_for(k, copies), 3u);
      EXPECT_EQ(copies[0], p.server_for(k)) << distribution << " " << k;
      EXPECT_NE(copies[0], copies[1]);
      EXPECT_NE(copies[0], copies[2]);
      EXPECT_NE(copies[1], copies[2]);
    }
  }
}

// ketama's copies are the next distinct servers clockwise on twemproxy's circle: checked against a
// walk of the continuum written out here.
TEST(PlacementReplicas, KetamaWalksTheCircle) {
  const Placement p(four(), twemproxy("ketama"));
  std::vector<compat::KetamaServer> servers;
  for (const auto& m : four()) servers.push_back({m.ketama_name(), m.weight});
  const compat::KetamaContinuum circle(servers);
  const auto points = circle.points();
  for (const std::string& k : keys()) {
    const auto h = static_cast<std::uint32_t>(p.key_hash(k));
    std::size_t i = 0;
    while (i < points.size() && points[i].value < h) ++i;
    std::vector<std::uint32_t> walk;
    for (std::size_t step = 0; walk.size() < 2; ++step) {
      const std::uint32_t s = points[(i + step) % points.size()].server;
      if (std::find(walk.begin(), walk.end(), s) == walk.end()) walk.push_back(s);
    }
    std::uint32_t copies[2];
    p.servers_for(k, copies);
    EXPECT_EQ(std::vector<std::uint32_t>(copies, copies + 2), walk) << k;
  }
}

// An ejected member is skipped (its copies go to the next live member); asking for more copies than
// there are live members gives the live members; none live gives none.
TEST(PlacementReplicas, EjectedMembersAreSkipped) {
  const bool live[] = {true, false, true, false};
  const Placement all(four(), twemproxy("ketama"));
  const Placement two(four(), twemproxy("ketama"), live);
  for (const std::string& k : keys()) {
    std::uint32_t copies[4];
    ASSERT_EQ(two.servers_for(k, copies), 2u);
    EXPECT_TRUE(live[copies[0]] && live[copies[1]]);
    std::uint32_t before[4];
    all.servers_for(k, before);
    std::vector<std::uint32_t> order(before, before + 4);
    std::erase_if(order, [&](std::uint32_t s) { return !live[s]; });
    EXPECT_EQ(std::vector<std::uint32_t>(copies, copies + 2), order) << k;
  }
  const bool none[] = {false, false, false, false};
  std::uint32_t copies[2];
  EXPECT_EQ(Placement(four(), twemproxy("ketama"), none).servers_for("k", copies), 0u);
}

// The distributions' table and ringleader's algorithm table name the same algorithms, and a name
// that is no distribution is found as none.
TEST(Distributions, EveryAlgorithmIsADistributionAndNoOther) {
  std::vector<std::string_view> algorithms;
  for (const DistributionInfo& d : distributions())
    if (d.family == DistributionInfo::Family::algorithm) algorithms.push_back(d.name);
  const auto names = algorithm_names();
  EXPECT_EQ(algorithms, std::vector<std::string_view>(names.begin(), names.end()));
  for (const DistributionInfo& d : distributions()) EXPECT_EQ(find_distribution(d.name), &d);
  EXPECT_EQ(find_distribution("consistent"), nullptr);
  EXPECT_EQ(find_distribution(""), nullptr);
}

// `monotone` is what placement does: with equal weights, a member added to a monotone distribution
// takes keys and moves none between the others; a distribution not marked so moves some (warm-up
// relies on the mark to skip the previous owner's lookup).
TEST(Distributions, MonotoneIsWhatPlacementDoes) {
  for (const DistributionInfo& d : distributions()) {
    if (!d.keyed()) continue;
    SCOPED_TRACE(std::string(d.name));
    PlacementSettings s = settings(d.twemproxy() ? "fnv1a_64" : "xxh3", std::string(d.name));
    Members before;
    for (int i = 0; i < 7; ++i) before.push_back({"server-" + std::to_string(i), 1, "10.0.0." + std::to_string(i) + ":11211"});
    Members after = before;
    after.push_back({"server-7", 1, "10.0.0.7:11211"});
    const Placement a(before, s), b(after, s);
    std::size_t between_old = 0;
    for (const std::string& k : keys()) {
      const std::uint32_t to = b.server_for(k);
      if (b.members()[to].name != "server-7" && b.members()[to].name != a.members()[a.server_for(k)].name) ++between_old;
    }
    if (d.monotone)
      EXPECT_EQ(between_old, 0u);
    else
      EXPECT_GT(between_old, 0u);
  }
}

}  // namespace
}  // namespace ringleader
