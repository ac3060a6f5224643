// redis::frame_reply, split_array and integer_value over backend replies.
#include <gtest/gtest.h>

#include <string>

#include "proxy/redis/reply_parser.hpp"

namespace ringleader::proxy::redis {
namespace {

// Every reply type is framed, nested arrays and nils included.
TEST(RedisReplyParser, Types) {
  EXPECT_EQ(frame_reply("+OK\r\n:1\r\n").size, 5u);
  EXPECT_EQ(frame_reply("-ERR no\r\n").size, 9u);
  EXPECT_EQ(frame_reply("$-1\r\n").size, 5u);
  EXPECT_EQ(frame_reply("$3\r\na\r\n\r\n").size, 9u);
  const std::string nested = "*3\r\n$1\r\na\r\n*-1\r\n*2\r\n:1\r\n+x\r\n";
  EXPECT_EQ(frame_reply(nested + "+next\r\n").size, nested.size());
  for (std::size_t n = 0; n < nested.size(); ++n) {
    EXPECT_EQ(frame_reply(nested.substr(0, n)).status, ReplyStatus::need_more) << n;
  }
  EXPECT_EQ(frame_reply("?\r\n").status, ReplyStatus::malformed);
  std::string deep;  // nesting deeper than any command produces is refused, not recursed into
  for (int i = 0; i < 100; ++i) deep += "*1\r\n";
  EXPECT_EQ(frame_reply(deep + ":1\r\n").status, ReplyStatus::malformed);
}

// RESP3's types (a server speaking it to a client that said HELLO 3) are framed too, an attribute
// together with the reply it describes; a wrong header is malformed.
TEST(RedisReplyParser, Resp3Types) {
  for (const std::string reply : {"_\r\n", "#t\r\n", ",1.5\r\n", ",-inf\r\n", "(-12345678901234567890\r\n",
                                  "!5\r\nERR x\r\n", "=8\r\ntxt:abcd\r\n", "~2\r\n:1\r\n_\r\n",
                                  "%2\r\n$1\r\na\r\n:1\r\n+b\r\n%0\r\n", ">2\r\n+message\r\n$1\r\nx\r\n",
                                  "|1\r\n+ttl\r\n:3\r\n$1\r\nv\r\n"}) {
    EXPECT_EQ(frame_reply(reply + "+next\r\n").size, reply.size()) << reply;
    for (std::size_t n = 0; n < reply.size(); ++n)
      EXPECT_EQ(frame_reply(reply.substr(0, n)).status, ReplyStatus::need_more) << reply << " " << n;
  }
  for (const std::string bad : {"_x\r\n", "#x\r\n", "(1.5\r\n", "(\r\n", "%-1\r\n", "~-1\r\n", "=-1\r\n",
                                "!2\r\nabc\r\n", "%99999999999999999\r\n", "$?\r\n"}) {
    EXPECT_EQ(frame_reply(bad).status, ReplyStatus::malformed) << bad;
  }
}

// A bulk string whose data is still arriving says how long the whole reply is, so its data can go to
// the client as it comes (backend.hpp); an array does not (its elements' sizes are not known yet).
TEST(RedisReplyParser, CertainBytesOfABulkString) {
  const ReplyFrame partial = frame_reply("$300000\r\nabc");
  EXPECT_EQ(partial.status, ReplyStatus::need_more);
  EXPECT_EQ(partial.certain, 9u + 300000u + 2u);
  EXPECT_TRUE(partial.certain_ends);
  EXPECT_EQ(frame_reply("$300000").certain, 0u);  // the header is not whole yet
  EXPECT_EQ(frame_reply("*1\r\n$300000\r\nabc").certain, 0u);
}

// An array splits into its elements' bytes; anything else does not.
TEST(RedisReplyParser, SplitArray) {
  std::vector<std::string_view> elements;
  ASSERT_TRUE(split_array("*2\r\n$1\r\na\r\n$-1\r\n", elements));
  EXPECT_EQ(elements, (std::vector<std::string_view>{"$1\r\na\r\n", "$-1\r\n"}));
  EXPECT_FALSE(split_array("-ERR x\r\n", elements));
}

// Integer replies are read; other replies are not integers.
TEST(RedisReplyParser, IntegerValue) {
  long long value = 0;
  EXPECT_TRUE(integer_value(":42\r\n", value));
  EXPECT_EQ(value, 42);
  EXPECT_FALSE(integer_value("+42\r\n", value));
}

}  // namespace
}  // namespace ringleader::proxy::redis
