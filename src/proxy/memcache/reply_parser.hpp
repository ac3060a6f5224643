// The memcached text protocol, server side: where one backend reply ends in a byte buffer.
//
// Source: memcached's doc/protocol.txt. A retrieval reply is any number of
// "VALUE <key> <flags> <bytes> [<cas>]\r\n<data>\r\n" blocks closed by "END\r\n"; every other reply,
// and every error (ERROR, CLIENT_ERROR ..., SERVER_ERROR ...), is one line.
//
// frame_reply() is a pure function over bytes, like the request parser: it never reads past the
// buffer and never throws.
#pragma once

#include <cstddef>
#include <string_view>

namespace ringleader::proxy::memcache {

enum class ReplyStatus { complete, need_more, malformed };

struct ReplyFrame {
  ReplyStatus status = ReplyStatus::need_more;
  std::size_t size = 0;     // bytes of the whole reply, when complete
  bool values = false;      // a VALUE ... END list (possibly empty), as opposed to one line
  /// need_more inside a value's data: the bytes from the start up to the end of that value's data
  /// (and its "\r\n") are known to be part of the reply, so they may be passed on before the
  /// rest arrives. May exceed the buffer.
  std::size_t certain = 0;
};

/// Frames the first reply in `buffer`; `retrieval` says whether it answers get/gets/gat/gats.
ReplyFrame frame_reply(std::string_view buffer, bool retrieval) noexcept;

/// Frames the first reply to a meta get: "VA <bytes> <flags>*\r\n<data>\r\n", or one line (EN, an error).
ReplyFrame frame_meta_reply(std::string_view buffer) noexcept;

/// "END\r\n", the terminator of a retrieval reply: merged multi-server replies carry exactly one.
inline constexpr std::string_view kEnd = "END\r\n";

}  // namespace ringleader::proxy::memcache
