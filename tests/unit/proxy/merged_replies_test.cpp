// Merging the parts of split requests: memcached multi-gets, Redis MGET / DEL / MSET.
#include <gtest/gtest.h>

#include "proxy/memcache/values_reply.hpp"
#include "proxy/redis/merged_replies.hpp"

namespace ringleader::proxy {
namespace {

// VALUE blocks of every part, one END, whatever order the parts complete in.
TEST(MergedReplies, MemcacheValues) {
  memcache::ValuesReply reply(3);
  reply.complete(2, "VALUE c 0 1\r\nz\r\nEND\r\n", false);
  EXPECT_FALSE(reply.ready());
  reply.complete(0, "END\r\n", false);
  reply.complete(1, "VALUE a 0 1\r\nx\r\nVALUE b 0 1\r\ny\r\nEND\r\n", false);
  ASSERT_TRUE(reply.ready());
  EXPECT_EQ(reply.bytes(), "VALUE c 0 1\r\nz\r\nVALUE a 0 1\r\nx\r\nVALUE b 0 1\r\ny\r\nEND\r\n");
}

// A multi-get with some parts in holds their bytes, but they are no piece to write yet (only a
// pass-through reply goes out in pieces): writing them early garbled clients' replies.
TEST(MergedReplies, PartsInAreNoPiece) {
  memcache::ValuesReply merged(2);
  merged.complete(0, "VALUE a 0 1\r\nx\r\nEND\r\n", false);
  EXPECT_FALSE(merged.bytes().empty());
  std::vector<asio::const_buffer> out;
  EXPECT_EQ(merged.gather(out), 0u);
  EXPECT_TRUE(out.empty());
  EXPECT_FALSE(merged.can_take_pieces());
}

/// What a client would be sent of a ready reply.
std::string written(PendingReply& reply) {
  std::vector<asio::const_buffer> out;
  const std::size_t size = reply.gather(out);
  std::string bytes;
  for (const auto& buffer : out) bytes.append(static_cast<const char*>(buffer.data()), buffer.size());
  EXPECT_EQ(bytes.size(), size);
  return bytes;
}

// A merged reply past 256 KiB is kept in blocks (pending_reply.hpp); they go out whole and in order,
// and an error found after them replaces them.
TEST(MergedReplies, LargeMergedReplies) {
  const std::string a = "VALUE a 0 300000\r\n" + std::string(300000, 'a') + "\r\nEND\r\n";
  const std::string b = "VALUE b 0 600000\r\n" + std::string(600000, 'b') + "\r\nEND\r\n";
  memcache::ValuesReply values(2);
  values.complete(1, b, false);
  values.complete(0, a, false);
  ASSERT_TRUE(values.ready());
  EXPECT_EQ(values.size(), a.size() + b.size() - 5);
  EXPECT_EQ(written(values), b.substr(0, b.size() - 5) + a);

  memcache::ValuesReply failed(2);
  failed.complete(0, b, false);
  failed.complete(1, "SERVER_ERROR timeout\r\n", true);
  EXPECT_EQ(written(failed), "SERVER_ERROR timeout\r\n");

  const std::string x(400000, 'x'), y(500000, 'y');
  redis::ValuesInOrderReply mget(3, {{0, 2}, {1}});
  mget.complete(1, "*1\r\n$500000\r\n" + y + "\r\n", false);
  mget.complete(0, "*2\r\n$400000\r\n" + x + "\r\n$-1\r\n", false);
  EXPECT_EQ(written(mget), "*3\r\n$400000\r\n" + x + "\r\n$500000\r\n" + y + "\r\n$-1\r\n");
}

// One failed part makes the whole multi-get that error.
TEST(MergedReplies, MemcacheValuesWithAFailedPart) {
  memcache::ValuesReply reply(2);
  reply.complete(0, "VALUE a 0 1\r\nx\r\nEND\r\n", false);
  reply.complete(1, "SERVER_ERROR timeout\r\n", true);
  EXPECT_EQ(reply.bytes(), "SERVER_ERROR timeout\r\n");
}

// MGET values go back to the client's key order.
TEST(MergedReplies, RedisValuesInOrder) {
  redis::ValuesInOrderReply reply(4, {{0, 2}, {1, 3}});
  reply.complete(1, "*2\r\n$1\r\nB\r\n$-1\r\n", false);
  reply.complete(0, "*2\r\n$1\r\nA\r\n$1\r\nC\r\n", false);
  EXPECT_EQ(reply.bytes(), "*4\r\n$1\r\nA\r\n$1\r\nB\r\n$1\r\nC\r\n$-1\r\n");
}

// An error or an array of the wrong size from one server is the client's answer.
TEST(MergedReplies, RedisValuesErrors) {
  redis::ValuesInOrderReply failed(2, {{0}, {1}});
  failed.complete(0, "*1\r\n$1\r\nA\r\n", false);
  failed.complete(1, "-ERR cannot connect\r\n", true);
  EXPECT_EQ(failed.bytes(), "-ERR cannot connect\r\n");
  redis::ValuesInOrderReply short_reply(2, {{0, 1}});
  short_reply.complete(0, "*1\r\n$1\r\nA\r\n", false);
  EXPECT_EQ(short_reply.bytes(), "-ERR unexpected reply from server\r\n");
}

// Counts are summed; MSET is OK only when every server said OK.
TEST(MergedReplies, RedisSumAndAllOk) {
  redis::SumReply sum(3);
  sum.complete(0, ":2\r\n", false);
  sum.complete(1, ":0\r\n", false);
  sum.complete(2, ":5\r\n", false);
  EXPECT_EQ(sum.bytes(), ":7\r\n");
  redis::AllOkReply ok(2);
  ok.complete(0, "+OK\r\n", false);
  ok.complete(1, "-OOM command not allowed\r\n", false);
  EXPECT_EQ(ok.bytes(), "-OOM command not allowed\r\n");
}

}  // namespace
}  // namespace ringleader::proxy
