// The Router (route/router.hpp) against fake servers: a command goes whole to its keys' one owner,
// split over several owners and merged, to every copy or one copy failing over; a command whose keys
// must live together but do not, or a key without a live server, gets the protocol's error.
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "proxy/route/router.hpp"
#include "route/fake_context.hpp"

namespace ringleader::proxy {
namespace {

using route::Command;
using testing::copies_on;
using testing::FakeClient;
using testing::FakeCommand;
using testing::FakeContext;

class RouterTest : public ::testing::Test {
 protected:
  explicit RouterTest(config::Pool settings = {}) : pool("memcache", 3, std::move(settings)) {
    pool.owner_of = {{"a", 0}, {"b", 1}, {"c", 0}};
  }

  /// Every reply the router handed to the client, in order.
  std::vector<std::shared_ptr<PendingReply>> replies;
  asio::io_context io;
  std::shared_ptr<FakeClient> client = std::make_shared<FakeClient>(io);
  route::Router router{[this](std::shared_ptr<PendingReply> reply) {
    reply->set_session(client);
    replies.push_back(std::move(reply));
  }};
  FakeContext pool;
};

// One owner gets the request as it came.
TEST_F(RouterTest, OneOwnerGetsTheWholeRequest) {
  router.send(pool, FakeCommand("get", {"a", "c"}));
  EXPECT_EQ(pool.server(0).requests(), std::vector<std::string>{"get a c\r\n"});
  pool.server(0).answer("VALUE a 0 1\r\nx\r\nEND\r\n");
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0]->bytes(), "VALUE a 0 1\r\nx\r\nEND\r\n");
}

// Keys on several servers: one request per server with its keys in the client's order, replies
// merged (memcached's values in the order the parts came); counted as fragments.
TEST_F(RouterTest, KeysOnSeveralServersSplitAndMerge) {
  router.send(pool, FakeCommand("get", {"a", "b", "c"}));
  EXPECT_EQ(pool.server(0).requests(), std::vector<std::string>{"get a c\r\n"});
  EXPECT_EQ(pool.server(1).requests(), std::vector<std::string>{"get b\r\n"});
  pool.server(1).answer("VALUE b 0 1\r\ny\r\nEND\r\n");
  pool.server(0).answer("VALUE a 0 1\r\nx\r\nEND\r\n");
  ASSERT_EQ(replies.size(), 1u);
  ASSERT_TRUE(replies[0]->ready());
  EXPECT_EQ(replies[0]->bytes(), "VALUE b 0 1\r\ny\r\nVALUE a 0 1\r\nx\r\nEND\r\n");
  EXPECT_EQ(pool.counters().fragments.get(), 2u);
}

// The client's dialect chooses the connection, whole or split.
TEST_F(RouterTest, RequestsGoOnTheClientsDialect) {
  FakeCommand one("get", {"a", "c"});
  one.dialect = 1;
  router.send(pool, one);
  FakeCommand split("get", {"a", "b"});
  split.dialect = 1;
  router.send(pool, split);
  EXPECT_EQ(pool.dialects, (std::vector<Dialect>{1, 1, 1}));
}

// A command that cannot split, with keys on two servers, and a key without a live server, are
// answered with the protocol's error and sent nowhere.
TEST_F(RouterTest, KeysApartOrNoServerAreRefused) {
  FakeCommand together("rename", {"a", "b"}, Command::Effect::write);
  router.send(pool, together);
  pool.owner_of.erase("c");
  router.send(pool, FakeCommand("get", {"c"}));
  ASSERT_EQ(replies.size(), 2u);
  EXPECT_EQ(replies[0]->bytes(),
            "SERVER_ERROR keys of 'rename' live on different servers; use hash tags to keep them on one server\r\n");
  EXPECT_EQ(replies[1]->bytes(), "SERVER_ERROR no server available\r\n");
  for (std::uint32_t s = 0; s < 3; ++s) EXPECT_TRUE(pool.server(s).sent.empty());
}

// A streamed write goes to its owner; keys apart are refused before anything is sent.
TEST_F(RouterTest, StreamedWritesGoToTheOwner) {
  const auto servers = router.stream_to(pool, FakeCommand("set", {"b"}, Command::Effect::write));
  EXPECT_EQ(std::vector<std::uint32_t>(servers.begin(), servers.end()), std::vector<std::uint32_t>{1});
  EXPECT_TRUE(router.stream_to(pool, FakeCommand("set", {"a", "b"}, Command::Effect::write)).empty());
  ASSERT_EQ(replies.size(), 1u);  // the refusal
  EXPECT_TRUE(replies[0]->ready());
}

// A command routed by its session (HTTP's) goes to the server it was routed to; with retries, a
// failure before the answer sends it to the key's next servers, skipping the routed one, at most
// `retries` more times; the last failure is the client's answer.
TEST_F(RouterTest, RetriesGoToTheRoutedServerThenTheKeysNext) {
  pool.copies_of = {{"a", copies_on({1, 0, 2})}};
  FakeCommand get("get", {"a"});
  get.splits = false;
  get.retries = 1;
  router.send_to(pool, get, 0);  // bounded loads, say, chose server 0 over the key's first copy
  EXPECT_EQ(pool.server(0).requests(), std::vector<std::string>{"get a\r\n"});
  pool.server(0).answer("SERVER_ERROR timeout\r\n", true);
  EXPECT_EQ(pool.server(1).requests(), std::vector<std::string>{"get a\r\n"});
  pool.server(1).answer("SERVER_ERROR timeout\r\n", true);
  EXPECT_TRUE(pool.server(2).requests().empty());  // one retry only
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0]->bytes(), "SERVER_ERROR timeout\r\n");

  get.retries = 0;  // without retries: the routed server only
  router.send_to(pool, get, 2);
  EXPECT_EQ(pool.server(2).requests(), std::vector<std::string>{"get a\r\n"});
  pool.server(2).answer("END\r\n");
  EXPECT_EQ(replies.back()->bytes(), "END\r\n");
}

config::Pool with_replicas() {
  config::Pool settings;
  settings.replicas = 2;
  return settings;
}

class RouterReplicasTest : public RouterTest {
 protected:
  RouterReplicasTest() : RouterTest(with_replicas()) {
    pool.copies_of = {{"a", copies_on({0, 1})}, {"b", copies_on({1, 2})}, {"c", copies_on({0, 1})}};
  }
};

// A write goes to every copy; a read to the first, failing over to the next.
TEST_F(RouterReplicasTest, WritesGoToEveryCopyAndReadsFailOver) {
  router.send(pool, FakeCommand("set", {"a"}, Command::Effect::write));
  EXPECT_EQ(pool.server(0).requests(), std::vector<std::string>{"set a\r\n"});
  EXPECT_EQ(pool.server(1).requests(), std::vector<std::string>{"set a\r\n"});
  pool.server(0).answer("STORED\r\n");
  pool.server(1).answer("STORED\r\n");
  EXPECT_EQ(replies[0]->bytes(), "STORED\r\n");

  router.send(pool, FakeCommand("get", {"a"}));
  EXPECT_EQ(pool.server(0).requests().back(), "get a\r\n");
  pool.server(0).answer("SERVER_ERROR timeout\r\n", true);
  EXPECT_EQ(pool.server(1).requests().back(), "get a\r\n");
}

// A client's dialect (a Redis client's RESP3) chooses the connection of every request sent for it:
// to every copy of a write, to the copy a read fails over to, and key by key.
TEST_F(RouterReplicasTest, EveryRequestGoesOnTheClientsDialect) {
  FakeCommand write("set", {"a"}, Command::Effect::write);
  write.dialect = 1;
  router.send(pool, write);
  FakeCommand read("get", {"a"});
  read.dialect = 1;
  router.send(pool, read);
  pool.server(0).answer("STORED\r\n");
  pool.server(0).answer("SERVER_ERROR timeout\r\n", true);  // the read fails over
  FakeCommand apart("get", {"a", "b"});
  apart.dialect = 1;
  router.send(pool, apart);
  EXPECT_EQ(pool.dialects.size(), 6u);  // 2 copies, 2 tries, 2 keys
  EXPECT_EQ(pool.dialects, std::vector<Dialect>(pool.dialects.size(), 1));
}

// A read of many keys goes key by key (each key fails over on its own), each into its part.
TEST_F(RouterReplicasTest, ReadsOfKeysApartGoKeyByKey) {
  router.send(pool, FakeCommand("get", {"a", "b"}));
  EXPECT_EQ(pool.server(0).requests(), std::vector<std::string>{"get a\r\n"});
  EXPECT_EQ(pool.server(1).requests(), std::vector<std::string>{"get b\r\n"});
  pool.server(1).answer("END\r\n");
  pool.server(0).answer("VALUE a 0 1\r\nx\r\nEND\r\n");
  EXPECT_EQ(replies[0]->bytes(), "VALUE a 0 1\r\nx\r\nEND\r\n");
}

// A write of keys whose copies are apart, that splits, is split once per copy: round c sends each
// key to its c-th copy, and the client gets one merged answer.
TEST_F(RouterReplicasTest, SplitWritesGoOncePerCopy) {
  FakeCommand del("del", {"a", "b"}, Command::Effect::remove);
  del.splits = true;
  router.send(pool, del);
  EXPECT_EQ(pool.server(0).requests(), std::vector<std::string>{"del a\r\n"});                // a, copy 0
  EXPECT_EQ(pool.server(1).requests(), (std::vector<std::string>{"del b\r\n", "del a\r\n"}));  // b 0, a 1
  EXPECT_EQ(pool.server(2).requests(), std::vector<std::string>{"del b\r\n"});                // b, copy 1
  ASSERT_EQ(replies.size(), 1u);
}

}  // namespace
}  // namespace ringleader::proxy
