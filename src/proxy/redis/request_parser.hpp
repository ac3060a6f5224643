// Redis RESP2, client side: one command framed from a byte buffer, as RESP arrays of bulk strings
// ("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n") or as an inline command line ("GET k\r\n").
//
// Source of the facts: the Redis protocol specification (RESP2) and networking.c
// (processMultibulkBuffer / processInlineBuffer: the limits and the "Protocol error" replies, after
// which Redis closes the connection because the framing is lost). Inline commands are split on
// spaces and tabs; quoting in inline commands is not interpreted (redis-cli and every client
// library send RESP arrays).
//
// parse() is a pure function over bytes: it never reads past the buffer and never throws, so a
// fuzzer can drive it directly.
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

namespace ringleader::proxy::redis {

struct Limits {
  std::size_t max_inline = 64 * 1024;             // Redis: PROTO_INLINE_MAX_SIZE
  std::size_t max_args = 1024 * 1024;             // Redis: 1024*1024 multibulk items
  std::size_t max_bulk = 64 * 1024 * 1024;        // Redis allows 512 MB; a proxy buffers whole values
};

/// One command. `args` view into the parsed buffer; empty for an empty command (skipped, as Redis does).
struct Request {
  std::vector<std::string_view> args;
  std::string_view raw;     // the request's bytes as received
  bool inline_form = false; // raw is an inline line: backends get it re-encoded as RESP
};

enum class ParseStatus {
  complete,   // `request` holds one command of `consumed` bytes
  need_more,  // the buffer ends inside a command
  fatal,      // protocol error: send `error_reply`, then close the connection
};

struct ParseResult {
  ParseStatus status = ParseStatus::need_more;
  std::size_t consumed = 0;
  std::string_view error_reply;  // a static "-ERR Protocol error: ...\r\n"
};

ParseResult parse(std::string_view buffer, Request& request, const Limits& limits = {});

}  // namespace ringleader::proxy::redis
