// Warm-up (route/warm_up.hpp) against fake servers, with the memcached and Redis protocols' own
// steps: a miss of a moved key is asked of its previous owner, answered from there and copied to
// the new owner only where nothing was written since; deletes reach both owners; writes are noted.
#include <gtest/gtest.h>

#include <memory>

#include "proxy/memcache/protocol.hpp"
#include "proxy/route/warm_up.hpp"
#include "route/fake_context.hpp"

namespace ringleader::proxy {
namespace {

using testing::FakeClient;
using testing::FakeCommand;
using testing::FakeConnection;
using testing::FakeContext;

class WarmUpRoute : public ::testing::Test {
 protected:
  WarmUpRoute() {
    pool.previous_of["moved"] = previous;
    pool.owner_of = {{"moved", 0}, {"stayed", 0}};
  }

  /// Routes `command` (its keys all owned by server 0 now) through warm-up.
  bool warm(const route::Command& command) {
    owners.assign(command.keys.size(), 0);
    return route::warm_up(pool, command, owners, [&](std::shared_ptr<PendingReply> r) {
      r->set_session(client);
      reply = std::move(r);
    });
  }

  asio::io_context io;
  std::shared_ptr<FakeClient> client = std::make_shared<FakeClient>(io);
  FakeContext pool{"memcache", 1};
  std::shared_ptr<FakeConnection> previous = std::make_shared<FakeConnection>();
  FakeConnection& owner = pool.server(0);
  std::vector<std::uint32_t> owners;
  std::shared_ptr<PendingReply> reply;
};

// The new owner misses; the previous owner has the value with its flags: the client gets it, and
// the new owner gets a copy that stores only where it has none (ms ... ME).
TEST_F(WarmUpRoute, AMissIsAnsweredByThePreviousOwnerAndCopied) {
  ASSERT_TRUE(warm(FakeCommand("get", {"moved"})));
  ASSERT_EQ(owner.requests(), std::vector<std::string>{"get moved\r\n"});
  owner.answer("END\r\n");
  ASSERT_EQ(previous->requests(), std::vector<std::string>{"mg moved v f t\r\n"});
  previous->answer("VA 1 f7 t-1\r\nx\r\n");
  ASSERT_TRUE(reply->ready());
  EXPECT_EQ(reply->bytes(), "VALUE moved 7 1\r\nx\r\nEND\r\n");
  ASSERT_EQ(owner.sent.size(), 2u);
  EXPECT_EQ(owner.sent[1].bytes, "ms moved 1 T0 F7 ME c\r\nx\r\n");
  owner.answer("HD c42\r\n");
  EXPECT_EQ(pool.counters().warmup_reads.get(), 1u);
  EXPECT_EQ(pool.counters().warmup_hits.get(), 1u);
  EXPECT_EQ(pool.counters().warmup_copies.get(), 1u);
}

// A hit at the new owner is the answer: the previous owner is never asked.
TEST_F(WarmUpRoute, AHitNeedsNoPreviousOwner) {
  ASSERT_TRUE(warm(FakeCommand("get", {"moved"})));
  owner.answer("VALUE moved 0 1\r\ny\r\nEND\r\n");
  EXPECT_EQ(reply->bytes(), "VALUE moved 0 1\r\ny\r\nEND\r\n");
  EXPECT_TRUE(previous->sent.empty());
}

// A key not moved, or a warm-up whose reads are over, goes the usual way.
TEST_F(WarmUpRoute, KeysNotMovedGoTheUsualWay) {
  EXPECT_FALSE(warm(FakeCommand("get", {"stayed"})));
  pool.warm_reads_now = false;
  EXPECT_FALSE(warm(FakeCommand("get", {"moved"})));
  EXPECT_TRUE(owner.sent.empty());
}

// A write of the key after the read began: the old value is answered (it was the value when the
// read began) but never copied over the write.
TEST_F(WarmUpRoute, AKeyWrittenSinceTheReadIsNotCopied) {
  ASSERT_TRUE(warm(FakeCommand("get", {"moved"})));
  owner.answer("END\r\n");
  pool.recent_writes().wrote("moved");
  previous->answer("VA 1 f0 t-1\r\nx\r\n");
  EXPECT_EQ(owner.sent.size(), 1u);  // no copy
  EXPECT_EQ(pool.counters().warmup_copies_skipped.get(), 1u);
}

// A copy stored although the key was written meanwhile (on another connection) is deleted again,
// by its cas, so the write is what stays.
TEST_F(WarmUpRoute, ACopyRacingAWriteIsUndone) {
  ASSERT_TRUE(warm(FakeCommand("get", {"moved"})));
  owner.answer("END\r\n");
  previous->answer("VA 1 f0 t-1\r\nx\r\n");
  pool.recent_writes().wrote("moved");
  owner.answer("HD c42\r\n");
  ASSERT_EQ(owner.sent.size(), 3u);
  EXPECT_EQ(owner.sent[2].bytes, "md moved C42\r\n");
}

// A get of many keys: each moved key asks its previous owner on its own, the others their owner.
TEST_F(WarmUpRoute, ManyKeysWarmKeyByKey) {
  ASSERT_TRUE(warm(FakeCommand("get", {"stayed", "moved"})));
  ASSERT_EQ(owner.requests(), (std::vector<std::string>{"get stayed\r\n", "get moved\r\n"}));
  owner.answer("VALUE stayed 0 1\r\na\r\nEND\r\n");
  owner.answer("END\r\n");
  previous->answer("VA 1 f0 t-1\r\nb\r\n");
  ASSERT_TRUE(reply->ready());
  EXPECT_EQ(reply->bytes(), "VALUE stayed 0 1\r\na\r\nVALUE moved 0 1\r\nb\r\nEND\r\n");
}

// memcached: a delete goes to both owners, and whichever deleted the key answers.
TEST_F(WarmUpRoute, MemcacheDeleteReachesBothOwners) {
  ASSERT_TRUE(warm(FakeCommand("delete", {"moved"}, route::Command::Effect::remove)));
  EXPECT_EQ(owner.requests(), std::vector<std::string>{"delete moved\r\n"});
  EXPECT_EQ(previous->requests(), std::vector<std::string>{"delete moved\r\n"});
  owner.answer("NOT_FOUND\r\n");
  previous->answer("DELETED\r\n");
  EXPECT_EQ(reply->bytes(), "DELETED\r\n");
  EXPECT_TRUE(pool.recent_writes().written_since("moved", RecentWrites::Clock::now()));
}

// Redis: the previous owner deletes first (its count dropped), then the command goes its usual way;
// a write is only noted.
TEST(WarmUpRouteRedis, DeleteAlsoAtThePreviousOwnerAndWritesNoted) {
  FakeContext pool("redis", 1);
  auto previous = std::make_shared<FakeConnection>();
  pool.previous_of["moved"] = previous;
  const std::uint32_t owners[] = {0, 0};
  const auto no_reply = [](std::shared_ptr<PendingReply>) { FAIL() << "answered here"; };
  EXPECT_FALSE(route::warm_up(pool, FakeCommand("DEL", {"stayed", "moved"}, route::Command::Effect::remove), owners,
                              no_reply));
  EXPECT_EQ(previous->requests(), std::vector<std::string>{"DEL moved\r\n"});
  EXPECT_TRUE(pool.server(0).sent.empty());
  EXPECT_TRUE(pool.recent_writes().written_since("moved", RecentWrites::Clock::now()));
  EXPECT_FALSE(pool.recent_writes().written_since("stayed", RecentWrites::Clock::now()));

  EXPECT_FALSE(route::warm_up(pool, FakeCommand("SET", {"stayed", "moved"}, route::Command::Effect::write), owners,
                              no_reply));
  EXPECT_EQ(previous->sent.size(), 1u);
}

// Redis, a RESP3 client: its miss is RESP3's null; the previous owner is asked for the value (DUMP,
// on its usual connection), the new owner gets the copy and the read again on the client's RESP3
// connection, whose answer is the client's.
TEST(WarmUpRouteRedis, AResp3ClientsMissIsWarmedOnItsDialect) {
  asio::io_context io;
  auto client = std::make_shared<FakeClient>(io);
  FakeContext pool("redis", 1);
  auto previous = std::make_shared<FakeConnection>();
  pool.previous_of["moved"] = previous;
  const std::uint32_t owners[] = {0};
  std::shared_ptr<PendingReply> reply;
  FakeCommand get("GET", {"moved"});
  get.dialect = 1;
  ASSERT_TRUE(route::warm_up(pool, get, owners, [&](std::shared_ptr<PendingReply> r) {
    r->set_session(client);
    reply = std::move(r);
  }));
  FakeConnection& owner = pool.server(0);
  owner.answer("_\r\n");
  ASSERT_EQ(previous->sent.size(), 1u);
  previous->answer("*2\r\n:-1\r\n$4\r\ndump\r\n");
  ASSERT_EQ(owner.sent.size(), 3u);  // the read, the copy, the read again
  EXPECT_TRUE(owner.sent[1].bytes.starts_with("*4\r\n$7\r\nRESTORE\r\n")) << owner.sent[1].bytes;
  owner.answer("+OK\r\n");
  owner.answer("$1\r\nv\r\n");
  ASSERT_TRUE(reply->ready());
  EXPECT_EQ(reply->bytes(), "$1\r\nv\r\n");
  EXPECT_EQ(pool.dialects, std::vector<Dialect>(pool.dialects.size(), 1));
  EXPECT_EQ(pool.dialects.size(), 3u);
}

}  // namespace
}  // namespace ringleader::proxy
