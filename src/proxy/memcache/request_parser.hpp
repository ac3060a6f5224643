// The memcached text protocol, client side: one request framed and tokenized from a byte buffer.
//
// Source of the facts: memcached's doc/protocol.txt (commands, `noreply`, key limit of 250 bytes
// without control characters or whitespace) and proto_text.c (the error replies and the data
// swallowed after a rejected storage command, so the stream stays in sync).
//
// parse() is a pure function over bytes: no I/O, no allocation beyond the reused `keys` vector, no
// state between calls, so a fuzzer can drive it directly. It never reads past the buffer and never
// throws on any input.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace ringleader::proxy::memcache {

enum class Command {
  get, gets, gat, gats,                               // retrieval: one reply per key, then END
  set, add, replace, append, prepend, cas,            // storage: a data block follows the line
  del, incr, decr, touch,                             // one key, one-line reply
  version, quit,                                      // answered by the proxy itself
};

/// True for get/gets/gat/gats: replies are VALUE blocks closed by one END.
constexpr bool is_retrieval(Command c) noexcept { return c <= Command::gats; }
/// True for the commands followed by a data block of <bytes> + "\r\n".
constexpr bool is_storage(Command c) noexcept { return c >= Command::set && c <= Command::cas; }

struct Limits {
  std::size_t max_key = 250;                 // memcached's KEY_MAX_LENGTH
  std::size_t max_line = 64 * 1024;          // a command line longer than this cannot be framed
  std::size_t max_value = 16 * 1024 * 1024;  // larger data blocks are refused (and swallowed)
  /// A data block larger than this (and within max_value) is not waited for: the request completes
  /// with its command line and Request::streamed says how many bytes follow, to forward as they
  /// arrive (the proxy holds none of it).
  std::size_t stream_above = SIZE_MAX;
};

/// One complete request. Views point into the parsed buffer and die with it.
struct Request {
  Command command{};
  std::vector<std::string_view> keys;  // one key, or several for retrieval commands
  std::string_view exptime;            // gat/gats: the exptime token that precedes the keys
  std::string_view line;               // the command line without "\r\n"
  std::string_view data;               // storage: the data block without its "\r\n" (not streamed)
  std::size_t streamed = 0;            // storage: bytes of the data block and its "\r\n" that follow
  /// `line` without its trailing " noreply": the proxy always waits for the backend's reply (and
  /// drops it), so a backend error can never shift the reply stream.
  std::string_view forward_line;
  bool noreply = false;
};

enum class ParseStatus {
  complete,   // `request` holds one request of `consumed` bytes
  need_more,  // the buffer ends inside a request: read more and call again with the whole buffer
  error,      // `error_reply` goes to the client; skip `consumed` bytes, then discard `swallow` more
  fatal,      // the framing is lost (line too long): send `error_reply` and close the connection
};

struct ParseResult {
  ParseStatus status = ParseStatus::need_more;
  std::size_t consumed = 0;
  std::size_t swallow = 0;
  std::string_view error_reply;  // a static string ending in "\r\n"
};

/// Frames and tokenizes the first request in `buffer`. On `complete`, `request` is overwritten.
ParseResult parse(std::string_view buffer, Request& request, const Limits& limits = {});

}  // namespace ringleader::proxy::memcache
