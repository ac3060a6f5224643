// The membership input (Server::set_members(), issue 11), end to end with real memcached servers and
// the proxy running in this process: a server added or removed through it moves only its own share
// of the keys while clients and the connections to the other servers stay; a name that does not
// resolve (or another bad list) is refused and the old members keep serving; two quick updates end
// with the last one. The fixture: reload_fixture.hpp.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <thread>

#include "proxy/config/server_entry.hpp"
#include "proxy/server.hpp"
#include "reload_fixture.hpp"

namespace ringleader::test {
namespace {

using namespace std::chrono_literals;

class MembershipInput : public Reload {
 protected:
  ~MembershipInput() override {
    if (!server_) return;
    server_->stop();
    runner_.join();
  }

  // Serves pool "cache" over the servers numbered `which`, one worker thread.
  void start_in_process(const std::vector<int>& which) {
    server_ = std::make_unique<proxy::Server>(config::parse(pool(which), "cache.yml"), 1);
    runner_ = std::thread([this] { server_->run(); });
  }

  // The entries of pool() for the servers numbered `which`, as a membership source would give them.
  std::vector<config::Server> members(const std::vector<int>& which) const {
    std::vector<config::Server> out;
    for (int i : which)
      out.push_back(config::parse_server("127.0.0.1:" + std::to_string(servers_.at(i).port) + ":1 server-" +
                                         std::to_string(i)));
    return out;
  }

  // Waits for the outcome of a change (bounded: a hang fails the test rather than blocking it).
  static bool applied(std::future<bool> change) {
    if (change.wait_for(20s) != std::future_status::ready) {
      ADD_FAILURE() << "the membership change never completed";
      return false;
    }
    return change.get();
  }

  std::unique_ptr<proxy::Server> server_;
  std::thread runner_;
};

// A fourth server given to three takes about a quarter of the keys, and only those move; the client
// connected before keeps working and the proxy does not reconnect to the three it kept.
TEST_F(MembershipInput, AddedServerTakesItsShareOnly) {
  start_in_process({0, 1, 2});
  Connection client(listen_);
  const auto keys = numbered_keys(2000);
  set_all(client, keys, "v");
  std::vector<long> connections;
  for (int s = 0; s < 3; ++s) connections.push_back(total_connections(direct_[s]));

  ASSERT_TRUE(applied(server_->set_members("cache", members({0, 1, 2, 3}))));
  const auto [kept, moved] = read_all(client, keys, "v");
  const double fraction = static_cast<double>(moved.size()) / static_cast<double>(keys.size());
  std::printf("a 4th server given to 3: %zu of %zu keys moved (%.3f, ideal 0.250)\n", moved.size(), keys.size(),
              fraction);
  EXPECT_GE(fraction, 0.15);
  EXPECT_LE(fraction, 0.35);
  set_all(client, moved, "w");
  const auto on_new = values_on(direct_[3], moved);
  EXPECT_EQ(on_new.size(), moved.size()) << "a moved key went elsewhere than the new server";
  for (int s = 0; s < 3; ++s) EXPECT_EQ(total_connections(direct_[s]), connections[s]) << "server " << s << " reconnected";
}

// Removing one server of four through the input loses only its keys; the others are still found.
TEST_F(MembershipInput, RemovedServerLosesOnlyItsOwnKeys) {
  start_in_process({0, 1, 2, 3});
  Connection client(listen_);
  const auto keys = numbered_keys(1000);
  set_all(client, keys, "v");
  auto before = owners(keys);

  ASSERT_TRUE(applied(server_->set_members("cache", members({0, 2, 3}))));
  const auto [kept, moved] = read_all(client, keys, "v");
  for (const auto& key : moved) EXPECT_EQ(before[key], 1) << key << " moved off server " << before[key];
  for (const auto& key : kept) EXPECT_NE(before[key], 1) << key << " still read from the removed server";
  EXPECT_GT(moved.size(), 0u);
}

// A list with a name that does not resolve is refused as a whole, as are an unknown pool, an empty
// list and two servers of one name: no key moves, and a good update afterwards applies.
TEST_F(MembershipInput, BadMembersAreRefusedAndTheOldOnesKeepServing) {
  start_in_process({0, 1, 2});
  Connection client(listen_);
  const auto keys = numbered_keys(500);
  set_all(client, keys, "v");

  auto unresolvable = members({0, 1, 2});
  unresolvable.push_back(config::parse_server("no-such-host.invalid:11211:1 server-9"));
  EXPECT_FALSE(applied(server_->set_members("cache", unresolvable)));
  EXPECT_FALSE(applied(server_->set_members("no-such-pool", members({0, 1, 2, 3}))));
  EXPECT_FALSE(applied(server_->set_members("cache", {})));
  EXPECT_FALSE(applied(server_->set_members("cache", members({0, 1, 2, 2}))));
  const auto [hits, misses] = read_all(client, keys, "v");
  EXPECT_EQ(misses.size(), 0u) << "a refused update moved keys";

  ASSERT_TRUE(applied(server_->set_members("cache", members({0, 1}))));
  EXPECT_GT(read_all(client, keys, "v").second.size(), 0u) << "the good update after the refused ones did not apply";
}

// Two updates sent back to back end with the second one's members, whether or not the first was
// applied on the way (it is dropped when it was still waiting).
TEST_F(MembershipInput, TwoQuickUpdatesEndWithTheLast) {
  start_in_process({0});
  Connection client(listen_);
  auto first = server_->set_members("cache", members({0, 1}));
  auto last = server_->set_members("cache", members({0, 1, 2, 3}));
  ASSERT_TRUE(applied(std::move(last)));
  applied(std::move(first));
  const auto keys = numbered_keys(400);
  set_all(client, keys, "v");
  std::map<int, int> per_server;
  for (const auto& [key, owner] : owners(keys)) ++per_server[owner];
  for (int s = 0; s < 4; ++s) EXPECT_GT(per_server[s], 0) << "server " << s << " got no keys";
}

}  // namespace
}  // namespace ringleader::test
