// The head of an HTTP/1.1 message (start line and header section, RFC 9112 §2-§5), parsed by
// Boost.Beast's parser: requests from clients, responses from servers.
//
// Only the head is parsed here (Beast's parser with eager(false) stops after it); bodies are framed
// by their length or by ChunkedBody (chunked.hpp) and forwarded unchanged. The fields are views into
// the caller's input, valid while it is: no copy per request.
//
// A request is refused (bad) where Beast would accept it but another parser along the way might
// read its framing differently (request smuggling, RFC 9112 §6.3 and §11.2): a bare LF or CR, an
// obs-fold line, Content-Length given twice or as a list, a Transfer-Encoding other than exactly
// "chunked", or one in an HTTP/1.0 request. Beast itself refuses both Content-Length and
// Transfer-Encoding, an invalid Content-Length, and heads over the limit (too_large: 431).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ringleader::proxy::http {

struct Field {
  std::string_view name;  // as received
  std::string_view value;  // without surrounding whitespace
};

struct MessageHead {
  std::string_view method;  // requests
  std::string_view target;  // requests: the request-target as received
  unsigned status = 0;      // responses
  unsigned version = 11;    // 10 or 11
  std::vector<Field> fields;
  std::optional<std::uint64_t> content_length;
  bool chunked = false;
  bool keep_alive = true;   // the connection stays open after this message (version and Connection)
  bool until_close = false;  // a response whose body ends when the server closes (no length)
  std::size_t size = 0;     // bytes of the head, with its final empty line

  /// The value of the first field named `name` (case-insensitive); null if there is none.
  const Field* find(std::string_view name) const noexcept;
};

enum class HeadStatus { complete, need_more, bad, too_large };

struct HeadParse {
  HeadStatus status = HeadStatus::need_more;
  std::string reason;  // bad, too_large: one line for the client
};

/// Parses the request head at the start of `input` into `head` (its fields view `input`); a head of
/// more than `max_bytes` is too_large.
HeadParse parse_request_head(std::string_view input, std::size_t max_bytes, MessageHead& head);

/// Parses the response head at the start of `input`; `to_head`: it answers a HEAD request (so has
/// no body whatever its Content-Length says).
HeadParse parse_response_head(std::string_view input, bool to_head, std::size_t max_bytes, MessageHead& head);

/// RFC 9112 §3.2: an HTTP/1.1 request must have one Host field, and no request may have two. The
/// reason a request breaks that rule (for its 400), or null.
const char* host_problem(const MessageHead& head) noexcept;

/// Whether a request of `method` may be sent again when its first try got no response (RFC 9110
/// §9.2.2's idempotent methods the proxy retries: GET, HEAD, PUT, DELETE, OPTIONS).
bool idempotent(std::string_view method) noexcept;

/// Whether `a` and `b` are equal ignoring ASCII case (field names, tokens). Inline: a request
/// compares each of its field names with a dozen names, and nearly every comparison ends at the
/// lengths.
inline bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    // Equal ignoring case: the same byte, or letters that differ only in bit 0x20.
    const auto x = static_cast<unsigned char>(a[i]);
    const auto y = static_cast<unsigned char>(b[i]);
    if (x != y && ((x | 0x20) != (y | 0x20) || (x | 0x20) < 'a' || (x | 0x20) > 'z')) return false;
  }
  return true;
}

/// `text` without the spaces and tabs around it (a field value).
inline std::string_view trimmed(std::string_view text) noexcept {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

/// RFC 9110 §5.6.1: whether the comma-separated list `list` holds `token` (case-insensitive).
bool list_has(std::string_view list, std::string_view token) noexcept;

}  // namespace ringleader::proxy::http
