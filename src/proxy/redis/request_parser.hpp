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
#include <cstdint>
#include <string_view>
#include <vector>

namespace ringleader::proxy::redis {

struct Limits {
  std::size_t max_inline = 64 * 1024;             // Redis: PROTO_INLINE_MAX_SIZE
  std::size_t max_args = 1024 * 1024;             // Redis: 1024*1024 multibulk items
  std::size_t max_bulk = 64 * 1024 * 1024;        // Redis allows 512 MB; a proxy buffers whole values
  std::size_t stream_above = SIZE_MAX;            // a longer argument (not the command's name) streams
};

/// What is still to come of a command whose argument streams: the bytes of the current bulk string
/// (with its "\r\n"), then `args` more bulk strings.
struct StreamedRest {
  std::size_t bulk = 0;
  std::size_t args = 0;

  bool done() const noexcept { return bulk == 0 && args == 0; }
};

/// One command. `args` view into the parsed buffer; empty for an empty command (skipped, as Redis does).
struct Request {
  std::vector<std::string_view> args;
  std::string_view raw;     // the request's bytes as received
  bool inline_form = false; // raw is an inline line: backends get it re-encoded as RESP
  /// Not done(): an argument longer than Limits::stream_above begins right after `raw`; `args` are
  /// the ones before it, and the rest of the command is framed by frame_rest() as it arrives.
  StreamedRest streamed;
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

/// The next bytes of a streamed command (Request::streamed): the first `consumed` bytes of `input`
/// belong to it and `rest` is what is left after them. complete: the command ends there; need_more:
/// all of it is still to come (bytes of a bulk string's length line are not consumed until whole);
/// fatal: the framing is lost.
ParseResult frame_rest(std::string_view input, StreamedRest& rest, const Limits& limits = {});

}  // namespace ringleader::proxy::redis
