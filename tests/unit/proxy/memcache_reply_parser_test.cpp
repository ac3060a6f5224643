// memcache::frame_reply: where a backend's reply ends.
#include <gtest/gtest.h>

#include <string>

#include "proxy/memcache/reply_parser.hpp"

namespace ringleader::proxy::memcache {
namespace {

// A retrieval reply spans its VALUE blocks (whose data may contain "END\r\n") up to the END line.
TEST(MemcacheReplyParser, ValuesUpToEnd) {
  const std::string reply = "VALUE a 0 5\r\nEND\r\n\r\nVALUE b 1 1 77\r\nx\r\nEND\r\nSTORED\r\n";
  auto frame = frame_reply(reply, true);
  ASSERT_EQ(frame.status, ReplyStatus::complete);
  EXPECT_TRUE(frame.values);
  EXPECT_EQ(frame.size, reply.size() - 8);
}

// A meta get's reply: a value (whose data may hold "\r\n") with its flags, or one line.
TEST(MemcacheReplyParser, MetaGet) {
  const std::string value = "VA 4 f7 t-1\r\na\r\nb\r\nEN\r\n";
  auto frame = frame_meta_reply(value);
  ASSERT_EQ(frame.status, ReplyStatus::complete);
  EXPECT_EQ(frame.size, value.size() - 4);
  EXPECT_EQ(frame_meta_reply("EN\r\nHD\r\n").size, 4u);
  EXPECT_EQ(frame_meta_reply("VA 4 f7\r\na\r\n").status, ReplyStatus::need_more);
  EXPECT_EQ(frame_meta_reply("VA x f7\r\n").status, ReplyStatus::malformed);
  EXPECT_EQ(frame_meta_reply("VA 1 f7\r\nabc\r\n").status, ReplyStatus::malformed);
}

// Every prefix of a reply needs more bytes.
TEST(MemcacheReplyParser, Prefixes) {
  const std::string reply = "VALUE a 0 3\r\nabc\r\nEND\r\n";
  for (std::size_t n = 0; n < reply.size(); ++n) {
    EXPECT_EQ(frame_reply(reply.substr(0, n), true).status, ReplyStatus::need_more) << n;
  }
}

// Inside a value's data, the bytes up to the end of that value are known to be the reply's, so they
// may be passed on before the rest arrives.
TEST(MemcacheReplyParser, CertainBytesOfAValueBeingRead) {
  const auto frame = frame_reply("VALUE a 0 1000\r\nabc", true);
  ASSERT_EQ(frame.status, ReplyStatus::need_more);
  EXPECT_EQ(frame.certain, 16u + 1000u + 2u);
  EXPECT_EQ(frame_reply("VALUE a 0 3\r\nabc\r\nVALUE b 0 100\r\nx", true).certain, 18u + 15u + 102u);
  EXPECT_EQ(frame_reply("VALUE a 0 1000", true).certain, 0u);  // the line is not whole yet
}

// Errors end a retrieval reply; other replies are one line.
TEST(MemcacheReplyParser, OneLineReplies) {
  EXPECT_EQ(frame_reply("SERVER_ERROR out of memory\r\n", true).size, 28u);
  EXPECT_FALSE(frame_reply("SERVER_ERROR out of memory\r\n", true).values);
  EXPECT_EQ(frame_reply("STORED\r\nNOT_FOUND\r\n", false).size, 8u);
  EXPECT_EQ(frame_reply("VALUE a 0 x\r\nabc\r\nEND\r\n", true).status, ReplyStatus::malformed);
  EXPECT_EQ(frame_reply("STORED\r\n", true).status, ReplyStatus::malformed);
}

}  // namespace
}  // namespace ringleader::proxy::memcache
