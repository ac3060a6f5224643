// What a proxy changes in a server's response before its client sees it (RFC 9110 §7.6.1, RFC
// 9112 §9.6): the server's connection is not the client's, so the fields that speak of it go
// (Connection, the fields it names, Keep-Alive, TE, Trailer, Upgrade, Proxy-*), the status line
// says the proxy's own version (HTTP/1.1: an HTTP/1.0 server's response is framed by its length
// here), and a response after which the proxy closes the client's connection says so
// (`Connection: close`). Transfer-Encoding stays: the body is forwarded with its framing.
#pragma once

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
/// the client must see them, saying what becomes of the client's connection (`after`). A final
/// response whose body has no length (it ends when the server closes; not one to HEAD: `to_head`)
/// closes the client's connection too, which is how the client learns where it ends. Bytes
/// without a whole head are left as they are.
void rewrite_response_heads(std::string& bytes, AfterResponse after, bool to_head);

}  // namespace ringleader::proxy::http
