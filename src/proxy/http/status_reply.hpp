// The responses the proxy makes itself (400, 431, 502, 503, 504): a status line and a one-line
// text/plain body naming the reason, so a user reading `curl -i` learns what went wrong.
#pragma once

#include <string>
#include <string_view>

namespace ringleader::proxy::http {

/// A response with status `code` and `reason` as its body; `close`: adds Connection: close (the
/// proxy closes the connection after it, its framing lost or refused).
std::string status_reply(unsigned code, std::string_view reason, bool close);

}  // namespace ringleader::proxy::http
