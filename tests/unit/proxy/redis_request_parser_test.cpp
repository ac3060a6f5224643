// redis::parse: RESP arrays, inline commands and Redis's protocol errors.
#include <gtest/gtest.h>

#include <string>

#include "proxy/redis/request_parser.hpp"

namespace ringleader::proxy::redis {
namespace {

// An array of bulk strings is one command; its raw bytes are exactly the command's.
TEST(RedisRequestParser, Array) {
  Request r;
  const std::string text = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$4\r\na\r\nb\r\n*1\r\n$4\r\nPING\r\n";
  auto result = parse(text, r);
  ASSERT_EQ(result.status, ParseStatus::complete);
  EXPECT_EQ(r.args, (std::vector<std::string_view>{"SET", "k", "a\r\nb"}));
  EXPECT_EQ(r.raw, text.substr(0, result.consumed));
  EXPECT_EQ(result.consumed, text.size() - 14);
}

// Every prefix of a command needs more bytes.
TEST(RedisRequestParser, Prefixes) {
  const std::string text = "*2\r\n$3\r\nGET\r\n$10\r\n0123456789\r\n";
  for (std::size_t n = 0; n < text.size(); ++n) {
    Request r;
    EXPECT_EQ(parse(text.substr(0, n), r).status, ParseStatus::need_more) << n;
  }
}

// Inline commands split on spaces and tabs.
TEST(RedisRequestParser, Inline) {
  Request r;
  auto result = parse("set  k\tv\r\n", r);
  ASSERT_EQ(result.status, ParseStatus::complete);
  EXPECT_TRUE(r.inline_form);
  EXPECT_EQ(r.args, (std::vector<std::string_view>{"set", "k", "v"}));
  ASSERT_EQ(parse("\r\n", r).status, ParseStatus::complete);
  EXPECT_TRUE(r.args.empty());
}

// Malformed framing is fatal, with Redis's error text.
TEST(RedisRequestParser, ProtocolErrors) {
  Request r;
  EXPECT_EQ(parse("*x\r\n", r).error_reply, "-ERR Protocol error: invalid multibulk length\r\n");
  EXPECT_EQ(parse("*1\r\n:3\r\n", r).error_reply, "-ERR Protocol error: expected '$'\r\n");
  EXPECT_EQ(parse("*1\r\n$-5\r\n", r).error_reply, "-ERR Protocol error: invalid bulk length\r\n");
  EXPECT_EQ(parse("*1\r\n$1\r\nab\r\n", r).status, ParseStatus::fatal);
  Limits small;
  small.max_bulk = 3;
  EXPECT_EQ(parse("*1\r\n$4\r\n", r, small).status, ParseStatus::fatal);
  small.max_inline = 8;
  EXPECT_EQ(parse(std::string(20, 'a'), r, small).error_reply, "-ERR Protocol error: too big inline request\r\n");
}

}  // namespace
}  // namespace ringleader::proxy::redis
