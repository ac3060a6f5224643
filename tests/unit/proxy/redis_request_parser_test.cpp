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

// An argument over stream_above (not the command's name) ends the parse right after its length:
// the arguments before it are whole, and what follows is framed by frame_rest().
TEST(RedisRequestParser, LargeArgumentStreams) {
  Request r;
  Limits limits;
  limits.stream_above = 4;
  const std::string_view head = "*4\r\n$3\r\nSET\r\n$1\r\nk\r\n$10\r\n";
  const std::string input = std::string(head) + "abc";
  auto result = parse(input, r, limits);
  ASSERT_EQ(result.status, ParseStatus::complete);
  EXPECT_EQ(result.consumed, head.size());
  EXPECT_EQ(r.raw, head);
  ASSERT_EQ(r.args.size(), 2u);
  EXPECT_EQ(r.args[1], "k");
  EXPECT_EQ(r.streamed.bulk, 12u);  // the value and its CRLF
  EXPECT_EQ(r.streamed.args, 1u);   // then one more argument
  // At the threshold, or a long command name: whole, as before.
  EXPECT_TRUE((parse("*2\r\n$3\r\nGET\r\n$4\r\nabcd\r\n", r, limits).status == ParseStatus::complete &&
               r.streamed.done() && r.args[1] == "abcd"));
  EXPECT_EQ(parse("*1\r\n$7\r\nCOMMAND\r\n", r, limits).status, ParseStatus::complete);
  EXPECT_TRUE(r.streamed.done());
}

// The rest of a streamed command is framed across reads of any size, checking each bulk string's
// CRLF and stopping where the command ends.
TEST(RedisRequestParser, RestOfAStreamedCommand) {
  const std::string rest = "0123456789\r\n$2\r\nEX\r\n";
  for (std::size_t cut = 0; cut <= rest.size(); ++cut) {
    StreamedRest left{12, 1};
    std::size_t used = 0;
    auto first = frame_rest(std::string_view(rest).substr(0, cut), left);
    used += first.consumed;
    ASSERT_NE(first.status, ParseStatus::fatal) << cut;
    auto second = frame_rest(std::string_view(rest + "*1\r\n").substr(used), left);
    ASSERT_EQ(second.status, ParseStatus::complete) << cut;
    EXPECT_EQ(used + second.consumed, rest.size()) << cut;
    EXPECT_TRUE(left.done());
  }
  StreamedRest left{12, 1};
  EXPECT_EQ(frame_rest("0123456789xx", left).error_reply,
            "-ERR Protocol error: bulk string not terminated by CRLF\r\n");
  left = {3, 1};
  EXPECT_EQ(frame_rest("a\r\n:1\r\n", left).error_reply, "-ERR Protocol error: expected '$'\r\n");
  left = {0, 1};
  Limits small;
  small.max_bulk = 3;
  EXPECT_EQ(frame_rest("$4\r\n", left, small).error_reply, "-ERR Protocol error: invalid bulk length\r\n");
  left = {0, 1};
  auto partial = frame_rest("$1", left);  // a length line not yet whole is not consumed
  EXPECT_EQ(partial.status, ParseStatus::need_more);
  EXPECT_EQ(partial.consumed, 0u);
}

}  // namespace
}  // namespace ringleader::proxy::redis
