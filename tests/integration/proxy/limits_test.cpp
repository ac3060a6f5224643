// ringleader serve with the limits set small in both pools (docs/operations.md, Limits): a value over
// max_value_bytes gets the protocol's error (memcached: the connection stays usable; Redis: closed,
// as Redis does), a line over max_line_bytes closes only that client, and a deep pipeline through
// max_replies_in_flight: 2 comes back whole and in order.
#include <gtest/gtest.h>

#include <string>

#include "cluster.hpp"

namespace ringleader::test {
namespace {

class Limits : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    cluster = std::make_unique<Cluster>(
        false, "  max_value_bytes: 1000\n  max_line_bytes: 400\n  max_replies_in_flight: 2\n  health_check_interval: 50\n");
  }
  static void TearDownTestSuite() { cluster.reset(); }
  static inline std::unique_ptr<Cluster> cluster;
};

std::string memcache_set(const std::string& key, const std::string& value) {
  return "set " + key + " 0 0 " + std::to_string(value.size()) + "\r\n" + value + "\r\n";
}

// Up to max_value_bytes a value is stored; one byte more is refused, and the same connection goes on.
TEST_F(Limits, MemcacheValueOverTheMaxIsRefusedAndTheConnectionStays) {
  Connection c(cluster->ringleader_ports.memcache);
  EXPECT_EQ(memcache(c, memcache_set("big", std::string(1001, 'x'))), "SERVER_ERROR object too large for cache\r\n");
  EXPECT_EQ(memcache(c, memcache_set("fits", std::string(1000, 'y'))), "STORED\r\n");
  EXPECT_EQ(memcache(c, "get fits big\r\n"), "VALUE fits 0 1000\r\n" + std::string(1000, 'y') + "\r\nEND\r\n");
}

// A command line over max_line_bytes closes that client; another one is served.
TEST_F(Limits, MemcacheLineOverTheMaxClosesOnlyThatClient) {
  Connection bad(cluster->ringleader_ports.memcache);
  Connection good(cluster->ringleader_ports.memcache);
  bad.send("get " + std::string(500, 'k'));
  EXPECT_EQ(bad.receive_until_closed(), "CLIENT_ERROR line too long\r\n");
  EXPECT_EQ(memcache(good, memcache_set("ok", "1")), "STORED\r\n");
}

// A bulk string over max_value_bytes is Redis's protocol error; the connection closes, others go on.
TEST_F(Limits, RedisValueOverTheMaxIsAProtocolError) {
  Connection bad(cluster->ringleader_ports.redis);
  Connection good(cluster->ringleader_ports.redis);
  EXPECT_EQ(redis(good, {"SET", "fits", std::string(1000, 'y')}), "+OK\r\n");
  bad.send(resp({"SET", "big", std::string(1001, 'x')}));
  EXPECT_EQ(bad.receive_until_closed(), "-ERR Protocol error: invalid bulk length\r\n");
  EXPECT_EQ(redis(good, {"GET", "fits"}), bulk(std::string(1000, 'y')));
}

// 2000 pipelined requests in one write, at most 2 replies in flight: every reply, in order.
TEST_F(Limits, DeepPipelineThroughTwoRepliesInFlight) {
  Connection m(cluster->ringleader_ports.memcache);
  Connection r(cluster->ringleader_ports.redis);
  std::string memcache_batch, redis_batch;
  for (int i = 0; i < 1000; ++i) {
    const std::string v = std::to_string(i);
    memcache_batch += memcache_set("p" + v, v) + "get p" + v + "\r\n";
    redis_batch += resp({"SET", "p" + v, v}) + resp({"GET", "p" + v});
  }
  m.send(memcache_batch);
  r.send(redis_batch);
  for (int i = 0; i < 1000; ++i) {
    const std::string v = std::to_string(i);
    ASSERT_EQ(memcache_reply(m, false), "STORED\r\n") << i;
    ASSERT_EQ(memcache_reply(m, true), "VALUE p" + v + " 0 " + std::to_string(v.size()) + "\r\n" + v + "\r\nEND\r\n");
    ASSERT_EQ(redis_reply(r), "+OK\r\n") << i;
    ASSERT_EQ(redis_reply(r), bulk(v)) << i;
  }
}

}  // namespace
}  // namespace ringleader::test
