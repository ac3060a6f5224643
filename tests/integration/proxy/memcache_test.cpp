// ringleader serve, memcached pool: every command through the proxy against 3 real memcached.
#include <gtest/gtest.h>

#include <random>
#include <thread>

#include "cluster.hpp"

namespace ringleader::test {
namespace {

class MemcacheProxy : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { cluster = std::make_unique<Cluster>(); }
  static void TearDownTestSuite() { cluster.reset(); }
  Connection proxy() { return Connection(cluster->ringleader_ports.memcache); }
  static inline std::unique_ptr<Cluster> cluster;
};

// How many of the 3 backends hold each of `keys` (each key must be on exactly one).
std::vector<int> holders(Cluster& cluster, const std::vector<std::string>& keys) {
  std::vector<int> where;
  for (const auto& key : keys) {
    int found = -1;
    for (int i = 0; i < 3; ++i) {
      Connection direct(cluster.memcached[static_cast<std::size_t>(i)].port);
      if (memcache(direct, "get " + key + "\r\n") != "END\r\n") found = found == -1 ? i : -2;
    }
    where.push_back(found);
  }
  return where;
}

// Storage commands answer as memcached does.
TEST_F(MemcacheProxy, StorageCommands) {
  auto c = proxy();
  EXPECT_EQ(memcache(c, "set s1 7 0 5\r\nhello\r\n"), "STORED\r\n");
  EXPECT_EQ(memcache(c, "add s1 0 0 1\r\nx\r\n"), "NOT_STORED\r\n");
  EXPECT_EQ(memcache(c, "add s2 0 0 1\r\nx\r\n"), "STORED\r\n");
  EXPECT_EQ(memcache(c, "replace s3 0 0 1\r\nx\r\n"), "NOT_STORED\r\n");
  EXPECT_EQ(memcache(c, "replace s2 0 0 1\r\ny\r\n"), "STORED\r\n");
  EXPECT_EQ(memcache(c, "append s1 0 0 1\r\n!\r\n"), "STORED\r\n");
  EXPECT_EQ(memcache(c, "prepend s1 0 0 1\r\n>\r\n"), "STORED\r\n");
  EXPECT_EQ(memcache(c, "get s1\r\n"), "VALUE s1 7 7\r\n>hello!\r\nEND\r\n");
  const std::string gets = memcache(c, "gets s1\r\n");
  const auto cas = gets.substr(gets.find(' ', 12) + 1, gets.find('\r') - gets.find(' ', 12) - 1);
  EXPECT_EQ(memcache(c, "cas s1 0 0 1 999999\r\nz\r\n"), "EXISTS\r\n");
  EXPECT_EQ(memcache(c, "cas s1 0 0 1 " + cas + "\r\nz\r\n"), "STORED\r\n");
  EXPECT_EQ(memcache(c, "cas nosuch 0 0 1 1\r\nz\r\n"), "NOT_FOUND\r\n");
}

// incr/decr, delete, touch, gat/gats and version.
TEST_F(MemcacheProxy, OtherCommands) {
  auto c = proxy();
  EXPECT_EQ(memcache(c, "set n 0 0 2\r\n10\r\n"), "STORED\r\n");
  EXPECT_EQ(memcache(c, "incr n 5\r\n"), "15\r\n");
  EXPECT_EQ(memcache(c, "decr n 20\r\n"), "0\r\n");
  EXPECT_EQ(memcache(c, "incr nosuch 1\r\n"), "NOT_FOUND\r\n");
  EXPECT_EQ(memcache(c, "touch n 100\r\n"), "TOUCHED\r\n");
  EXPECT_EQ(memcache(c, "touch nosuch 100\r\n"), "NOT_FOUND\r\n");
  // memcached keeps the length of a decremented value, padding it with spaces.
  EXPECT_EQ(memcache(c, "gat 100 n\r\n"), "VALUE n 0 2\r\n0 \r\nEND\r\n");
  EXPECT_TRUE(memcache(c, "gats 100 n\r\n").starts_with("VALUE n 0 2 "));
  EXPECT_EQ(memcache(c, "delete n\r\n"), "DELETED\r\n");
  EXPECT_EQ(memcache(c, "delete n\r\n"), "NOT_FOUND\r\n");
  EXPECT_EQ(memcache(c, "get n\r\n"), "END\r\n");
  EXPECT_TRUE(memcache(c, "version\r\n").starts_with("VERSION "));
}

// A get of keys on every server is split, and answered with all values and one END.
TEST_F(MemcacheProxy, MultiGetSplitsAcrossServers) {
  auto c = proxy();
  std::vector<std::string> keys;
  std::string get = "get", gat = "gat 0";
  for (int i = 0; i < 60; ++i) {
    keys.push_back("key:" + std::to_string(i));
    ASSERT_EQ(memcache(c, "set " + keys.back() + " " + std::to_string(i) + " 0 1\r\nv\r\n"), "STORED\r\n");
    get += " " + keys.back();
    gat += " " + keys.back();
  }
  const auto where = holders(*cluster, keys);
  for (int server = 0; server < 3; ++server) {
    EXPECT_NE(std::count(where.begin(), where.end(), server), 0) << "no key on server " << server;
  }
  EXPECT_EQ(std::count(where.begin(), where.end(), -1) + std::count(where.begin(), where.end(), -2), 0);
  for (const auto& request : {get + " missing\r\n", gat + " missing\r\n"}) {
    const std::string reply = memcache(c, request);
    for (int i = 0; i < 60; ++i) {
      EXPECT_NE(reply.find("VALUE key:" + std::to_string(i) + " " + std::to_string(i) + " 1\r\nv\r\n"),
                std::string::npos) << i;
    }
    EXPECT_EQ(reply.find("END"), reply.size() - 5);
    EXPECT_EQ(reply.find("missing"), std::string::npos);
  }
}

// noreply requests get no reply, but are carried out, in order.
TEST_F(MemcacheProxy, Noreply) {
  auto c = proxy();
  c.send("set q 0 0 1 noreply\r\na\r\nappend q 0 0 1 noreply\r\nb\r\nincr nosuch 1 noreply\r\n"
         "delete nosuch noreply\r\n");
  EXPECT_EQ(memcache(c, "get q\r\n"), "VALUE q 0 2\r\nab\r\nEND\r\n");
}

// Errors: unknown commands, bad keys, bad data, all without closing the connection.
TEST_F(MemcacheProxy, ClientErrorsKeepTheConnection) {
  auto c = proxy();
  EXPECT_EQ(memcache(c, "flush_all\r\n"), "ERROR\r\n");
  EXPECT_EQ(memcache(c, "bogus command\r\n"), "ERROR\r\n");
  EXPECT_EQ(memcache(c, "get " + std::string(251, 'k') + "\r\n"), "CLIENT_ERROR bad command line format\r\n");
  EXPECT_EQ(memcache(c, "set " + std::string(251, 'k') + " 0 0 1\r\nx\r\n"),
            "CLIENT_ERROR bad command line format\r\n");
  EXPECT_EQ(memcache(c, "get a\x02" "b\r\n"), "CLIENT_ERROR bad command line format\r\n");
  // As memcached: the block is dropped, and the CR LF left over reads as an empty command.
  EXPECT_EQ(memcache(c, "set k 0 0 1\r\nxyz\r\n"), "CLIENT_ERROR bad data chunk\r\n");
  EXPECT_EQ(memcache_reply(c, false), "ERROR\r\n");
  EXPECT_EQ(memcache(c, "set " + std::string(250, 'k') + " 0 0 1\r\nx\r\n"), "STORED\r\n");
  EXPECT_EQ(memcache(c, "version\r\n").substr(0, 8), "VERSION ");
}

// Values up to 1 MiB with every byte value go through unchanged.
TEST_F(MemcacheProxy, BinaryValuesUpTo1MiB) {
  auto c = proxy();
  std::mt19937 random(7);
  for (std::size_t size : {0u, 1u, 1000u, 100'000u, 1u << 20}) {
    std::string value(size, '\0');
    for (auto& ch : value) ch = static_cast<char>(random());
    if (size >= 2) value.replace(0, 2, "\r\n");
    const std::string key = "bin" + std::to_string(size);
    ASSERT_EQ(memcache(c, "set " + key + " 0 0 " + std::to_string(size) + "\r\n" + value + "\r\n"), "STORED\r\n");
    EXPECT_EQ(memcache(c, "get " + key + "\r\n"),
              "VALUE " + key + " 0 " + std::to_string(size) + "\r\n" + value + "\r\nEND\r\n");
  }
}

// 2000 pipelined requests in one write come back in request order.
TEST_F(MemcacheProxy, Pipelining) {
  auto c = proxy();
  std::string batch;
  for (int i = 0; i < 1000; ++i) {
    const std::string v = std::to_string(i);
    batch += "set p" + v + " 0 0 " + std::to_string(v.size()) + "\r\n" + v + "\r\n";
    batch += "get p" + v + "\r\n";
  }
  c.send(batch);
  for (int i = 0; i < 1000; ++i) {
    const std::string v = std::to_string(i);
    ASSERT_EQ(memcache_reply(c, false), "STORED\r\n") << i;
    ASSERT_EQ(memcache_reply(c, true), "VALUE p" + v + " 0 " + std::to_string(v.size()) + "\r\n" + v + "\r\nEND\r\n");
  }
}

// Many clients at once, each with its own keys, all get their own answers.
TEST_F(MemcacheProxy, ConcurrentClients) {
  std::vector<std::thread> clients;
  std::atomic<int> wrong{0};
  for (int t = 0; t < 16; ++t) {
    clients.emplace_back([&, t] {
      try {
        auto c = proxy();
        for (int i = 0; i < 100; ++i) {
          const std::string key = "c" + std::to_string(t) + ":" + std::to_string(i);
          if (memcache(c, "set " + key + " 0 0 " + std::to_string(key.size()) + "\r\n" + key + "\r\n") != "STORED\r\n" ||
              memcache(c, "get " + key + "\r\n") != "VALUE " + key + " 0 " + std::to_string(key.size()) + "\r\n" +
                                                     key + "\r\nEND\r\n") {
            ++wrong;
          }
        }
      } catch (const std::exception&) {
        ++wrong;
      }
    });
  }
  for (auto& t : clients) t.join();
  EXPECT_EQ(wrong, 0);
}

// quit closes the connection after the replies already owed.
TEST_F(MemcacheProxy, Quit) {
  auto c = proxy();
  c.send("version\r\nquit\r\nversion\r\n");
  const std::string rest = c.receive_until_closed();
  EXPECT_TRUE(rest.starts_with("VERSION ")) << rest;
  EXPECT_EQ(rest.find("VERSION", 1), std::string::npos);
  EXPECT_TRUE(c.closed_by_peer());
}

// A line longer than the limit gets an error and the connection closes; other clients are unaffected.
TEST_F(MemcacheProxy, EndlessLineClosesOnlyThatClient) {
  auto bad = proxy();
  auto good = proxy();
  bad.send(std::string(100 * 1024, 'a'));
  EXPECT_EQ(bad.receive_until_closed(), "CLIENT_ERROR line too long\r\n");
  EXPECT_EQ(memcache(good, "set ok 0 0 1\r\n1\r\n"), "STORED\r\n");
}

}  // namespace
}  // namespace ringleader::test
