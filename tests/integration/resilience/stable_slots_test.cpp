// Stable slots through the real proxy (issue 26): four real memcached servers in a jump, anchor or
// memento pool; the second server's line is marked ` removed` by SIGHUP, and every key of the other
// three is still found where it was written, while the removed server gets no request. Deleting the
// line instead logs the warning that names the share of other keys that move; `serve --check
// --previous` prints the same.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "reload_fixture.hpp"

namespace ringleader::test {
namespace {

class StableSlots : public Reload {
 protected:
  // Servers 0..3, named server-0..server-3; `marked` is written with ` removed`, `deleted` left out.
  std::string lines(const std::string& distribution, int marked, int deleted) const {
    std::string text = "cache:\n  listen: 127.0.0.1:" + std::to_string(listen_) +
                       "\n  hash: fnv1a_64\n  distribution: " + distribution + "\n  timeout: 2000\n  servers:\n";
    for (int i = 0; i < 4; ++i) {
      if (i == deleted) continue;
      text += "   - 127.0.0.1:" + std::to_string(servers_.at(i).port) + ":1 server-" + std::to_string(i) +
              (i == marked ? " removed" : "") + "\n";
    }
    return text;
  }

  void middle_server_leaves(const std::string& distribution) {
    start(lines(distribution, -1, -1));
    Connection client(listen_);
    const auto keys = numbered_keys(2000);
    set_all(client, keys, "v");
    const auto owner = owners(keys);
    const long gets_before = get_count(direct_[1]);

    ASSERT_TRUE(reload(lines(distribution, 1, -1), "config reloaded"));
    EXPECT_EQ(count_in_log(proxy(), "placement moves keys"), 0) << proxy().log();
    std::size_t held = 0;
    for (const auto& key : keys) {
      const std::string reply = memcache(client, "get " + key + "\r\n", true);
      if (owner.at(key) == 1) {
        ++held;
        EXPECT_EQ(reply, "END\r\n") << key << " was on the removed server";
      } else {
        EXPECT_EQ(reply, found(key, "v")) << key << " of server " << owner.at(key) << " moved";
      }
    }
    EXPECT_GT(held, keys.size() / 8);  // a quarter, give or take: the removed server did hold keys
    EXPECT_EQ(get_count(direct_[1]), gets_before) << "a get reached the removed server";

    // Deleting its line instead moves other servers' keys, and the reload says how many.
    ASSERT_TRUE(reload(lines(distribution, -1, 1), "config reloaded"));
    EXPECT_TRUE(wait_for_log(proxy(), "placement moves keys of servers that stay")) << proxy().log();
    EXPECT_NE(last_log_line(proxy(), "placement moves keys").find("' removed'"), std::string::npos) << proxy().log();
  }

  // memcached's count of get commands it was sent.
  static long get_count(Connection& c) {
    const std::string stats = memcache(c, "stats\r\n", true);
    const std::string name = "STAT cmd_get ";
    const auto at = stats.find(name);
    if (at == std::string::npos) throw std::runtime_error("no cmd_get in: " + stats);
    return std::stol(stats.substr(at + name.size()));
  }
};

TEST_F(StableSlots, JumpMiddleServerRemovedMovesOnlyItsKeys) { middle_server_leaves("jump"); }
TEST_F(StableSlots, AnchorMiddleServerRemovedMovesOnlyItsKeys) { middle_server_leaves("anchor"); }
TEST_F(StableSlots, MementoMiddleServerRemovedMovesOnlyItsKeys) { middle_server_leaves("memento"); }

// `serve --check --previous RUNNING` warns of a deleted line, and not of a line marked removed.
TEST_F(StableSlots, CheckWithThePreviousConfigWarns) {
  const auto running = dir_.write("running.yml", lines("anchor", -1, -1));
  const auto deleted = dir_.write("deleted.yml", lines("anchor", -1, 1));
  const auto marked = dir_.write("marked.yml", lines("anchor", 1, -1));
  const std::string check = ringleader_executable() + " serve --check --previous " + running.string() + " -c ";
  const auto [deleted_status, deleted_output] = run_shell(check + deleted.string() + " 2>&1");
  EXPECT_EQ(deleted_status, 0) << deleted_output;
  EXPECT_NE(deleted_output.find("warning: " + deleted.string() + ":1: pool 'cache': "), std::string::npos) << deleted_output;
  EXPECT_NE(deleted_output.find("' removed'"), std::string::npos) << deleted_output;
  const auto [marked_status, marked_output] = run_shell(check + marked.string() + " 2>&1");
  EXPECT_EQ(marked_status, 0) << marked_output;
  EXPECT_EQ(marked_output.find("warning"), std::string::npos) << marked_output;
}

}  // namespace
}  // namespace ringleader::test
