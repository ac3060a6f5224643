// The reply of a write sent to every copy of its key (replicas.hpp), merged with the real protocols'
// judgement of each copy's reply; and a copy's split reply answering into the whole.
#include <gtest/gtest.h>

#include <memory>

#include "proxy/protocols.hpp"
#include "proxy/redis/merged_replies.hpp"
#include "proxy/route/replicas.hpp"

namespace ringleader::proxy {
namespace {

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

}  // namespace
}  // namespace ringleader::proxy
