// memcache::parse: framing, tokenizing and memcached's own error replies.
#include <gtest/gtest.h>

#include <string>

#include "proxy/memcache/request_parser.hpp"

namespace ringleader::proxy::memcache {
namespace {

ParseResult parse_all(std::string_view text, Request& request) { return parse(text, request); }

// A multi-key get is one request with every key, consuming exactly its line.
TEST(MemcacheRequestParser, GetWithSeveralKeys) {
  Request r;
  const std::string text = "get a bb ccc\r\nget next\r\n";
  auto result = parse_all(text, r);
  ASSERT_EQ(result.status, ParseStatus::complete);
  EXPECT_EQ(result.consumed, 14u);
  EXPECT_EQ(r.command, Command::get);
  EXPECT_EQ(r.keys, (std::vector<std::string_view>{"a", "bb", "ccc"}));
}

// A storage command includes its data block; noreply is recorded and cut from the forwarded line.
TEST(MemcacheRequestParser, SetWithNoreply) {
  Request r;
  const std::string text = "set k 5 0 3 noreply\r\nabc\r\n";
  auto result = parse_all(text, r);
  ASSERT_EQ(result.status, ParseStatus::complete);
  EXPECT_EQ(result.consumed, text.size());
  EXPECT_EQ(r.data, "abc");
  EXPECT_TRUE(r.noreply);
  EXPECT_EQ(r.forward_line, "set k 5 0 3");
}

// The data block may hold any bytes, including CR LF and NUL.
TEST(MemcacheRequestParser, BinaryData) {
  Request r;
  const std::string text("set k 0 0 4\r\n\r\n\0x\r\n", 19);
  auto result = parse_all(text, r);
  ASSERT_EQ(result.status, ParseStatus::complete);
  EXPECT_EQ(r.data, std::string_view("\r\n\0x", 4));
}

// Every prefix of a request asks for more bytes.
TEST(MemcacheRequestParser, PrefixNeedsMore) {
  const std::string text = "cas key 1 2 5 99\r\nhello\r\n";
  for (std::size_t n = 0; n < text.size(); ++n) {
    Request r;
    EXPECT_EQ(parse_all(text.substr(0, n), r).status, ParseStatus::need_more) << n;
  }
  Request r;
  EXPECT_EQ(parse_all(text, r).status, ParseStatus::complete);
}

// Unknown commands get ERROR and only their line is consumed: the connection goes on.
TEST(MemcacheRequestParser, UnknownCommand) {
  Request r;
  auto result = parse_all("flush_all\r\nget a\r\n", r);
  EXPECT_EQ(result.status, ParseStatus::error);
  EXPECT_EQ(result.error_reply, "ERROR\r\n");
  EXPECT_EQ(result.consumed, 11u);
}

// Keys over 250 bytes or with control characters are refused as memcached does.
TEST(MemcacheRequestParser, BadKeys) {
  Request r;
  EXPECT_EQ(parse_all("get " + std::string(251, 'k') + "\r\n", r).error_reply,
            "CLIENT_ERROR bad command line format\r\n");
  EXPECT_EQ(parse_all("get " + std::string(250, 'k') + "\r\n", r).status, ParseStatus::complete);
  EXPECT_EQ(parse_all("get a\x01z\r\n", r).status, ParseStatus::error);
  EXPECT_EQ(parse_all("delete a\tb\r\n", r).status, ParseStatus::error);
}

// A refused storage command swallows its data block so the next request still parses.
TEST(MemcacheRequestParser, RefusedStorageSwallowsData) {
  Request r;
  auto result = parse_all("set " + std::string(300, 'k') + " 0 0 3\r\nabc\r\n", r);
  EXPECT_EQ(result.status, ParseStatus::error);
  EXPECT_EQ(result.swallow, 5u);
  Limits small;
  small.max_value = 2;
  result = parse("set k 0 0 3\r\n", r, small);
  EXPECT_EQ(result.error_reply, "SERVER_ERROR object too large for cache\r\n");
  EXPECT_EQ(result.swallow, 5u);
}

// A data block above stream_above is not waited for: the line completes the request, the data
// (and its CR LF) is left to stream. max_value still applies: a streamed block above it is refused.
TEST(MemcacheRequestParser, LargeDataBlockIsStreamed) {
  Request r;
  Limits limits;
  limits.stream_above = 4;
  limits.max_value = 10;
  auto result = parse("set k 0 0 10 noreply\r\nabc", r, limits);
  ASSERT_EQ(result.status, ParseStatus::complete);
  EXPECT_EQ(result.consumed, 22u);
  EXPECT_EQ(r.streamed, 12u);
  EXPECT_TRUE(r.noreply);
  EXPECT_EQ(r.forward_line, "set k 0 0 10");
  EXPECT_EQ(r.keys.size(), 1u);
  result = parse("set k 0 0 4\r\nabcd\r\n", r, limits);  // at the threshold: whole, as before
  ASSERT_EQ(result.status, ParseStatus::complete);
  EXPECT_EQ(r.streamed, 0u);
  EXPECT_EQ(r.data, "abcd");
  result = parse("set k 0 0 11\r\nabc", r, limits);  // above max_value: refused, data swallowed
  EXPECT_EQ(result.status, ParseStatus::error);
  EXPECT_EQ(result.swallow, 13u);
}

// A data block not followed by CR LF is a bad data chunk.
TEST(MemcacheRequestParser, BadDataChunk) {
  Request r;
  auto result = parse_all("set k 0 0 3\r\nabcd\r\n", r);
  EXPECT_EQ(result.error_reply, "CLIENT_ERROR bad data chunk\r\n");
}

// Numbers are checked: bad exptime, bad delta, bad length.
TEST(MemcacheRequestParser, BadNumbers) {
  Request r;
  EXPECT_EQ(parse_all("touch k x\r\n", r).error_reply, "CLIENT_ERROR invalid exptime argument\r\n");
  EXPECT_EQ(parse_all("incr k -1\r\n", r).error_reply, "CLIENT_ERROR invalid numeric delta argument\r\n");
  EXPECT_EQ(parse_all("set k 0 0 -1\r\n", r).error_reply, "CLIENT_ERROR bad command line format\r\n");
  EXPECT_EQ(parse_all("gat x k\r\n", r).error_reply, "CLIENT_ERROR invalid exptime argument\r\n");
}

// gat carries its exptime before the keys.
TEST(MemcacheRequestParser, Gat) {
  Request r;
  ASSERT_EQ(parse_all("gats 100 a b\r\n", r).status, ParseStatus::complete);
  EXPECT_EQ(r.exptime, "100");
  EXPECT_EQ(r.keys.size(), 2u);
}

// A line longer than the limit without a newline loses the framing: fatal.
TEST(MemcacheRequestParser, LineTooLong) {
  Request r;
  Limits small;
  small.max_line = 10;
  EXPECT_EQ(parse(std::string(20, 'a'), r, small).status, ParseStatus::fatal);
  EXPECT_EQ(parse(std::string(5, 'a'), r, small).status, ParseStatus::need_more);
}

}  // namespace
}  // namespace ringleader::proxy::memcache
