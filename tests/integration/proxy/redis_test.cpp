// ringleader serve, Redis pool: commands through the proxy against 3 real redis-server.
#include <gtest/gtest.h>

#include <random>
#include <set>
#include <thread>

#include "cluster.hpp"
#include "proxy/redis/reply_parser.hpp"

namespace ringleader::test {
namespace {

class RedisProxy : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { cluster = std::make_unique<Cluster>(); }
  static void TearDownTestSuite() { cluster.reset(); }
  Connection proxy() { return Connection(cluster->ringleader_ports.redis); }
  static inline std::unique_ptr<Cluster> cluster;
};

// Single-key commands of every type are routed by their key.
TEST_F(RedisProxy, SingleKeyCommands) {
  auto c = proxy();
  EXPECT_EQ(redis(c, {"SET", "str", "v"}), "+OK\r\n");
  EXPECT_EQ(redis(c, {"get", "str"}), "$1\r\nv\r\n");
  EXPECT_EQ(redis(c, {"GET", "nosuch"}), "$-1\r\n");
  EXPECT_EQ(redis(c, {"INCRBY", "counter", "5"}), ":5\r\n");
  EXPECT_EQ(redis(c, {"HSET", "hash", "f", "1", "g", "2"}), ":2\r\n");
  EXPECT_EQ(redis(c, {"HGET", "hash", "g"}), "$1\r\n2\r\n");
  EXPECT_EQ(redis(c, {"RPUSH", "list", "a", "b", "c"}), ":3\r\n");
  EXPECT_EQ(redis(c, {"LRANGE", "list", "0", "-1"}), "*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n");
  EXPECT_EQ(redis(c, {"SADD", "set", "x"}), ":1\r\n");
  EXPECT_EQ(redis(c, {"SMEMBERS", "set"}), "*1\r\n$1\r\nx\r\n");
  EXPECT_EQ(redis(c, {"ZADD", "zset", "1", "one"}), ":1\r\n");
  EXPECT_EQ(redis(c, {"ZRANGE", "zset", "0", "-1", "WITHSCORES"}), "*2\r\n$3\r\none\r\n$1\r\n1\r\n");
  EXPECT_EQ(redis(c, {"EXPIRE", "str", "100"}), ":1\r\n");
  EXPECT_EQ(redis(c, {"TTL", "str"}), ":100\r\n");
  EXPECT_TRUE(redis(c, {"GET", "str", "extra"}).starts_with("-ERR wrong number of arguments"));
  EXPECT_EQ(redis(c, {"GET"}), "-ERR wrong number of arguments for 'get' command\r\n");
}

// MSET, MGET, EXISTS, TOUCH, DEL and UNLINK over keys on every server are split and merged.
TEST_F(RedisProxy, MultiKeyCommandsSplitAndMerge) {
  auto c = proxy();
  std::vector<std::string> mset{"MSET"}, mget{"MGET"}, exists{"EXISTS"};
  for (int i = 0; i < 30; ++i) {
    mset.insert(mset.end(), {"m" + std::to_string(i), "value" + std::to_string(i)});
    mget.push_back("m" + std::to_string(i));
    if (i % 3 == 0) mget.push_back("absent" + std::to_string(i));
    exists.push_back("m" + std::to_string(i));
  }
  EXPECT_EQ(redis(c, mset), "+OK\r\n");
  // The keys really are spread: every backend holds some.
  for (auto& server : cluster->redis) {
    Connection direct(server.port);
    EXPECT_NE(redis(direct, {"DBSIZE"}), ":0\r\n");
  }
  std::string expected = "*" + std::to_string(mget.size() - 1) + "\r\n";
  for (int i = 0; i < 30; ++i) {
    expected += bulk("value" + std::to_string(i));
    if (i % 3 == 0) expected += "$-1\r\n";
  }
  EXPECT_EQ(redis(c, mget), expected);
  exists.push_back("m0");  // counted twice, as Redis does
  EXPECT_EQ(redis(c, exists), ":31\r\n");
  EXPECT_EQ(redis(c, {"TOUCH", "m1", "m2", "nosuch"}), ":2\r\n");
  EXPECT_EQ(redis(c, {"UNLINK", "m1", "m2", "nosuch"}), ":2\r\n");
  std::vector<std::string> del{"DEL"};
  for (int i = 0; i < 30; ++i) del.push_back("m" + std::to_string(i));
  EXPECT_EQ(redis(c, del), ":28\r\n");
  EXPECT_EQ(redis(c, {"MSET", "a", "1", "b"}), "-ERR wrong number of arguments for 'mset' command\r\n");
}

// PING, ECHO and QUIT are answered by the proxy.
TEST_F(RedisProxy, LocalCommands) {
  auto c = proxy();
  EXPECT_EQ(redis(c, {"PING"}), "+PONG\r\n");
  EXPECT_EQ(redis(c, {"ping", "hi"}), "$2\r\nhi\r\n");
  EXPECT_EQ(redis(c, {"ECHO", "a\r\nb"}), "$4\r\na\r\nb\r\n");
  EXPECT_EQ(redis(c, {"AUTH", "x"}).substr(0, 23), "-ERR AUTH <password> ca");
  EXPECT_EQ(redis(c, {"QUIT"}), "+OK\r\n");
  EXPECT_TRUE(c.closed_by_peer());
}

// What client libraries send when they connect, answered as Redis 7 answers it (RESP2): HELLO with
// its options, CLIENT about this connection, SELECT of the pool's db.
TEST_F(RedisProxy, ConnectionCommands) {
  auto c = proxy();
  const std::string id = redis(c, {"CLIENT", "ID"});
  ASSERT_TRUE(id.starts_with(":")) << id;
  EXPECT_EQ(redis(c, {"HELLO", "2", "SETNAME", "app-1"}),
            "*16\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$5\r\n7.0.0\r\n$5\r\nproto\r\n:2\r\n"
            "$2\r\nid\r\n" + id + "$4\r\nmode\r\n$10\r\nstandalone\r\n$4\r\nrole\r\n$6\r\nmaster\r\n"
            "$7\r\nmodules\r\n*0\r\n$5\r\nproxy\r\n$10\r\nringleader\r\n");
  EXPECT_EQ(redis(c, {"CLIENT", "GETNAME"}), "$5\r\napp-1\r\n");
  EXPECT_EQ(redis(c, {"client", "setname", "other"}), "+OK\r\n");
  EXPECT_EQ(redis(c, {"CLIENT", "GETNAME"}), "$5\r\nother\r\n");
  EXPECT_EQ(redis(c, {"CLIENT", "SETNAME", "a b"}),
            "-ERR Client names cannot contain spaces, newlines or special characters.\r\n");
  EXPECT_EQ(redis(c, {"CLIENT", "SETINFO", "LIB-NAME", "redis-py"}), "+OK\r\n");
  EXPECT_EQ(redis(c, {"CLIENT", "SETINFO", "lib-ver", "5.0.1"}), "+OK\r\n");
  EXPECT_EQ(redis(c, {"CLIENT", "SETINFO", "colour", "red"}), "-ERR Unrecognized option 'colour'\r\n");
  EXPECT_EQ(redis(c, {"CLIENT", "NO-EVICT", "on"}), "+OK\r\n");
  EXPECT_EQ(redis(c, {"CLIENT", "NO-TOUCH", "off"}), "+OK\r\n");
  EXPECT_EQ(redis(c, {"CLIENT", "SETNAME"}), "-ERR wrong number of arguments for 'client|setname' command\r\n");
  EXPECT_EQ(redis(c, {"CLIENT", "LIST"}), "-ERR command 'CLIENT LIST' is not supported by proxy\r\n");
  EXPECT_EQ(redis(c, {"HELLO", "4"}), "-NOPROTO unsupported protocol version\r\n");
  EXPECT_EQ(redis(c, {"HELLO", "two"}), "-ERR Protocol version is not an integer or out of range\r\n");
  EXPECT_EQ(redis(c, {"HELLO", "2", "SETNAME"}), "-ERR Syntax error in HELLO option 'SETNAME'\r\n");
  // The default user has no password here (Redis's nopass): any password is his, no other user is.
  EXPECT_TRUE(redis(c, {"HELLO", "2", "AUTH", "default", "x"}).starts_with("*16\r\n"));
  EXPECT_EQ(redis(c, {"HELLO", "2", "AUTH", "alice", "x"}),
            "-WRONGPASS invalid username-password pair or user is disabled.\r\n");
  EXPECT_EQ(redis(c, {"SELECT", "0"}), "+OK\r\n");
  EXPECT_EQ(redis(c, {"SELECT", "1"}), "-ERR SELECT 1 is not supported by proxy: the pool's servers use db 0\r\n");
  EXPECT_EQ(redis(c, {"SELECT", "x"}), "-ERR value is not an integer or out of range\r\n");
  // Another connection is another client.
  auto other = proxy();
  EXPECT_NE(redis(other, {"CLIENT", "ID"}), id);
  EXPECT_EQ(redis(other, {"CLIENT", "GETNAME"}), "$-1\r\n");
  EXPECT_EQ(redis(c, {"SET", "after-hello", "v"}), "+OK\r\n");
  EXPECT_EQ(redis(other, {"GET", "after-hello"}), "$1\r\nv\r\n");
}

// A client that says HELLO 3 gets RESP3: the proxy's own replies in RESP3's forms, and every
// server's reply as the server gives it in RESP3 (maps, sets, doubles, nulls), merged replies
// included; meanwhile a RESP2 client on the same servers gets RESP2. HELLO 2 and RESET go back.
TEST_F(RedisProxy, Resp3) {
  auto c = proxy();
  auto resp2 = proxy();
  const std::string id = redis(c, {"CLIENT", "ID"});
  EXPECT_EQ(redis(c, {"HELLO", "3"}),
            "%8\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$5\r\n7.0.0\r\n$5\r\nproto\r\n:3\r\n"
            "$2\r\nid\r\n" + id + "$4\r\nmode\r\n$10\r\nstandalone\r\n$4\r\nrole\r\n$6\r\nmaster\r\n"
            "$7\r\nmodules\r\n*0\r\n$5\r\nproxy\r\n$10\r\nringleader\r\n");
  EXPECT_EQ(redis(c, {"GET", "resp3:nosuch"}), "_\r\n");
  EXPECT_EQ(redis(c, {"HSET", "resp3:h", "f", "1"}), ":1\r\n");
  EXPECT_EQ(redis(c, {"HGETALL", "resp3:h"}), "%1\r\n$1\r\nf\r\n$1\r\n1\r\n");
  EXPECT_EQ(redis(c, {"ZADD", "resp3:z", "1.5", "m"}), ":1\r\n");
  EXPECT_EQ(redis(c, {"ZSCORE", "resp3:z", "m"}), ",1.5\r\n");
  EXPECT_EQ(redis(c, {"SADD", "resp3:s", "x"}), ":1\r\n");
  EXPECT_EQ(redis(c, {"SMEMBERS", "resp3:s"}), "~1\r\n$1\r\nx\r\n");
  // Pipelined beside a RESP2 client's commands to the same servers.
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(redis(resp2, {"HGETALL", "resp3:h"}), "*2\r\n$1\r\nf\r\n$1\r\n1\r\n");
    EXPECT_EQ(redis(c, {"HGETALL", "resp3:h"}), "%1\r\n$1\r\nf\r\n$1\r\n1\r\n");
    EXPECT_EQ(redis(resp2, {"GET", "resp3:nosuch"}), "$-1\r\n");
  }
  // Split over the 3 servers and merged: the nulls are the servers' RESP3 ones.
  EXPECT_EQ(redis(c, {"MSET", "resp3:a", "1", "resp3:b", "2", "resp3:c", "3"}), "+OK\r\n");
  EXPECT_EQ(redis(c, {"MGET", "resp3:c", "resp3:none", "resp3:a", "resp3:b"}),
            "*4\r\n$1\r\n3\r\n_\r\n$1\r\n1\r\n$1\r\n2\r\n");
  EXPECT_EQ(redis(c, {"DEL", "resp3:a", "resp3:b", "resp3:c", "resp3:none"}), ":3\r\n");
  EXPECT_EQ(redis(c, {"CLIENT", "GETNAME"}), "_\r\n");
  const std::string info = redis(c, {"INFO", "server"});
  EXPECT_TRUE(info.starts_with("=") && info.find("\r\ntxt:# Server\r\n") != std::string::npos) << info;
  EXPECT_TRUE(redis(c, {"HELLO"}).starts_with("%8\r\n"));  // no version: the one it speaks
  EXPECT_TRUE(redis(c, {"HELLO", "2"}).starts_with("*16\r\n"));
  EXPECT_EQ(redis(c, {"HGETALL", "resp3:h"}), "*2\r\n$1\r\nf\r\n$1\r\n1\r\n");
  EXPECT_TRUE(redis(c, {"HELLO", "3"}).starts_with("%8\r\n"));
  EXPECT_EQ(redis(c, {"RESET"}), "+RESET\r\n");
  EXPECT_EQ(redis(c, {"GET", "resp3:nosuch"}), "$-1\r\n");
  EXPECT_EQ(redis(c, {"DEL", "resp3:h", "resp3:z", "resp3:s"}), ":3\r\n");
}

// MULTI ... EXEC runs on the server of its keys, on a connection of the client's own: queued there,
// executed together. DISCARD drops it; WATCH aborts it when another client changed a watched key.
TEST_F(RedisProxy, Transactions) {
  auto c = proxy();
  auto other = proxy();
  EXPECT_EQ(redis(c, {"EXEC"}), "-ERR EXEC without MULTI\r\n");
  EXPECT_EQ(redis(c, {"MULTI"}), "+OK\r\n");
  EXPECT_EQ(redis(c, {"MULTI"}), "-ERR MULTI calls can not be nested\r\n");
  EXPECT_EQ(redis(c, {"SET", "{tx}a", "1"}), "+QUEUED\r\n");
  EXPECT_EQ(redis(c, {"INCR", "{tx}n"}), "+QUEUED\r\n");
  EXPECT_EQ(redis(other, {"GET", "{tx}a"}), "$-1\r\n");  // not run yet
  EXPECT_EQ(redis(c, {"EXEC"}), "*2\r\n+OK\r\n:1\r\n");
  EXPECT_EQ(redis(other, {"GET", "{tx}a"}), "$1\r\n1\r\n");

  EXPECT_EQ(redis(c, {"MULTI"}), "+OK\r\n");
  EXPECT_EQ(redis(c, {"SET", "{tx}a", "dropped"}), "+QUEUED\r\n");
  EXPECT_EQ(redis(c, {"DISCARD"}), "+OK\r\n");
  EXPECT_EQ(redis(c, {"MULTI"}), "+OK\r\n");
  EXPECT_EQ(redis(c, {"EXEC"}), "*0\r\n");

  // WATCH: another client's write makes EXEC answer nil, and nothing runs.
  EXPECT_EQ(redis(c, {"WATCH", "{tx}a"}), "+OK\r\n");
  EXPECT_EQ(redis(other, {"SET", "{tx}a", "2"}), "+OK\r\n");
  EXPECT_EQ(redis(c, {"MULTI"}), "+OK\r\n");
  EXPECT_EQ(redis(c, {"SET", "{tx}a", "3"}), "+QUEUED\r\n");
  EXPECT_EQ(redis(c, {"EXEC"}), "*-1\r\n");
  EXPECT_EQ(redis(c, {"GET", "{tx}a"}), "$1\r\n2\r\n");
  EXPECT_EQ(redis(c, {"WATCH", "{tx}a"}), "+OK\r\n");
  EXPECT_EQ(redis(c, {"MULTI"}), "+OK\r\n");
  EXPECT_EQ(redis(c, {"WATCH", "{tx}a"}), "-ERR WATCH inside MULTI is not allowed\r\n");
  EXPECT_EQ(redis(c, {"INCR", "{tx}a"}), "+QUEUED\r\n");
  EXPECT_EQ(redis(c, {"EXEC"}), "*1\r\n:3\r\n");
  EXPECT_EQ(redis(c, {"DEL", "{tx}a", "{tx}n"}), ":2\r\n");
}

// A transaction whose keys live on two servers is refused key by key, and EXEC discards it all, as
// Redis discards a transaction with a command it refused; so does a command the proxy cannot queue.
TEST_F(RedisProxy, TransactionsOverServersAbort) {
  auto c = proxy();
  EXPECT_EQ(redis(c, {"MULTI"}), "+OK\r\n");
  EXPECT_EQ(redis(c, {"SET", "{tx}first", "1"}), "+QUEUED\r\n");
  std::vector<std::string> queued;
  int refused = 0;
  for (int i = 0; i < 20; ++i) {
    const std::string key = "tx:" + std::to_string(i);
    const std::string reply = redis(c, {"SET", key, "1"});
    if (reply == "+QUEUED\r\n") {
      queued.push_back(key);
    } else {
      EXPECT_TRUE(reply.starts_with("-ERR keys of 'SET' live on another server than the transaction's")) << reply;
      ++refused;
    }
  }
  EXPECT_GT(refused, 0);
  EXPECT_EQ(redis(c, {"EXEC"}), "-EXECABORT Transaction discarded because of previous errors.\r\n");
  EXPECT_EQ(redis(c, {"GET", "{tx}first"}), "$-1\r\n");
  for (const auto& key : queued) EXPECT_EQ(redis(c, {"GET", key}), "$-1\r\n") << key;
  EXPECT_EQ(redis(c, {"MULTI"}), "+OK\r\n");
  EXPECT_EQ(redis(c, {"PING"}), "-ERR command 'PING' inside MULTI is not supported by proxy\r\n");
  EXPECT_EQ(redis(c, {"EXEC"}), "-EXECABORT Transaction discarded because of previous errors.\r\n");
  EXPECT_EQ(redis(c, {"PING"}), "+PONG\r\n");
}

// A blocking pop waits on a connection of its own: other clients' commands (the pusher's too) go
// on meanwhile, and the push wakes it. The server keeps the client's timeout. A client that leaves
// while blocked leaves nothing blocked behind: a later push stays in the list.
TEST_F(RedisProxy, BlockingCommands) {
  // The clients the servers hold blocked, over the 3 of them.
  const auto blocked_at_servers = [] {
    int count = 0;
    for (const auto& server : cluster->redis) {
      Connection direct(server.port);
      const std::string info = redis(direct, {"INFO", "clients"});
      const auto at = info.find("blocked_clients:");
      count += std::stoi(info.substr(at + 16));
    }
    return count;
  };
  const auto wait_for_blocked = [&](int count) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (blocked_at_servers() != count && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    return blocked_at_servers() == count;
  };
  auto blocked = proxy();
  auto c = proxy();
  blocked.send(resp({"BLPOP", "{bl}list", "{bl}other", "0"}));
  for (int i = 0; i < 3; ++i) EXPECT_EQ(redis(c, {"SET", "bl:" + std::to_string(i), "v"}), "+OK\r\n");
  EXPECT_EQ(redis(c, {"RPUSH", "{bl}list", "woken"}), ":1\r\n");
  EXPECT_EQ(redis_reply(blocked), "*2\r\n$8\r\n{bl}list\r\n$5\r\nwoken\r\n");
  EXPECT_EQ(redis(blocked, {"BRPOP", "{bl}list", "0.05"}), "*-1\r\n");  // the server's timeout
  // Streams: XREAD as a read; with BLOCK, on a connection of its own, woken by XADD.
  EXPECT_EQ(redis(c, {"XADD", "{bl}s", "1-1", "f", "v"}), "$3\r\n1-1\r\n");
  EXPECT_EQ(redis(c, {"XREAD", "STREAMS", "{bl}s", "0"}),
            "*1\r\n*2\r\n$5\r\n{bl}s\r\n*1\r\n*2\r\n$3\r\n1-1\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n");
  blocked.send(resp({"XREAD", "BLOCK", "0", "STREAMS", "{bl}s", "$"}));
  EXPECT_EQ(redis(c, {"GET", "bl:0"}), "$1\r\nv\r\n");
  ASSERT_TRUE(wait_for_blocked(1));
  EXPECT_EQ(redis(c, {"XADD", "{bl}s", "2-1", "f", "w"}), "$3\r\n2-1\r\n");
  EXPECT_EQ(redis_reply(blocked),
            "*1\r\n*2\r\n$5\r\n{bl}s\r\n*1\r\n*2\r\n$3\r\n2-1\r\n*2\r\n$1\r\nf\r\n$1\r\nw\r\n");
  // Keys on two servers: refused, as any command's (one of these keys lives elsewhere).
  int apart = 0;
  for (int i = 0; i < 10; ++i)
    apart += redis(c, {"BLPOP", "{bl}list", "bl:" + std::to_string(i), "0.01"}).starts_with("-ERR keys of 'BLPOP' live on");
  EXPECT_GT(apart, 0);
  {
    Connection leaving(cluster->ringleader_ports.redis);
    leaving.send(resp({"BLPOP", "{bl}gone", "0"}));
    ASSERT_TRUE(wait_for_blocked(1));
  }
  ASSERT_TRUE(wait_for_blocked(0));  // the client left: the proxy closed its connection
  EXPECT_EQ(redis(c, {"RPUSH", "{bl}gone", "kept"}), ":1\r\n");
  EXPECT_EQ(redis(c, {"LLEN", "{bl}gone"}), ":1\r\n");
  EXPECT_EQ(redis(c, {"DEL", "{bl}gone", "{bl}s", "bl:0", "bl:1", "bl:2"}), ":5\r\n");
}

// Pub/sub: channels placed like keys over the 3 servers, a pattern on all of them; each published
// message comes once, confirmations in the client's order with Redis's counts. A RESP2 subscriber
// may only (un)subscribe and PING; out of every subscription it is an ordinary client again.
TEST_F(RedisProxy, PubSub) {
  auto sub = proxy();
  auto pub = proxy();
  const auto confirmation = [](const std::string& kind, const std::string& channel, int count) {
    return "*3\r\n" + bulk(kind) + bulk(channel) + ":" + std::to_string(count) + "\r\n";
  };
  sub.send(resp({"SUBSCRIBE", "ch:0", "ch:1", "ch:2", "ch:3"}));
  for (int i = 0; i < 4; ++i) EXPECT_EQ(redis_reply(sub), confirmation("subscribe", "ch:" + std::to_string(i), i + 1));
  EXPECT_EQ(redis(sub, {"PSUBSCRIBE", "ch:*"}), confirmation("psubscribe", "ch:*", 5));
  for (int i = 0; i < 4; ++i) {
    const std::string channel = "ch:" + std::to_string(i);
    EXPECT_EQ(redis(pub, {"PUBLISH", channel, "m"}), ":2\r\n");  // the channel and the pattern, on one server
    EXPECT_EQ(redis_reply(sub), "*3\r\n$7\r\nmessage\r\n" + bulk(channel) + "$1\r\nm\r\n");
    EXPECT_EQ(redis_reply(sub), "*4\r\n$8\r\npmessage\r\n$4\r\nch:*\r\n" + bulk(channel) + "$1\r\nm\r\n");
  }
  EXPECT_EQ(redis(pub, {"PUBLISH", "ch:9", "p"}), ":1\r\n");
  EXPECT_EQ(redis_reply(sub), "*4\r\n$8\r\npmessage\r\n$4\r\nch:*\r\n$4\r\nch:9\r\n$1\r\np\r\n");
  EXPECT_EQ(redis(sub, {"GET", "k"}), "-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / "
                                      "QUIT / RESET are allowed in this context\r\n");
  EXPECT_EQ(redis(sub, {"PING"}), "*2\r\n$4\r\npong\r\n$0\r\n\r\n");
  sub.send(resp({"UNSUBSCRIBE"}));  // from every channel
  for (int i = 0; i < 4; ++i) EXPECT_EQ(redis_reply(sub), confirmation("unsubscribe", "ch:" + std::to_string(i), 4 - i));
  EXPECT_EQ(redis(sub, {"PUNSUBSCRIBE"}), confirmation("punsubscribe", "ch:*", 0));
  EXPECT_EQ(redis(sub, {"GET", "k"}), "$-1\r\n");
  EXPECT_EQ(redis(pub, {"PUBLISH", "ch:0", "x"}), ":0\r\n");
  EXPECT_EQ(redis(sub, {"UNSUBSCRIBE"}), "*3\r\n$11\r\nunsubscribe\r\n$-1\r\n:0\r\n");
  // Sharded channels, and a RESP3 subscriber: pushes, and any command meanwhile.
  EXPECT_EQ(redis(sub, {"HELLO", "3"}).substr(0, 4), "%8\r\n");
  EXPECT_EQ(redis(sub, {"SSUBSCRIBE", "{s}a"}), ">3\r\n$10\r\nssubscribe\r\n$4\r\n{s}a\r\n:1\r\n");
  EXPECT_EQ(redis(pub, {"SPUBLISH", "{s}a", "v"}), ":1\r\n");
  EXPECT_EQ(redis_reply(sub), ">3\r\n$8\r\nsmessage\r\n$4\r\n{s}a\r\n$1\r\nv\r\n");
  EXPECT_EQ(redis(sub, {"GET", "k"}), "_\r\n");
  EXPECT_EQ(redis(sub, {"RESET"}), "+RESET\r\n");
  EXPECT_EQ(redis(pub, {"SPUBLISH", "{s}a", "v"}), ":0\r\n");
}

// KEYS, SCAN and DBSIZE go to every server: the answers one Redis holding all their keys would give.
TEST_F(RedisProxy, FanOut) {
  auto c = proxy();
  std::set<std::string> mine;
  for (int i = 0; i < 30; ++i) {
    mine.insert("fan:" + std::to_string(i));
    EXPECT_EQ(redis(c, {"SET", "fan:" + std::to_string(i), "v"}), "+OK\r\n");
  }
  long long direct = 0;
  for (const auto& server : cluster->redis) {
    Connection d(server.port);
    direct += std::stoll(redis(d, {"DBSIZE"}).substr(1));
  }
  EXPECT_EQ(redis(c, {"DBSIZE"}), ":" + std::to_string(direct) + "\r\n");
  const auto elements = [](const std::string& array) {
    std::vector<std::string_view> out;
    EXPECT_TRUE(proxy::redis::split_array(array, out)) << array;
    std::set<std::string> keys;
    for (const auto e : out) keys.emplace(proxy::redis::bulk_text(e));
    return keys;
  };
  EXPECT_EQ(elements(redis(c, {"KEYS", "fan:*"})), mine);
  // SCAN, 5 at a time: every key once at least, over several calls and all three servers.
  std::set<std::string> scanned;
  std::string cursor = "0";
  int calls = 0;
  do {
    const std::string reply = redis(c, {"SCAN", cursor, "MATCH", "fan:*", "COUNT", "5"});
    std::vector<std::string_view> two;
    ASSERT_TRUE(proxy::redis::split_array(reply, two) && two.size() == 2) << reply;
    cursor = std::string(proxy::redis::bulk_text(two[0]));
    for (const auto& key : elements(std::string(two[1]))) scanned.insert(key);
    ++calls;
  } while (cursor != "0" && calls < 1000);
  EXPECT_EQ(scanned, mine);
  EXPECT_GT(calls, 3);
  EXPECT_EQ(redis(c, {"SCAN", "x"}), "-ERR invalid cursor\r\n");
  EXPECT_EQ(redis(c, {"SCAN", "1023"}), "-ERR invalid cursor\r\n");  // server 1023 of 3
  EXPECT_EQ(redis(c, {"KEYS"}), "-ERR wrong number of arguments for 'keys' command\r\n");
  for (const auto& key : mine) redis(c, {"DEL", key});
}

// Commands a sharding proxy cannot serve get a clear error; the connection stays usable.
TEST_F(RedisProxy, UnsupportedCommands) {
  auto c = proxy();
  for (std::string name : {"RANDOMKEY", "WAIT", "CONFIG", "FLUSHALL"}) {
    const std::string reply = redis(c, {name, "x"});
    EXPECT_TRUE(reply.starts_with("-ERR") && reply.find("not supported by proxy") != std::string::npos) << reply;
  }
  EXPECT_EQ(redis(c, {"NOSUCHCOMMAND", "x"}), "-ERR unknown command 'NOSUCHCOMMAND', or not supported by proxy\r\n");
  EXPECT_EQ(redis(c, {"PING"}), "+PONG\r\n");
}

// Multi-key commands work when hash tags put the keys on one server, and are refused otherwise.
TEST_F(RedisProxy, HashTagsColocateKeys) {
  auto c = proxy();
  EXPECT_EQ(redis(c, {"SET", "{user1}:a", "1"}), "+OK\r\n");
  EXPECT_EQ(redis(c, {"RENAME", "{user1}:a", "{user1}:b"}), "+OK\r\n");
  EXPECT_EQ(redis(c, {"GET", "{user1}:b"}), "$1\r\n1\r\n");
  EXPECT_EQ(redis(c, {"SADD", "{t}s1", "a", "b"}), ":2\r\n");
  EXPECT_EQ(redis(c, {"SADD", "{t}s2", "b"}), ":1\r\n");
  EXPECT_EQ(redis(c, {"SINTER", "{t}s1", "{t}s2"}), "*1\r\n$1\r\nb\r\n");
  EXPECT_EQ(redis(c, {"EVAL", "return redis.call('GET', KEYS[1])", "1", "{user1}:b"}), "$1\r\n1\r\n");
  // Find two keys on different servers: some pair among a few keys must differ.
  bool refused = false;
  for (int i = 1; i < 20 && !refused; ++i) {
    const std::string reply = redis(c, {"SUNION", "k0", "k" + std::to_string(i)});
    refused = reply.starts_with("-ERR keys of 'SUNION' live on different servers");
    if (!refused) {
      EXPECT_EQ(reply, "*0\r\n");
    }
  }
  EXPECT_TRUE(refused);
}

// Inline commands work as in Redis.
TEST_F(RedisProxy, InlineCommands) {
  auto c = proxy();
  c.send("SET inl hello\r\nGET inl\r\nPING\r\n\r\n");
  EXPECT_EQ(redis_reply(c), "+OK\r\n");
  EXPECT_EQ(redis_reply(c), "$5\r\nhello\r\n");
  EXPECT_EQ(redis_reply(c), "+PONG\r\n");
}

// Values up to 1 MiB with every byte value go through unchanged.
TEST_F(RedisProxy, BinaryValuesUpTo1MiB) {
  auto c = proxy();
  std::mt19937 random(11);
  for (std::size_t size : {0u, 1u, 1000u, 100'000u, 1u << 20}) {
    std::string value(size, '\0');
    for (auto& ch : value) ch = static_cast<char>(random());
    const std::string key = "bin" + std::to_string(size);
    ASSERT_EQ(redis(c, {"SET", key, value}), "+OK\r\n");
    EXPECT_EQ(redis(c, {"GET", key}), bulk(value));
  }
}

// 2000 pipelined commands in one write come back in order.
TEST_F(RedisProxy, Pipelining) {
  auto c = proxy();
  std::string batch;
  for (int i = 0; i < 1000; ++i) {
    batch += resp({"SET", "p" + std::to_string(i), std::to_string(i)});
    batch += resp({"GET", "p" + std::to_string(i)});
  }
  c.send(batch);
  for (int i = 0; i < 1000; ++i) {
    ASSERT_EQ(redis_reply(c), "+OK\r\n") << i;
    ASSERT_EQ(redis_reply(c), bulk(std::to_string(i))) << i;
  }
}

// Many clients at once, each with its own keys.
TEST_F(RedisProxy, ConcurrentClients) {
  std::vector<std::thread> clients;
  std::atomic<int> wrong{0};
  for (int t = 0; t < 16; ++t) {
    clients.emplace_back([&, t] {
      try {
        auto c = proxy();
        for (int i = 0; i < 100; ++i) {
          const std::string key = "c" + std::to_string(t) + ":" + std::to_string(i);
          if (redis(c, {"SET", key, key}) != "+OK\r\n" || redis(c, {"GET", key}) != bulk(key)) ++wrong;
        }
      } catch (const std::exception&) {
        ++wrong;
      }
    });
  }
  for (auto& t : clients) t.join();
  EXPECT_EQ(wrong, 0);
}

// A protocol error gets Redis's error and closes that connection only.
TEST_F(RedisProxy, ProtocolErrorClosesOnlyThatClient) {
  auto bad = proxy();
  auto good = proxy();
  bad.send("*1\r\n$x\r\n");
  EXPECT_EQ(bad.receive_until_closed(), "-ERR Protocol error: invalid bulk length\r\n");
  EXPECT_EQ(redis(good, {"PING"}), "+PONG\r\n");
}

}  // namespace
}  // namespace ringleader::test
