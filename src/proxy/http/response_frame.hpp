// Where a server's HTTP response ends (RFC 9112 §6.3), for the backend that reads it.
//
// The response is passed on unchanged; only its end matters. A response to HEAD, a 204 or a 304
// has no body; otherwise Content-Length or chunked coding says where it ends. Interim 1xx responses
// (100 Continue, 103 Early Hints) go to the client with the final response they precede. A
// response that ends only when its server closes (no length, HTTP/1.0 style) is passed on as it
// comes until then (`ends_at_close`); its client's connection closes after it, which is how that
// client learns where it ends. A 101 to a WebSocket upgrade (Reply::upgrade) is framed the same
// way: what follows it is the tunnel's bytes, until the server closes. A 101 to anything else is
// malformed.
//
// A response that says its server closes the connection after it (Connection: close, or HTTP/1.0
// without keep-alive) is marked `closes`: the backend closes that connection once the response is
// in, rather than send the next request into a connection being closed.
//
// A large body is passed on while it arrives (protocol.hpp's `certain` bytes): a Content-Length
// body is certain to its end; a chunked one to the end of the chunk being read, after which the
// rest is framed again as `chunks` (a fresh ChunkedBody at a chunk-size line).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace ringleader::proxy::http {

/// What a request sent to a server expects back (Backend::send's ReplyKind).
enum Reply : std::uint32_t {
  response = 0,  // a response head, then its body
  response_to_head = 1,  // a response to HEAD: a head only
  chunks = 2,  // the rest of a chunked body being passed on, from a chunk-size line
  upgrade = 3,  // a response to a WebSocket upgrade: a 101 makes the connection a tunnel
};

struct ResponseFrame {
  enum class Status { complete, need_more, malformed };
  Status status = Status::need_more;
  std::size_t size = 0;          // complete: bytes of the whole response
  std::uint64_t certain = 0;     // need_more: bytes from the start known to be part of it
  bool certain_ends = false;     // ...and they are all of it (a Content-Length body)
  bool then_chunks = false;      // ...and after them the body goes on in chunks
  bool closes = false;           // complete or need_more: the server closes the connection after it
  bool ends_at_close = false;    // need_more: the body ends when the server closes (no length)
};

/// `certain` of a response whose body ends at the close: more than any body.
constexpr std::uint64_t kUntilClose = std::uint64_t{1} << 62;

/// Frames the response at the start of `input`, of kind `kind`; heads over `max_head` bytes are
/// malformed.
ResponseFrame frame_response(std::string_view input, Reply kind, std::size_t max_head);

}  // namespace ringleader::proxy::http
