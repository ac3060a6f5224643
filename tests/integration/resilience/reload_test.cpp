// Hot reload of `ringleader serve` by SIGHUP (issue 5), end to end with real memcached servers: a
// server added or removed moves only its own share of the keys, client connections opened before
// the reload keep working, the proxy keeps its connections to the servers the reload did not
// change, an invalid config is rejected with the reason in the log while the old one serves, pools
// can be added, removed and moved to another address, and signals are handled while a reload
// waits. The fixture: reload_fixture.hpp.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <map>
#include <mutex>
#include <thread>

#include "reload_fixture.hpp"

namespace ringleader::test {
namespace {

using std::chrono::milliseconds;

// A fifth server added to four takes about a fifth of the keys, every one of them, and no key moves
// between the old servers; the client connection opened before the reload keeps working.
TEST_F(Reload, AddedServerTakesAboutAFifthOfTheKeysAndNoOtherKeyMoves) {
  start(pool({0, 1, 2, 3}));
  Connection client(listen_);
  const auto keys = numbered_keys(2000);
  set_all(client, keys, "v");
  auto before = owners(keys);

  ASSERT_TRUE(reload(pool({0, 1, 2, 3, 4}), "config reloaded"));
  EXPECT_NE(last_log_line(proxy(), "pool reloaded").find("pool=cache servers=5 added=1 removed=0"), std::string::npos)
      << proxy().log();
  const auto [kept, moved] = read_all(client, keys, "v");
  const double fraction = static_cast<double>(moved.size()) / static_cast<double>(keys.size());
  std::printf("a 5th server added to 4: %zu of %zu keys moved (%.3f, ideal 0.200)\n", moved.size(), keys.size(),
              fraction);
  EXPECT_GE(fraction, 0.12);
  EXPECT_LE(fraction, 0.28);

  // Writes go where reads go: a moved key set again lands on the new server, a kept key on its old one.
  set_all(client, moved, "w");
  set_all(client, kept, "w");
  const auto on_new = values_on(direct_[4], keys);
  EXPECT_EQ(on_new.size(), moved.size());
  for (const auto& key : moved) EXPECT_EQ(on_new.contains(key) ? on_new.at(key) : "", "w") << key << " moved elsewhere";
  std::map<int, std::vector<std::string>> kept_by_server;
  for (const auto& key : kept) kept_by_server[before[key]].push_back(key);
  for (auto& [server, server_keys] : kept_by_server) {
    const auto values = values_on(direct_[server], server_keys);
    for (const auto& key : server_keys)
      EXPECT_EQ(values.contains(key) ? values.at(key) : "", "w") << key << " left server " << server;
  }
}

// The proxy keeps its connections to the servers a reload did not change: memcached's
// total_connections does not grow on them across a reload and more traffic, old and new clients.
TEST_F(Reload, ConnectionsToUnchangedServersAreKept) {
  start(pool({0, 1, 2, 3}));
  Connection client(listen_);
  const auto keys = numbered_keys(400);
  set_all(client, keys, "v");  // the proxy has now connected to every server
  std::vector<long> before;
  for (int s = 0; s < 4; ++s) before.push_back(total_connections(direct_[s]));
  const long new_server_before = total_connections(direct_[4]);

  ASSERT_TRUE(reload(pool({0, 1, 2, 3, 4}), "config reloaded"));
  read_all(client, keys, "v");
  set_all(client, keys, "w");
  Connection later(listen_);
  read_all(later, keys, "w");
  for (int s = 0; s < 4; ++s) EXPECT_EQ(total_connections(direct_[s]), before[s]) << "server " << s << " reconnected";
  EXPECT_GT(total_connections(direct_[4]), new_server_before) << "the added server never got a connection";
}

// Removing one server of four moves only its keys: every other key is still found on its server
// through the same client connection, and the removed server (still running, still holding its
// keys) gets no more requests.
TEST_F(Reload, RemovedServerLosesOnlyItsOwnKeys) {
  start(pool({0, 1, 2, 3}));
  Connection client(listen_);
  const auto keys = numbered_keys(2000);
  set_all(client, keys, "v");
  auto before = owners(keys);
  std::vector<long> connections;
  for (int s = 0; s < 4; ++s) connections.push_back(total_connections(direct_[s]));

  ASSERT_TRUE(reload(pool({0, 2, 3}), "config reloaded"));  // server 1, from the middle of the list
  EXPECT_NE(last_log_line(proxy(), "pool reloaded").find("pool=cache servers=3 added=0 removed=1"), std::string::npos)
      << proxy().log();
  std::vector<std::string> removed_keys;
  int kept = 0;
  for (const auto& key : keys) {
    const std::string reply = memcache(client, "get " + key + "\r\n", true);
    if (before[key] == 1) {
      removed_keys.push_back(key);
      EXPECT_EQ(reply, "END\r\n") << key << " still read from the removed server";
    } else {
      kept += reply == found(key, "v");
      EXPECT_EQ(reply, found(key, "v")) << key << " moved off server " << before[key];
    }
  }
  std::printf("server 2 of 4 removed: %zu keys were on it, %d of %zu other keys kept\n", removed_keys.size(), kept,
              keys.size() - removed_keys.size());
  EXPECT_GT(removed_keys.size(), 0u);

  // Set again, each removed key lands on exactly one remaining server; the removed one keeps its stale copy.
  set_all(client, removed_keys, "w");
  for (const auto& [key, value] : values_on(direct_[1], removed_keys))
    EXPECT_EQ(value, "v") << key << " written to the removed server";
  std::map<std::string, int> copies;
  for (int s : {0, 2, 3}) {
    for (const auto& [key, value] : values_on(direct_[s], removed_keys)) copies[key] += value == "w" ? 1 : 100;
  }
  for (const auto& key : removed_keys) EXPECT_EQ(copies[key], 1) << key << " is not on exactly one remaining server";
  for (int s : {0, 2, 3}) EXPECT_EQ(total_connections(direct_[s]), connections[s]) << "server " << s << " reconnected";
}

// An invalid config is rejected with the reason in the log and changes nothing: each rejected file
// also adds a fifth server, so a half-applied one would move keys. A valid reload afterwards works.
TEST_F(Reload, InvalidConfigIsRejectedWithTheReasonAndTheOldOneKeepsServing) {
  start(pool({0, 1, 2, 3}));
  Connection client(listen_);
  const auto keys = numbered_keys(1000);
  set_all(client, keys, "v");

  const std::vector<std::pair<std::string, std::string>> invalid{
      {pool({0, 1, 2, 3, 4}) + "   - 127.0.0.1:99999:1\n", "'99999' is not a valid port"},
      {pool({0, 1, 2, 3, 4}, "  hash: md5\n  distribution: no-such-thing\n"), "'no-such-thing' is not a distribution"},
  };
  for (const auto& [config, reason] : invalid) {
    ASSERT_TRUE(reload(config, "config reload failed"));
    const std::string line = last_log_line(proxy(), "config reload failed");
    EXPECT_NE(line.find("level=error"), std::string::npos) << line;
    EXPECT_NE(line.find("error="), std::string::npos) << line;
    EXPECT_NE(line.find(reason), std::string::npos) << "the reason is not in: " << line;
    const auto [hits, misses] = read_all(client, keys, "v");
    EXPECT_EQ(misses.size(), 0u) << "a rejected config moved keys (" << reason << ")";
  }
  EXPECT_EQ(count_in_log(proxy(), "config reloaded"), 0) << proxy().log();
  EXPECT_EQ(count_in_log(proxy(), "pool reloaded"), 0) << proxy().log();

  ASSERT_TRUE(reload(pool({0, 1, 2, 3, 4}), "config reloaded"));
  const auto [hits, misses] = read_all(client, keys, "v");
  std::printf("after two rejected configs, a valid one moved %zu of %zu keys\n", misses.size(), keys.size());
  EXPECT_GT(misses.size(), keys.size() / 10);
  EXPECT_LT(misses.size(), keys.size() * 3 / 10);
}

// Clients under load keep their connections and every request succeeds across several reloads: an
// unchanged file, a server added, an invalid file, the server removed again.
TEST_F(Reload, UnderLoadEveryClientKeepsItsConnectionAcrossSeveralReloads) {
  start(pool({0, 1}), 2);
  std::atomic<bool> done{false};
  std::atomic<int> ok{0}, bad{0};
  std::mutex mutex;
  std::vector<std::string> errors;
  std::vector<std::thread> clients;
  for (int t = 0; t < 4; ++t) {
    clients.emplace_back([&, t] {
      try {
        Connection c(listen_);
        for (int i = 0; !done; ++i) {
          const std::string key = "key:" + std::to_string(t * 1000 + i % 250);
          const std::string stored = memcache(c, set(key, "v"));
          // A reload between the set and the get may move the key: a miss is fine, an error is not.
          const std::string got = memcache(c, "get " + key + "\r\n", true);
          if (stored == "STORED\r\n" && (got == found(key, "v") || got == "END\r\n")) {
            ++ok;
          } else {
            ++bad;
            const std::lock_guard lock(mutex);
            errors.push_back(stored + got);
          }
        }
      } catch (const std::exception& e) {
        const std::lock_guard lock(mutex);
        errors.push_back(e.what());
      }
    });
  }
  // Each configuration serves some traffic before the next reload (and the proxy is running, with
  // its SIGHUP handler in place, before the first one).
  const auto serve_some = [&] {
    const int target = ok + 200;
    for (int i = 0; i < 400 && ok < target && errors.empty(); ++i) std::this_thread::sleep_for(milliseconds(10));
    return ok >= target;
  };
  EXPECT_TRUE(serve_some());
  EXPECT_TRUE(reload(pool({0, 1}), "config reloaded"));
  EXPECT_NE(last_log_line(proxy(), "config reloaded").find("changed=0"), std::string::npos) << proxy().log();
  EXPECT_EQ(count_in_log(proxy(), "pool reloaded"), 0) << "an unchanged pool was reloaded";
  EXPECT_TRUE(serve_some());
  EXPECT_TRUE(reload(pool({0, 1, 2}), "config reloaded"));
  EXPECT_NE(last_log_line(proxy(), "config reloaded").find("changed=1"), std::string::npos) << proxy().log();
  EXPECT_TRUE(serve_some());
  EXPECT_TRUE(reload(pool({0, 1, 2}, "  hash: md5\n  distribution: no-such-thing\n"), "config reload failed"));
  EXPECT_TRUE(serve_some());
  EXPECT_TRUE(reload(pool({0, 1}), "config reloaded"));
  EXPECT_TRUE(serve_some());
  done = true;
  for (auto& client : clients) client.join();
  std::printf("4 clients across 4 reloads: %d requests ok, %d failed\n", ok.load(), bad.load());
  EXPECT_EQ(bad.load(), 0);
  EXPECT_TRUE(errors.empty()) << errors.size() << " errors, the first: " << errors.front();
  Connection after(listen_);
  EXPECT_EQ(memcache(after, set("x", "v")), "STORED\r\n");
}

// SIGHUP only queues the reload: while the file is being read (here a FIFO that nobody writes yet,
// standing in for a slow DNS server) the proxy serves its clients and handles signals, so SIGTERM
// starts the shutdown at once. (Before, the read and the lookups ran on the signal thread.)
TEST_F(Reload, SignalsAreHandledWhileAReloadWaits) {
  start(pool({0, 1}));
  Connection client(listen_);
  ASSERT_EQ(memcache(client, set("x", "v")), "STORED\r\n");
  std::filesystem::remove(file_);
  ASSERT_EQ(::mkfifo(file_.c_str(), 0600), 0);
  ::kill(proxy().pid(), SIGHUP);
  ASSERT_TRUE(wait_for_log(proxy(), "signal=SIGHUP")) << proxy().log();
  std::this_thread::sleep_for(milliseconds(200));  // the change thread now waits on the FIFO
  EXPECT_EQ(memcache(client, "get x\r\n", true), found("x", "v"));
  ::kill(proxy().pid(), SIGTERM);
  EXPECT_TRUE(wait_for_log(proxy(), "shutting down", milliseconds(3000))) << proxy().log();
  // Let the reload's read finish (a writer opens the FIFO), so the proxy can exit.
  int fd = -1;
  for (int i = 0; i < 100 && fd < 0; ++i) {
    fd = ::open(file_.c_str(), O_WRONLY | O_NONBLOCK);  // fails (ENXIO) until the reader is there
    if (fd < 0) std::this_thread::sleep_for(milliseconds(20));
  }
  ASSERT_GE(fd, 0) << "the proxy is not reading the config file";
  const std::string config = pool({0, 1});
  EXPECT_EQ(::write(fd, config.data(), config.size()), static_cast<ssize_t>(config.size()));
  ::close(fd);
  for (int i = 0; i < 200 && proxy_->process.running(); ++i) std::this_thread::sleep_for(milliseconds(50));
  EXPECT_FALSE(proxy_->process.running());
}

// The same pool text as pool(), as pool `name` listening on `port`.
std::string as_pool(std::string text, const std::string& name, std::uint16_t port) {
  const auto listen_end = text.find('\n', text.find("  listen: "));
  return name + ":\n  listen: 127.0.0.1:" + std::to_string(port) + text.substr(listen_end);
}

// Closing a listener is asynchronous (each worker closes its own): wait a moment for it.
bool stops_accepting(std::uint16_t port) {
  for (int i = 0; i < 100 && accepting(port); ++i) std::this_thread::sleep_for(milliseconds(20));
  return !accepting(port);
}

// Pools come and go by reload: an added pool listens at once; a removed one stops listening while
// the clients it has keep being served; a pool whose listen address changed moves there, and its
// clients on the old address stay.
TEST_F(Reload, PoolsAreAddedRemovedAndMovedWhileTheirClientsStay) {
  const std::uint16_t store_port = free_port(), moved_port = free_port();
  start(pool({0, 1}));
  Connection cache_client(listen_);
  ASSERT_EQ(memcache(cache_client, set("x", "v")), "STORED\r\n");

  const std::string store = as_pool(pool({2}), "store", store_port);
  ASSERT_TRUE(reload(pool({0, 1}) + store, "config reloaded"));
  EXPECT_NE(last_log_line(proxy(), "pool added").find("pool=store"), std::string::npos) << proxy().log();
  Connection store_client(store_port);
  ASSERT_EQ(memcache(store_client, set("y", "w")), "STORED\r\n");
  EXPECT_EQ(values_on(direct_[2], {"y"}).at("y"), "w");

  ASSERT_TRUE(reload(as_pool(pool({0, 1}), "cache", moved_port) + store, "config reloaded"));
  EXPECT_NE(last_log_line(proxy(), "config reloaded").find("changed=1"), std::string::npos) << proxy().log();
  EXPECT_TRUE(stops_accepting(listen_));
  EXPECT_EQ(memcache(cache_client, "get x\r\n", true), found("x", "v"));
  Connection moved_client(moved_port);
  EXPECT_EQ(memcache(moved_client, "get x\r\n", true), found("x", "v"));

  ASSERT_TRUE(reload(as_pool(pool({0, 1}), "cache", moved_port), "config reloaded"));
  EXPECT_NE(last_log_line(proxy(), "pool removed").find("pool=store"), std::string::npos) << proxy().log();
  EXPECT_TRUE(stops_accepting(store_port));
  EXPECT_EQ(memcache(store_client, "get y\r\n", true), found("y", "w"));
  EXPECT_EQ(count_in_log(proxy(), "needs a restart"), 0) << proxy().log();
}

}  // namespace
}  // namespace ringleader::test
