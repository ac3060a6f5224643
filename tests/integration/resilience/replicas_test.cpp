// Pools with `replicas: 2` in front of real memcached and redis-server: a server killed (-9) or
// stopped (SIGSTOP) loses no key and fails no read; replica_writes and replica_reads do what they
// say. (memcache() gets its third argument everywhere: cluster.hpp has a two-argument one.)
// Time bounds are generous upper limits that only prove "no hang".
#include <gtest/gtest.h>

#include <signal.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <thread>

#include "faults.hpp"
#include "integration/proxy/cluster.hpp"  // redis(), memcache_reply()

namespace ringleader::test {
namespace {

std::string key(int i) { return "key:" + std::to_string(i); }

std::vector<std::uint16_t> ports_of(const std::vector<Server>& servers) {
  std::vector<std::uint16_t> out;
  for (const auto& s : servers) out.push_back(s.port);
  return out;
}

// The pool `name` over `servers`, named s0, s1, ... (keys then do not depend on the free ports).
std::string pool(const std::string& name, std::uint16_t listen, const std::vector<std::uint16_t>& servers,
                 const std::string& options) {
  std::vector<std::string> names;
  for (std::size_t i = 0; i < servers.size(); ++i) names.push_back("s" + std::to_string(i));
  return name + memcache_pool(listen, servers, names, options).substr(std::string("cache").size());
}

std::size_t open_fds(pid_t pid) {
  const auto dir = std::filesystem::path("/proc") / std::to_string(pid) / "fd";
  return static_cast<std::size_t>(std::distance(std::filesystem::directory_iterator(dir), {}));
}

bool hit(const std::string& reply) { return reply.starts_with("VALUE "); }

// Kill -9 one of four memcached servers while a client reads: no read fails or misses, before the
// ejection (each read, of one key or of several, fails over to the key's other copy) or after it; every key was on two servers;
// the proxy's descriptors do not grow.
TEST(Replicas, KillingOneOfFourServersLosesNoKey) {
  TempDir dir;
  std::vector<Server> servers;
  for (int i = 0; i < 4; ++i) servers.push_back(start_memcached(dir));
  const std::uint16_t listen = free_port();
  const auto file = dir.write("c.yml", pool("cache", listen, ports_of(servers),
                                            "  hash: md5\n  timeout: 500\n  auto_eject_hosts: true\n"
                                            "  server_failure_limit: 2\n  server_retry_timeout: 600000\n"
                                            "  replicas: 2\n  preconnect: true\n"));
  auto proxy = start_ringleader(dir, file, {listen});
  Connection c(listen);
  constexpr int kKeys = 1000;
  for (int i = 0; i < kKeys; ++i) ASSERT_EQ(memcache(c, "set " + key(i) + " 0 0 1\r\nv\r\n", false), "STORED\r\n");
  std::vector<int> copies(kKeys, 0);
  for (const auto& s : servers) {
    Connection direct(s.port);
    for (int i = 0; i < kKeys; ++i) copies[i] += hit(memcache(direct, "get " + key(i) + "\r\n", true));
  }
  for (int i = 0; i < kKeys; ++i) ASSERT_EQ(copies[i], 2) << key(i);
  const std::size_t fds_before = open_fds(proxy.process.pid());

  std::atomic<bool> stop{false};
  std::atomic<int> reads{0}, misses{0}, errors{0};
  // Gets of one key and of four (split over servers), each key counted.
  std::thread load([&] {
    Connection reader(listen);
    for (int i = 0; !stop; i = (i + 5) % (kKeys - 5)) {
      const std::string one = memcache(reader, "get " + key(i) + "\r\n", true);
      const std::string four =
          memcache(reader, "get " + key(i + 1) + " " + key(i + 2) + " " + key(i + 3) + " " + key(i + 4) + "\r\n", true);
      reads += 5;
      if (!hit(one) || !hit(four)) {
        ++errors;
        continue;
      }
      int values = 0;
      for (auto at = four.find("VALUE "); at != std::string::npos; at = four.find("VALUE ", at + 1)) ++values;
      misses += 4 - values;
    }
  });
  servers[1].process.signal(SIGKILL);
  const bool ejected = wait_for_log(proxy.process, "server ejected");
  stop = true;
  load.join();
  ASSERT_TRUE(ejected) << proxy.process.log();
  std::printf("kill -9 under load: %d reads, %d misses, %d errors before the ejection\n", reads.load(),
              misses.load(), errors.load());
  EXPECT_EQ(misses.load(), 0);
  EXPECT_EQ(errors.load(), 0);

  int missed = 0, failed = 0;
  for (int i = 0; i < kKeys; ++i) {
    const std::string reply = memcache(c, "get " + key(i) + "\r\n", true);
    missed += reply == "END\r\n";
    failed += !hit(reply) && reply != "END\r\n";
  }
  std::printf("after the ejection: %d keys written, %d read, %d missed, %d errors\n", kKeys, kKeys - missed - failed,
              missed, failed);
  EXPECT_EQ(missed, 0);
  EXPECT_EQ(failed, 0);
  // New writes go to two live servers.
  for (int i = kKeys; i < kKeys + 100; ++i)
    EXPECT_EQ(memcache(c, "set " + key(i) + " 0 0 1\r\nv\r\n", false), "STORED\r\n");
  // Every worker connected to every server at the start (preconnect): the dead server's connections
  // are gone, and the reader's closes (the proxy sees its end of input soon, not at once).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (open_fds(proxy.process.pid()) > fds_before && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_LE(open_fds(proxy.process.pid()), fds_before) << "the proxy holds more descriptors than before the kill";
}

// A stopped server times out, and reads of its keys fail over to their other copy within the same
// request; writes wait for it with replica_writes: all (the worst reply, a timeout, is the
// client's) and do not with one.
TEST(Replicas, StoppedServerReadsFailOverAndWritesFollowTheirMode) {
  TempDir dir;
  std::vector<Server> servers;
  for (int i = 0; i < 3; ++i) servers.push_back(start_memcached(dir));
  const std::uint16_t all = free_port(), one = free_port(), stats = free_port();
  const std::string options = "  hash: md5\n  timeout: 200\n  replicas: 2\n";
  const auto file = dir.write("c.yml", pool("all", all, ports_of(servers), options) +
                                           pool("one", one, ports_of(servers), options + "  replica_writes: one\n"));
  auto proxy = start_ringleader(dir, file, {all, one, stats}, {"-s", std::to_string(stats), "-a", "127.0.0.1"});
  Connection to_all(all), to_one(one);
  constexpr int kKeys = 40;
  for (int i = 0; i < kKeys; ++i) ASSERT_EQ(memcache(to_all, "set " + key(i) + " 0 0 1\r\nv\r\n", false), "STORED\r\n");

  stop(servers[1].process);
  // Pipelined, so the timeouts run together.
  std::string gets;
  for (int i = 0; i < kKeys; ++i) gets += "get " + key(i) + "\r\n";
  to_all.send(gets);
  int found = 0;
  for (int i = 0; i < kKeys; ++i) found += hit(memcache_reply(to_all, true));
  std::string sets_all, sets_one;
  for (int i = 0; i < kKeys; ++i) {
    sets_all += "set " + key(i) + " 0 0 1\r\nw\r\n";
    sets_one += "set " + key(i) + " 0 0 1\r\nw\r\n";
  }
  to_all.send(sets_all);
  to_one.send(sets_one);
  int stored_all = 0, timed_out_all = 0, stored_one = 0;
  for (int i = 0; i < kKeys; ++i) {
    const std::string reply = memcache_reply(to_all, false);
    stored_all += reply == "STORED\r\n";
    timed_out_all += reply.starts_with("SERVER_ERROR") && reply.find("timeout") != std::string::npos;
    stored_one += memcache_reply(to_one, false) == "STORED\r\n";
  }
  ::kill(servers[1].process.pid(), SIGCONT);
  std::printf("SIGSTOP: %d of %d reads found; writes: all %d stored, %d timed out; one %d stored\n", found, kKeys,
              stored_all, timed_out_all, stored_one);
  EXPECT_EQ(found, kKeys);
  // Each read that timed out was asked again of its other copy, and counted (stats port; the pool
  // "one" had no reads).
  const std::string json = Connection(stats).receive_until_closed();
  const std::string field = "\"replica_failovers\":";
  int failovers = 0;
  for (auto at = json.find(field); at != std::string::npos; at = json.find(field, at + 1))
    failovers += std::stoi(json.substr(at + field.size()));
  EXPECT_GT(failovers, 0) << json;
  EXPECT_LT(failovers, kKeys) << json;
  EXPECT_GT(timed_out_all, 0);  // the keys with a copy on the stopped server
  EXPECT_EQ(stored_all + timed_out_all, kKeys);
  EXPECT_EQ(stored_one, kKeys);
}

// replica_reads: first answers a miss on the first copy as a miss; miss_failover asks the next
// copy. A streamed value reaches both copies. replica_writes: all answers with the worst copy's reply
// (add: NOT_STORED where one copy had the key), one with the first success.
TEST(Replicas, ReadAndWriteModes) {
  TempDir dir;
  std::vector<Server> servers;
  for (int i = 0; i < 2; ++i) servers.push_back(start_memcached(dir));
  const std::uint16_t first = free_port(), failover = free_port();
  const auto file = dir.write("c.yml", pool("first", first, ports_of(servers), "  replicas: 2\n") +
                                           pool("failover", failover, ports_of(servers),
                                                "  replicas: 2\n  replica_reads: miss_failover\n"
                                                "  replica_writes: one\n"));
  auto proxy = start_ringleader(dir, file, {first, failover});
  Connection to_first(first), to_failover(failover), s0(servers[0].port);
  constexpr int kKeys = 50;
  for (int i = 0; i < kKeys; ++i) {
    ASSERT_EQ(memcache(to_first, "set " + key(i) + " 0 0 1\r\nv\r\n", false), "STORED\r\n");
    ASSERT_EQ(memcache(s0, "delete " + key(i) + "\r\n", false), "DELETED\r\n");  // both servers had it
  }
  int missed_first = 0, missed_failover = 0;
  for (int i = 0; i < kKeys; ++i) {
    missed_first += memcache(to_first, "get " + key(i) + "\r\n", true) == "END\r\n";
    missed_failover += memcache(to_failover, "get " + key(i) + "\r\n", true) == "END\r\n";
  }
  std::printf("a copy deleted from s0: %d of %d missed with first, %d with miss_failover\n", missed_first, kKeys,
              missed_failover);
  EXPECT_GT(missed_first, 0);  // the keys whose first copy is s0
  EXPECT_LT(missed_first, kKeys);
  EXPECT_EQ(missed_failover, 0);

  // A value large enough to stream (over 256 KiB) reaches both copies whole.
  const std::string large(300 * 1024, 'x');
  EXPECT_EQ(memcache(to_first, "set large 0 0 " + std::to_string(large.size()) + "\r\n" + large + "\r\n", false),
            "STORED\r\n");
  for (const auto& s : servers) {
    Connection direct(s.port);
    EXPECT_EQ(memcache(direct, "get large\r\n", true),
              "VALUE large 0 " + std::to_string(large.size()) + "\r\n" + large + "\r\nEND\r\n");
  }

  for (int i = 0; i < 10; ++i) {
    ASSERT_EQ(memcache(s0, "set a" + key(i) + " 0 0 1\r\nv\r\n", false), "STORED\r\n");
    ASSERT_EQ(memcache(s0, "set b" + key(i) + " 0 0 1\r\nv\r\n", false), "STORED\r\n");
    EXPECT_EQ(memcache(to_first, "add a" + key(i) + " 0 0 1\r\nv\r\n", false), "NOT_STORED\r\n");
    EXPECT_EQ(memcache(to_failover, "add b" + key(i) + " 0 0 1\r\nv\r\n", false), "STORED\r\n");
  }
}

// Redis: writes reach both copies (a split DEL counts each key once), and after kill -9 of one of
// three servers every key is still read, with no ejection configured: each read fails over.
TEST(Replicas, RedisKilledServerLosesNoKey) {
  TempDir dir;
  std::vector<Server> servers;
  for (int i = 0; i < 3; ++i) servers.push_back(start_redis(dir));
  const std::uint16_t listen = free_port();
  const auto file =
      dir.write("c.yml", pool("cache", listen, ports_of(servers), "  redis: true\n  timeout: 500\n  replicas: 2\n"));
  auto proxy = start_ringleader(dir, file, {listen});
  Connection c(listen);
  constexpr int kKeys = 300;
  for (int i = 0; i < kKeys; ++i) ASSERT_EQ(redis(c, {"SET", key(i), "v"}), "+OK\r\n");
  EXPECT_EQ(redis(c, {"SET", "gone:1", "v"}), "+OK\r\n");
  EXPECT_EQ(redis(c, {"SET", "gone:2", "v"}), "+OK\r\n");
  EXPECT_EQ(redis(c, {"DEL", "gone:1", "gone:2", "gone:3"}), ":2\r\n");
  int copies = 0;
  for (const auto& s : servers) {
    Connection direct(s.port);
    for (int i = 0; i < kKeys; ++i) copies += redis(direct, {"GET", key(i)}) == "$1\r\nv\r\n";
    EXPECT_EQ(redis(direct, {"EXISTS", "gone:1", "gone:2"}), ":0\r\n");
  }
  EXPECT_EQ(copies, 2 * kKeys);
  // A value large enough to stream (ClientSession::kStreamAbove), with an argument after it, goes
  // to both copies too.
  ASSERT_EQ(redis(c, {"SET", "large", std::string(1 << 20, 'L'), "EX", "100"}), "+OK\r\n");
  int large_copies = 0;
  for (const auto& s : servers) {
    Connection direct(s.port);
    large_copies += redis(direct, {"STRLEN", "large"}) == ":1048576\r\n";
  }
  EXPECT_EQ(large_copies, 2);

  servers[2].process.signal(SIGKILL);
  int found = 0;
  for (int i = 0; i < kKeys; ++i) found += redis(c, {"GET", key(i)}) == "$1\r\nv\r\n";
  std::printf("redis kill -9: %d of %d keys read\n", found, kKeys);
  EXPECT_EQ(found, kKeys);
  // Split reads fail over key by key.
  EXPECT_EQ(redis(c, {"MGET", key(0), key(1), key(2), key(3), "none"}),
            "*5\r\n$1\r\nv\r\n$1\r\nv\r\n$1\r\nv\r\n$1\r\nv\r\n$-1\r\n");
  EXPECT_EQ(redis(c, {"EXISTS", key(0), key(1), key(2), key(3), "none"}), ":4\r\n");
}

}  // namespace
}  // namespace ringleader::test
