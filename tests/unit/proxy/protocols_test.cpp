// The protocol table: names resolve, unknown names are config errors with file and line, and each
// protocol's error reply, handshake and probe are what the core used to write itself.
#include <string>

#include <gtest/gtest.h>

#include "proxy/config/config.hpp"
#include "proxy/protocols.hpp"

namespace ringleader::proxy {
namespace {

const std::string kServers = "  servers:\n   - 127.0.0.1:1:1\n";

// Every registered name resolves, and a pool resolves to the protocol it names.
TEST(Protocols, NamesResolve) {
  EXPECT_NE(find_protocol("memcache"), nullptr);
  EXPECT_NE(find_protocol("redis"), nullptr);
  EXPECT_NE(find_protocol("memcache"), find_protocol("redis"));
  EXPECT_EQ(find_protocol("http/0.9"), nullptr);
  const auto config = config::parse("a:\n  listen: 127.0.0.1:1\n  redis: true\n" + kServers);
  EXPECT_EQ(&protocol_of(config.pools[0]), find_protocol("redis"));
}

// An unknown protocol is refused like any bad key: file, line, pool, key and the known names.
TEST(Protocols, UnknownNameIsAConfigError) {
  const auto config = config::parse("a:\n  listen: 127.0.0.1:1\n  protocol: gopher\n" + kServers, "x.yml");
  try {
    check_protocols(config);
    FAIL() << "gopher accepted";
  } catch (const config::ConfigError& e) {
    EXPECT_STREQ(e.what(), "x.yml:3: pool 'a': key 'protocol': 'gopher' is not a protocol (known: memcache, redis, http)");
  }
  EXPECT_THROW(protocol_of(config.pools[0]), std::invalid_argument);
}

// What a protocol cannot do is refused with the line of the key that asks for it: an http pool
// keeps no copies and has no warm-up (before, warmup_ms and draining passed and did nothing).
TEST(Protocols, PoolsAskOnlyForWhatTheirProtocolDoes) {
  const std::string http = "a:\n  listen: 127.0.0.1:1\n  protocol: http\n";
  const auto refused = [](const std::string& yaml) -> std::string {
    try {
      check_protocols(config::parse(yaml, "x.yml"));
    } catch (const config::ConfigError& e) {
      return e.what();
    }
    return "accepted";
  };
  EXPECT_EQ(refused(http + "  warmup_ms: 100\n" + kServers),
            "x.yml:4: pool 'a': key 'warmup_ms': an http pool has no warm-up (moved keys are not read from their "
            "previous owner)");
  EXPECT_EQ(refused(http + "  servers:\n   - 127.0.0.1:1:1\n   - 127.0.0.1:2:1 draining\n"),
            "x.yml:4: pool 'a': key 'servers': an http pool has no warm-up (moved keys are not read from their "
            "previous owner); remove the server instead of draining it");
  EXPECT_NE(refused(http + "  replicas: 2\n  servers:\n   - 127.0.0.1:1:1\n   - 127.0.0.1:2:1\n").find(
                "x.yml:4: pool 'a': key 'replicas': an http pool keeps no copies"),
            std::string::npos);
  // Each protocol's own keys: another protocol's pool that gives one is refused, at the first given.
  EXPECT_EQ(refused("a:\n  listen: 127.0.0.1:1\n  http_key: path\n" + kServers),
            "x.yml:3: pool 'a': key 'http_key': is only valid for an http pool (protocol: http)");
  EXPECT_EQ(refused("a:\n  listen: 127.0.0.1:1\n  redis: true\n  client_idle_timeout: 5000\n" + kServers),
            "x.yml:4: pool 'a': key 'client_idle_timeout': is only valid for an http pool (protocol: http)");
  EXPECT_EQ(refused(http + "  client_header_timeout: 5000\n  client_idle_timeout: 0\n" + kServers), "accepted");
  EXPECT_EQ(refused("a:\n  listen: 127.0.0.1:1\n  redis_users:\n    alice: one\n  redis_auth: pw\n" + kServers),
            "x.yml:3: pool 'a': key 'redis_users': is only valid for a redis pool (protocol: redis)");
  EXPECT_EQ(refused("a:\n  listen: 127.0.0.1:1\n  protocol: memcache\n  redis_auth: pw\n" + kServers),
            "x.yml:4: pool 'a': key 'redis_auth': is only valid for a redis pool (protocol: redis)");
  EXPECT_EQ(refused("a:\n  listen: 127.0.0.1:1\n  redis_fan_out: false\n" + kServers),
            "x.yml:3: pool 'a': key 'redis_fan_out': is only valid for a redis pool (protocol: redis)");
  EXPECT_EQ(refused(http + "  redis_auth: pw\n" + kServers),
            "x.yml:4: pool 'a': key 'redis_auth': is only valid for a redis pool (protocol: redis)");
  EXPECT_EQ(refused("a:\n  listen: 127.0.0.1:1\n  redis: true\n  redis_auth_user: app\n" + kServers),
            "x.yml:4: pool 'a': key 'redis_auth_user': needs redis_auth, the password the proxy gives with the "
            "user's name");
  EXPECT_EQ(refused("a:\n  listen: 127.0.0.1:1\n  redis: true\n  redis_auth_user: app\n  redis_auth: pw\n" +
                    kServers),
            "accepted");
  for (const char* protocol : {"memcache", "redis"}) {
    EXPECT_EQ(refused("a:\n  listen: 127.0.0.1:1\n  protocol: " + std::string(protocol) +
                      "\n  warmup_ms: 100\n  replicas: 1\n" + kServers),
              "accepted")
        << protocol;
  }
}

// Error replies keep the bytes clients and tests have always seen.
TEST(Protocols, ErrorRepliesInEachProtocolsFormat) {
  EXPECT_EQ(find_protocol("memcache")->error_reply("no reply"), "SERVER_ERROR no reply\r\n");
  EXPECT_EQ(find_protocol("redis")->error_reply("no reply"), "-ERR no reply\r\n");
}

// Redis sends AUTH, then SELECT; a refused SELECT fails the connection unless AUTH was refused.
TEST(Protocols, RedisHandshake) {
  auto pool = config::parse("a:\n  listen: 127.0.0.1:1\n  redis: true\n  redis_auth: pw\n  redis_db: 2\n" + kServers)
                  .pools[0];
  const Protocol& redis = protocol_of(pool);
  const Handshake hello = redis.handshake(pool, 0);
  EXPECT_EQ(hello.bytes, "*2\r\n$4\r\nAUTH\r\n$2\r\npw\r\n*2\r\n$6\r\nSELECT\r\n$1\r\n2\r\n");
  ASSERT_EQ(hello.steps.size(), 2u);
  EXPECT_TRUE(redis.judge_handshake(hello.steps[0], "+OK\r\n", false, "s").failure.empty());
  EXPECT_TRUE(redis.judge_handshake(hello.steps[1], "-ERR bad\r\n", true, "s").failure.empty());
  EXPECT_EQ(redis.judge_handshake(hello.steps[1], "-ERR DB index is out of range\r\n", false, "s:1").failure,
            "SELECT 2 refused by s:1: ERR DB index is out of range");
  pool.protocol = "memcache";
  EXPECT_TRUE(protocol_of(pool).handshake(pool, 0).bytes.empty());
}

// A connection for RESP3 clients (dialect 1) asks for RESP3 after AUTH; a server that refuses it
// (a Redis before 6) fails the connection with why, not counted against the server.
TEST(Protocols, RedisResp3Handshake) {
  auto pool = config::parse("a:\n  listen: 127.0.0.1:1\n  redis: true\n  redis_auth: pw\n" + kServers).pools[0];
  const Protocol& redis = protocol_of(pool);
  ASSERT_EQ(redis.dialects(), 2);
  const Handshake hello = redis.handshake(pool, 1);
  EXPECT_EQ(hello.bytes, "*2\r\n$4\r\nAUTH\r\n$2\r\npw\r\n*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n");
  ASSERT_EQ(hello.steps.size(), 2u);
  EXPECT_TRUE(redis.judge_handshake(hello.steps[1], "%7\r\n", false, "s").failure.empty());
  EXPECT_EQ(redis.judge_handshake(hello.steps[1], "-ERR unknown command 'HELLO'\r\n", false, "s:1").failure,
            "RESP3 (HELLO 3) refused by s:1: ERR unknown command 'HELLO'");
  EXPECT_TRUE(redis.judge_handshake(hello.steps[1], "-NOAUTH x\r\n", true, "s").failure.empty());
  EXPECT_EQ(find_protocol("memcache")->dialects(), 1);
}

// The health probe passes what each protocol's healthy server answers: memcached's version, Redis's
// PONG, any 2xx or 3xx status of an HTTP/1.1 or HTTP/1.0 server (python3 -m http.server answers
// HTTP/1.0: a server like it taken out must come back), and nothing else.
TEST(Protocols, ProbesPassHealthyAnswersOnly) {
  config::Pool pool;
  const auto last_step = [&](const std::string& protocol) {
    pool.protocol = protocol;
    return protocol_of(pool).probe(pool).back();
  };
  const ProbeStep memcache = last_step("memcache");
  EXPECT_TRUE(memcache.passes("VERSION 1.6.18"));
  EXPECT_FALSE(memcache.passes("ERROR"));
  const ProbeStep redis = last_step("redis");
  EXPECT_TRUE(redis.passes("+PONG"));
  EXPECT_FALSE(redis.passes("+PONGS"));
  EXPECT_FALSE(redis.passes("-NOAUTH Authentication required."));
  const ProbeStep http = last_step("http");
  for (const char* healthy : {"HTTP/1.1 200 OK", "HTTP/1.1 302 Found", "HTTP/1.0 200 OK", "HTTP/1.0 301 Moved"})
    EXPECT_TRUE(http.passes(healthy)) << healthy;
  for (const char* sick : {"HTTP/1.1 500 Internal Server Error", "HTTP/1.0 404 Not Found", "HTTP/1.1 101 Switching",
                           "SSH-2.0-OpenSSH", ""})
    EXPECT_FALSE(http.passes(sick)) << sick;
}

}  // namespace
}  // namespace ringleader::proxy
