// Redis RESP2 and RESP3, server side: where one reply ends in a byte buffer, and the elements of an
// array reply.
//
// Source: the Redis protocol specification (RESP3: Redis's docs/reference/protocol-spec). A RESP2
// reply is a simple string (+), an error (-), an integer (:), a bulk string ($<n>, $-1 for nil) or an
// array (*<n>, *-1 for nil) of replies, nested. A server speaking RESP3 to a client that asked for it
// (HELLO 3) adds null (_), boolean (#), double (,), big number ((), blob error (!), verbatim string
// (=), map (%), set (~), attribute (|, before the reply it describes) and push (>).
//
// Pure functions over bytes: they never read past the buffer and never throw; nesting is bounded.
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

namespace ringleader::proxy::redis {

enum class ReplyStatus { complete, need_more, malformed };

struct ReplyFrame {
  ReplyStatus status = ReplyStatus::need_more;
  std::size_t size = 0;  // bytes of the whole reply, when complete
  /// need_more inside a bulk string reply whose header is in: the size of the whole reply (header,
  /// data, "\r\n"), so its data may be passed on before the rest arrives. May exceed the buffer.
  std::size_t certain = 0;
  bool certain_ends = true;  // ...which ends the reply
};

/// Frames the first reply in `buffer`.
ReplyFrame frame_reply(std::string_view buffer) noexcept;

/// The elements of a complete array reply (or RESP3 push), each as its own complete reply's bytes.
/// False if `reply` is not one (an error, say).
bool split_array(std::string_view reply, std::vector<std::string_view>& elements);

/// The text of a complete bulk string reply ("$9\r\nsubscribe\r\n": "subscribe"); empty if it is not one.
std::string_view bulk_text(std::string_view reply) noexcept;

/// The value of an integer reply (":<n>\r\n"), false if `reply` is not one.
bool integer_value(std::string_view reply, long long& value) noexcept;

}  // namespace ringleader::proxy::redis
