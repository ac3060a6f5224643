// The replicas route nodes (route/replicas.hpp) against fake servers: a write sent to every copy of
// its key, its reply merged with the real protocols' judgement of each copy's reply, and a copy's
// split reply answering into the whole; a read failing over from copy to copy.
#include <gtest/gtest.h>

#include <memory>

#include "proxy/protocols.hpp"
#include "proxy/redis/merged_replies.hpp"
#include "proxy/route/replicas.hpp"
#include "route/fake_context.hpp"

namespace ringleader::proxy {
namespace {

using testing::copies_on;
using testing::FakeClient;
using testing::FakeContext;

const Protocol& memcache() { return *find_protocol("memcache"); }
const Protocol& redis() { return *find_protocol("redis"); }

// replica_writes: all waits for every copy and answers with the worst: an error before the server's
// own no before a success, whatever order they come in.
TEST(ReplicatedWrite, AllAnswersWithTheWorstCopy) {
  ReplicatedWrite reply(3, true, true, memcache());
  reply.complete(1, "NOT_STORED\r\n", false);
  reply.complete(0, "STORED\r\n", false);
  EXPECT_FALSE(reply.ready());
  reply.complete(2, "STORED\r\n", false);
  ASSERT_TRUE(reply.ready());
  EXPECT_EQ(reply.bytes(), "NOT_STORED\r\n");

  ReplicatedWrite failed(2, true, true, memcache());
  failed.complete(0, "SERVER_ERROR timeout: no reply from s1\r\n", true);
  failed.complete(1, "NOT_FOUND\r\n", false);
  EXPECT_EQ(failed.bytes(), "SERVER_ERROR timeout: no reply from s1\r\n");
}

// Among equally good replies the first copy's answers (an incr's value, Redis SETNX's :1).
TEST(ReplicatedWrite, EqualRepliesGiveTheFirstCopys) {
  ReplicatedWrite reply(2, true, true, redis());
  reply.complete(1, ":7\r\n", false);
  reply.complete(0, ":6\r\n", false);
  EXPECT_EQ(reply.bytes(), ":6\r\n");
}

// replica_writes: one is ready at the first success; a later copy changes nothing; with no success
// it waits for every copy and answers with the worst.
TEST(ReplicatedWrite, OneAnswersWithTheFirstSuccess) {
  ReplicatedWrite reply(3, false, true, memcache());
  reply.complete(2, "SERVER_ERROR out of memory\r\n", false);
  EXPECT_FALSE(reply.ready());
  reply.complete(0, "STORED\r\n", false);
  ASSERT_TRUE(reply.ready());
  EXPECT_EQ(reply.bytes(), "STORED\r\n");
  reply.complete(1, "NOT_STORED\r\n", false);
  EXPECT_EQ(reply.bytes(), "STORED\r\n");

  ReplicatedWrite none(2, false, true, redis());
  none.complete(0, "-ERR one\r\n", false);
  EXPECT_FALSE(none.ready());
  none.complete(1, "-ERR two\r\n", false);
  ASSERT_TRUE(none.ready());
  EXPECT_EQ(none.bytes(), "-ERR one\r\n");
}

// A Redis DEL split over servers, once per copy: each copy's merged count is one part of the whole,
// so the client gets the first copy's count, not the sum over copies.
TEST(ReplicatedWrite, SplitCopiesAnswerIntoTheWhole) {
  auto whole = std::make_shared<ReplicatedWrite>(2, true, true, redis());
  auto first = std::make_shared<redis::SumReply>(2), second = std::make_shared<redis::SumReply>(1);
  first->answer_into(whole, 0);
  second->answer_into(whole, 1);
  first->complete(0, ":1\r\n", false);
  second->complete(0, ":2\r\n", false);
  EXPECT_FALSE(whole->ready());
  first->complete(1, ":1\r\n", false);
  ASSERT_TRUE(whole->ready());
  EXPECT_EQ(whole->bytes(), ":2\r\n");
}

// The same write goes to every copy, copy c answering part c.
TEST(ReplicatedWrite, SendsTheWriteToEveryCopy) {
  FakeContext pool("memcache", 3);
  auto reply = ReplicatedWrite::make(pool, 2, true);
  ReplicatedWrite::send(reply, pool, copies_on({2, 0}).servers(), "set k 0 0 1\r\nx\r\n", 0);
  EXPECT_EQ(pool.server(2).requests(), std::vector<std::string>{"set k 0 0 1\r\nx\r\n"});
  EXPECT_EQ(pool.server(0).requests(), std::vector<std::string>{"set k 0 0 1\r\nx\r\n"});
  EXPECT_TRUE(pool.server(1).sent.empty());
  pool.server(0).answer("NOT_STORED\r\n");
  pool.server(2).answer("STORED\r\n");
  ASSERT_TRUE(reply->ready());
  EXPECT_EQ(reply->bytes(), "NOT_STORED\r\n");  // replica_writes: all, the worst
}

// A read goes to the first copy; a server that fails sends it to the next, and the last copy's
// answer is the client's, failure or not.
TEST(FailoverRead, AFailedCopySendsTheReadToTheNext) {
  asio::io_context io;
  auto client = std::make_shared<FakeClient>(io);
  FakeContext pool("memcache", 3);
  auto read = std::make_shared<FailoverRead>(pool, copies_on({1, 2}).servers(), "get k\r\n", 1, true);
  read->set_session(client);
  read->send();
  ASSERT_EQ(pool.server(1).requests(), std::vector<std::string>{"get k\r\n"});
  pool.server(1).answer("SERVER_ERROR timeout\r\n", true);
  EXPECT_FALSE(read->ready());
  ASSERT_EQ(pool.server(2).requests(), std::vector<std::string>{"get k\r\n"});
  EXPECT_EQ(pool.server(2).sent[0].kind, 1u);
  pool.server(2).answer("SERVER_ERROR connection refused\r\n", true);
  ASSERT_TRUE(read->ready());
  EXPECT_EQ(read->bytes(), "SERVER_ERROR connection refused\r\n");
  EXPECT_EQ(pool.counters().replica_failovers.get(), 1u);
}

// A miss is the answer with replica_reads: first, and is asked of the next copy with miss_failover.
TEST(FailoverRead, AMissFailsOverOnlyWithMissFailover) {
  asio::io_context io;
  auto client = std::make_shared<FakeClient>(io);
  for (const auto mode : {config::Pool::ReplicaReads::first, config::Pool::ReplicaReads::miss_failover}) {
    config::Pool settings;
    settings.replica_reads = mode;
    FakeContext pool("memcache", 2, settings);
    auto read = std::make_shared<FailoverRead>(pool, copies_on({0, 1}).servers(), "get k\r\n", 1, true);
    read->set_session(client);
    read->send();
    pool.server(0).answer("END\r\n");
    if (mode == config::Pool::ReplicaReads::first) {
      EXPECT_TRUE(read->ready());
      EXPECT_TRUE(pool.server(1).sent.empty());
      continue;
    }
    ASSERT_EQ(pool.server(1).sent.size(), 1u);
    pool.server(1).answer("VALUE k 0 1\r\nx\r\nEND\r\n");
    EXPECT_EQ(read->bytes(), "VALUE k 0 1\r\nx\r\nEND\r\n");
  }
}

// No second copy is asked once the servers are renumbered by a reload, or once the client is gone.
TEST(FailoverRead, NoFailoverAfterAReloadOrForAClientThatLeft) {
  asio::io_context io;
  auto client = std::make_shared<FakeClient>(io);
  FakeContext pool("redis", 2);
  auto read = std::make_shared<FailoverRead>(pool, copies_on({0, 1}).servers(), "GET", 0, true);
  read->set_session(client);
  read->send();
  pool.reload();
  pool.server(0).answer("-ERR timeout\r\n", true);
  EXPECT_TRUE(read->ready());
  EXPECT_TRUE(pool.server(1).sent.empty());

  auto orphan = std::make_shared<FailoverRead>(pool, copies_on({0, 1}).servers(), "GET", 0, true);
  orphan->send();  // no client: it left before the reply came
  pool.server(0).answer("-ERR timeout\r\n", true);
  EXPECT_TRUE(orphan->ready());
  EXPECT_TRUE(pool.server(1).sent.empty());
}

// A read of many keys: one read per key, each failing over on its own into its part of the whole;
// a key with no live copy gets the protocol's error at once.
TEST(FailoverRead, ManyKeysFailOverKeyByKey) {
  asio::io_context io;
  auto client = std::make_shared<FakeClient>(io);
  FakeContext pool("redis", 3);
  pool.copies_of["a"] = copies_on({0, 1});
  pool.copies_of["b"] = copies_on({2, 0});
  pool.copies_of["c"] = copies_on({});
  auto whole = std::make_shared<redis::SumReply>(3);
  whole->set_session(client);
  const std::string_view keys[] = {"a", "b", "c"};
  FailoverRead::send_each(pool, whole, keys, [&](std::size_t k, std::string& out) { out.append(keys[k]); }, 0);
  EXPECT_EQ(pool.server(0).requests(), std::vector<std::string>{"a"});
  EXPECT_EQ(pool.server(2).requests(), std::vector<std::string>{"b"});
  pool.server(2).answer(":1\r\n");
  pool.server(0).answer("-ERR timeout\r\n", true);
  EXPECT_EQ(pool.server(1).requests(), std::vector<std::string>{"a"});  // a's next copy
  EXPECT_FALSE(whole->ready());
  pool.server(1).answer(":1\r\n");
  ASSERT_TRUE(whole->ready());
  EXPECT_EQ(whole->bytes(), "-ERR no server available\r\n");  // c had no live copy
}

}  // namespace
}  // namespace ringleader::proxy
