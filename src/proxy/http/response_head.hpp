// What a proxy changes in a server's response before its client sees it (RFC 9110 §7.6.1, RFC
// 9112 §9.6): the server's connection is not the client's, so the fields that speak of it go
// (Connection, the fields it names, Keep-Alive, TE, Trailer, Upgrade, Proxy-*), the status line
// says the proxy's own version (HTTP/1.1: an HTTP/1.0 server's response is framed by its length
// here), and a response after which the proxy closes the client's connection says so
// (`Connection: close`). Transfer-Encoding stays: the body is forwarded with its framing.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace ringleader::proxy::http {

/// Whether a field is about one connection only and is not forwarded (RFC 9110 §7.6.1): the
/// standard hop-by-hop fields and those the message's Connection field (`connection`) names.
bool hop_by_hop(std::string_view name, std::string_view connection) noexcept;

/// What becomes of the client's connection after a response, and what the response says of it.
enum class AfterResponse {
  stays_open,  // HTTP/1.1: persistent unless said otherwise
  closes,      // `Connection: close`
  kept_alive,  // an HTTP/1.0 client that asked to keep it: `Connection: keep-alive` (RFC 9112 §9.3,
               // and `ab -k` waits for the connection to close without it)
};

/// Rewrites the response heads at the start of `bytes` (interim 1xx ones and the final one) as
/// the client must see them, saying what becomes of the client's connection (`after`). Bytes
/// without a whole head are left as they are.
///
/// A final response with a body that has no length (it ends when the server closes; not one to
/// HEAD: `to_head`) is re-framed for a client whose connection stays open (HTTP/1.1): it gets
/// `Transfer-Encoding: chunked`, the body bytes after the head in `bytes` become its first chunk,
/// and true is returned: the caller sends the rest of the body as chunks (chunk_size_line(), the
/// bytes, CRLF) and ends it with kLastChunk. Otherwise (an HTTP/1.0 client, or one that asked to close) the client's connection
/// closes after it, which is how that client learns where it ends, as nginx does.
bool rewrite_response_heads(std::string& bytes, AfterResponse after, bool to_head);

/// The line before a chunk of `size` bytes (RFC 9112 §7.1): its size in hex, CRLF.
std::string chunk_size_line(std::size_t size);
/// The end of a chunked body: the last chunk, no trailer.
inline constexpr std::string_view kLastChunk = "0\r\n\r\n";

}  // namespace ringleader::proxy::http
