// The ` removed` form of a server line, and the warning for a change that moves keys of servers
// that stay (placement_change.hpp), through nutcracker.yml pools.
#include <gtest/gtest.h>
#include <gmock/gmock.h>

#include <string>
#include <vector>

#include "proxy/config/config.hpp"
#include "proxy/config/placement_change.hpp"

namespace ringleader::config {
namespace {

std::string pool_yaml(const std::string& distribution, const std::vector<std::string>& servers) {
  std::string yaml = "p:\n  listen: 127.0.0.1:1\n  distribution: " + distribution + "\n  servers:\n";
  for (const std::string& s : servers) yaml += "   - " + s + "\n";
  return yaml;
}

const std::vector<std::string> kFour = {"127.0.0.1:11211:1 s1", "127.0.0.1:11212:1 s2", "127.0.0.1:11213:1 s3",
                                        "127.0.0.1:11214:1 s4"};

// A removed line is kept apart from the servers (no connection, no key) with its position, and
// the servers after it keep theirs.
TEST(StableSlots, RemovedLinesKeepTheirPosition) {
  const Pool p = parse(pool_yaml("jump", {kFour[0], "127.0.0.1:11212:1 s2 removed", kFour[2], kFour[3]})).pool("p");
  ASSERT_EQ(p.servers.size(), 3u);
  ASSERT_EQ(p.removed.size(), 1u);
  EXPECT_EQ(p.removed[0].name, "s2");
  EXPECT_TRUE(p.removed[0].removed);
  EXPECT_EQ(p.removed[0].position, 1u);
  EXPECT_EQ(p.servers[1].name, "s3");
  EXPECT_EQ(p.servers[1].position, 2u);
  EXPECT_EQ(make_placement(p).server_count(), 3u);
}

// A pool needs a server that is not removed; a server may come back under a removed line's name
// (here at the end, with a new weight) without moving the other servers' keys.
TEST(StableSlots, ANameComesBackAtTheEnd) {
  EXPECT_THROW(parse(pool_yaml("jump", {"127.0.0.1:11212:1 s2 removed"})), ConfigError);
  const Pool before = parse(pool_yaml("jump", kFour)).pool("p");
  const Pool after = parse(pool_yaml("jump", {kFour[0], kFour[1] + " removed", kFour[2], kFour[3],
                                              "127.0.0.1:11212:2 s2"})).pool("p");
  EXPECT_EQ(after.servers.size(), 4u);
  EXPECT_FALSE(needless_moves(before, after));
}

// Deleting a middle line of a jump pool warns with the share of other keys that move; marking it
// removed does not; a distribution that places by name never warns.
TEST(StableSlots, DeletingALineWarnsMarkingItRemovedDoesNot) {
  const std::vector<std::string> deleted = {kFour[0], kFour[2], kFour[3]};
  const std::vector<std::string> marked = {kFour[0], kFour[1] + " removed", kFour[2], kFour[3]};
  for (const std::string d : {"jump", "anchor", "memento", "modulo"}) {
    const Pool before = parse(pool_yaml(d, kFour)).pool("p");
    const auto share = needless_moves(before, parse(pool_yaml(d, deleted)).pool("p"));
    ASSERT_TRUE(share.has_value()) << d;
    EXPECT_GT(*share, 0.2) << d;
    EXPECT_THAT(needless_moves_warning(before, *share), ::testing::HasSubstr("' removed'"));
    EXPECT_FALSE(needless_moves(before, parse(pool_yaml(d, marked)).pool("p"))) << d;
  }
  for (const std::string d : {"ring", "rendezvous", "ketama"})
    EXPECT_FALSE(needless_moves(parse(pool_yaml(d, kFour)).pool("p"), parse(pool_yaml(d, deleted)).pool("p"))) << d;
}

// Reordering lines moves keys too, and says so; appending a server to jump does not.
TEST(StableSlots, ReorderingWarnsAppendingDoesNot) {
  const Pool before = parse(pool_yaml("jump", kFour)).pool("p");
  EXPECT_TRUE(needless_moves(before, parse(pool_yaml("jump", {kFour[1], kFour[0], kFour[2], kFour[3]})).pool("p")));
  std::vector<std::string> five = kFour;
  five.push_back("127.0.0.1:11215:1 s5");
  EXPECT_FALSE(needless_moves(before, parse(pool_yaml("jump", five)).pool("p")));
}

}  // namespace
}  // namespace ringleader::config
