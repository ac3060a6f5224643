// Fault tests of `ringleader serve` with real memcached servers: ejection under load and how many
// healthy keys move in each ejection mode, the health check before a server returns, a stopped
// (SIGSTOP) server, graceful shutdown and its --drain-timeout, and a listen address in use. Reloads
// are in reload_test.cpp, changes through the membership input in membership_test.cpp.
// Time bounds are generous upper limits that only prove "no hang".
#include <gtest/gtest.h>

#include <signal.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <thread>

#include "faults.hpp"

namespace ringleader::test {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

std::string key(int i) { return "key:" + std::to_string(i); }

struct Backends {
  explicit Backends(const TempDir& dir, int count) {
    for (int i = 0; i < count; ++i) servers.push_back(start_memcached(dir));
  }
  std::vector<std::uint16_t> ports() const {
    std::vector<std::uint16_t> out;
    for (const auto& s : servers) out.push_back(s.port);
    return out;
  }
  /// Which backend (index) holds `k`, asked of each one directly; -1 if none.
  int owner(const std::string& k) {
    for (std::size_t i = 0; i < servers.size(); ++i) {
      if (!servers[i].process.running()) continue;
      Connection c(servers[i].port);
      if (memcache(c, "get " + k + "\r\n", true) != "END\r\n") return static_cast<int>(i);
    }
    return -1;
  }
  std::vector<Server> servers;
};

// Kills one of three servers under a client's load, then counts the healthy keys that moved.
// Returns {failed requests, healthy keys no longer found}.
std::pair<int, int> eject_and_count(const std::string& ejection) {
  TempDir dir;
  Backends backends(dir, 3);
  const std::uint16_t listen = free_port();
  const auto file = dir.write("c.yml", memcache_pool(listen, backends.ports(),
                                                     "  hash: md5\n  distribution: modula\n  timeout: 1000\n"
                                                     "  auto_eject_hosts: true\n  server_failure_limit: 2\n"
                                                     "  server_retry_timeout: 600000\n  ejection: " + ejection + "\n"));
  auto proxy = start_ringleader(dir, file, {listen});
  Connection c(listen);
  constexpr int kKeys = 300;
  for (int i = 0; i < kKeys; ++i) EXPECT_EQ(memcache(c, "set " + key(i) + " 0 0 1\r\nv\r\n"), "STORED\r\n");
  std::map<std::string, int> owner;
  for (int i = 0; i < kKeys; ++i) owner[key(i)] = backends.owner(key(i));

  backends.servers[2].process.stop();
  int failed = 0;
  for (int i = 0; i < kKeys; ++i) {
    const auto start = Clock::now();
    const std::string reply = memcache(c, "get " + key(i) + "\r\n", true);
    if (reply.starts_with("SERVER_ERROR")) {
      ++failed;
      EXPECT_EQ(owner[key(i)], 2) << "a healthy server's key failed: " << reply;
      EXPECT_LT(Clock::now() - start, std::chrono::seconds(5)) << "a failed request took far beyond the timeout";
    }
  }
  EXPECT_TRUE(wait_for_log(proxy.process, "server ejected")) << proxy.process.log();
  int moved = 0;
  for (int i = 0; i < kKeys; ++i) {
    if (owner[key(i)] == 2) continue;
    const std::string reply = memcache(c, "get " + key(i) + "\r\n", true);
    EXPECT_FALSE(reply.starts_with("SERVER_ERROR")) << "after the ejection: " << reply;
    if (reply == "END\r\n") ++moved;
  }
  std::printf("ejection %s: %d requests failed before rerouting; %d of %d healthy keys moved\n", ejection.c_str(),
              failed, moved, static_cast<int>(std::count_if(owner.begin(), owner.end(),
                                                             [](const auto& o) { return o.second != 2; })));
  return {failed, moved};
}

TEST(Resilience, KilledServerFailsOnlyItsKeysUpToTheLimitAndStableEjectionMovesNoHealthyKey) {
  const auto [failed, moved] = eject_and_count("stable");
  EXPECT_LE(failed, 2);  // server_failure_limit, counted over every worker thread
  EXPECT_EQ(moved, 0);
}

TEST(Resilience, RebuildEjectionMovesHealthyKeysOfModula) {
  const auto [failed, moved] = eject_and_count("rebuild");
  EXPECT_LE(failed, 2);
  EXPECT_GT(moved, 0);  // modula over 2 servers instead of 3 moves most keys (twemproxy's behaviour)
}

TEST(Resilience, EjectedServerReturnsOnlyAfterTheHealthCheckPasses) {
  TempDir dir;
  Backends backends(dir, 2);
  const std::uint16_t listen = free_port();
  const std::uint16_t port = backends.servers[1].port;
  const auto file = dir.write("c.yml", memcache_pool(listen, backends.ports(),
                                                     "  hash: md5\n  distribution: ketama\n  timeout: 1000\n"
                                                     "  auto_eject_hosts: true\n  server_failure_limit: 1\n"
                                                     "  server_retry_timeout: 200\n"));
  auto proxy = start_ringleader(dir, file, {listen});
  Connection c(listen);
  backends.servers[1].process.stop();
  for (int i = 0; i < 50 && proxy.process.log().find("server ejected") == std::string::npos; ++i)
    memcache(c, "get " + key(i) + "\r\n", true);
  ASSERT_TRUE(wait_for_log(proxy.process, "server ejected")) << proxy.process.log();
  {
    GarbageServer garbage(port);
    ASSERT_TRUE(wait_for_log(proxy.process, "unexpected reply to version")) << proxy.process.log();
    EXPECT_GT(garbage.accepted(), 0);
    // Still ejected: every key is served by the live server, none reaches the garbage.
    for (int i = 0; i < 50; ++i) EXPECT_EQ(memcache(c, "get " + key(i) + "\r\n", true), "END\r\n");
    EXPECT_EQ(proxy.process.log().find("server returned"), std::string::npos) << proxy.process.log();
  }
  auto again = start_memcached_on(dir, port);
  ASSERT_TRUE(wait_for_log(proxy.process, "server returned")) << proxy.process.log();
  for (int i = 0; i < 50; ++i) EXPECT_EQ(memcache(c, "set " + key(i) + " 0 0 1\r\nv\r\n"), "STORED\r\n");
  Connection direct(port);
  int on_returned = 0;
  for (int i = 0; i < 50; ++i) on_returned += memcache(direct, "get " + key(i) + "\r\n", true) != "END\r\n";
  EXPECT_GT(on_returned, 0) << "the returned server takes traffic again";
}

TEST(Resilience, StoppedServerTimesOutItsRequestsAndNoClientHangs) {
  TempDir dir;
  Backends backends(dir, 2);
  const std::uint16_t listen = free_port();
  // md5, not the default fnv1a_64: FNV barely mixes the last byte, so "key:0".."key:9" sit on one
  // short arc and each client's ten keys would all land on the same server.
  const auto file = dir.write("c.yml", memcache_pool(listen, backends.ports(), "  hash: md5\n  timeout: 300\n"));
  auto proxy = start_ringleader(dir, file, {listen});
  stop(backends.servers[1].process);
  std::atomic<int> timeouts{0}, stored{0}, other{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 4; ++t) {
    clients.emplace_back([&, t] {
      Connection c(listen, std::chrono::seconds(10));  // a hang fails the test by throwing
      for (int i = 0; i < 10; ++i) {
        const std::string reply = memcache(c, "set " + key(t * 100 + i) + " 0 0 1\r\nv\r\n");
        if (reply == "STORED\r\n") ++stored;
        else if (reply.starts_with("SERVER_ERROR timeout")) ++timeouts;
        else ++other;
      }
    });
  }
  for (auto& client : clients) client.join();
  ::kill(backends.servers[1].process.pid(), SIGCONT);
  std::printf("SIGSTOP: %d stored, %d timed out, %d other\n", stored.load(), timeouts.load(), other.load());
  EXPECT_GT(timeouts.load(), 0);
  EXPECT_GT(stored.load(), 0);
  EXPECT_EQ(other.load(), 0);
}

TEST(Resilience, GracefulShutdownAnswersTheRequestInFlight) {
  TempDir dir;
  Backends backends(dir, 1);
  const std::uint16_t listen = free_port();
  const auto file = dir.write("c.yml", memcache_pool(listen, backends.ports(), ""));
  auto proxy = start_ringleader(dir, file, {listen});
  Connection c(listen);
  EXPECT_EQ(memcache(c, "set k 0 0 1\r\nv\r\n"), "STORED\r\n");
  stop(backends.servers[0].process);
  c.send("get k\r\n");
  std::this_thread::sleep_for(milliseconds(200));  // the request reaches the stopped server
  ::kill(proxy.process.pid(), SIGTERM);
  ASSERT_TRUE(wait_for_log(proxy.process, "shutting down")) << proxy.process.log();
  // Each worker closes its listener on its own thread, just after that line.
  for (int i = 0; i < 100 && accepting(listen); ++i) std::this_thread::sleep_for(milliseconds(20));
  EXPECT_FALSE(accepting(listen));
  ::kill(backends.servers[0].process.pid(), SIGCONT);
  EXPECT_EQ(c.receive([](std::string_view in) {
    const auto end = in.find("END\r\n");
    return end == std::string_view::npos ? 0 : end + 5;
  }), "VALUE k 0 1\r\nv\r\nEND\r\n");
  for (int i = 0; i < 200 && proxy.process.running(); ++i) std::this_thread::sleep_for(milliseconds(50));
  EXPECT_FALSE(proxy.process.running());
}

// --drain-timeout bounds the wait: with the server stopped for good, the proxy gives up on the
// request in flight after 300 ms (not the default 5 s), says so, and exits.
TEST(Resilience, DrainTimeoutBoundsTheShutdown) {
  TempDir dir;
  Backends backends(dir, 1);
  const std::uint16_t listen = free_port();
  const auto file = dir.write("c.yml", memcache_pool(listen, backends.ports(), ""));
  auto proxy = start_ringleader(dir, file, {listen}, {"--drain-timeout", "300"});
  Connection c(listen);
  stop(backends.servers[0].process);
  c.send("get k\r\n");
  std::this_thread::sleep_for(milliseconds(200));  // the request reaches the stopped server
  const auto start = Clock::now();
  ::kill(proxy.process.pid(), SIGTERM);
  for (int i = 0; i < 100 && proxy.process.running(); ++i) std::this_thread::sleep_for(milliseconds(20));
  const auto took = Clock::now() - start;
  ::kill(backends.servers[0].process.pid(), SIGCONT);
  EXPECT_FALSE(proxy.process.running()) << "still draining 2 s after SIGTERM with --drain-timeout 300";
  EXPECT_LT(took, std::chrono::seconds(2));
  EXPECT_NE(proxy.process.log().find("drain_timeout_ms=300"), std::string::npos) << proxy.process.log();
  EXPECT_NE(proxy.process.log().find("still in flight after the drain timeout"), std::string::npos) << proxy.process.log();
}

TEST(Resilience, SecondProxyOnTheSameAddressFailsWithAddressInUse) {
  TempDir dir;
  Backends backends(dir, 1);
  const std::uint16_t listen = free_port();
  const auto file = dir.write("c.yml", memcache_pool(listen, backends.ports(), ""));
  auto first = start_ringleader(dir, file, {listen});
  Process second({ringleader_executable(), "serve", "-c", file.string()}, (dir.path() / "second.log").string());
  for (int i = 0; i < 200 && second.running(); ++i) std::this_thread::sleep_for(milliseconds(50));
  EXPECT_FALSE(second.running());
  EXPECT_NE(second.log().find("address in use"), std::string::npos) << second.log();
}

}  // namespace
}  // namespace ringleader::test
