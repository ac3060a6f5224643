// HTTP/1.1 as the proxy's core sees it (protocol.hpp): sessions of http::Session, responses framed
// by response_frame.hpp, failures answered 502 Bad Gateway (504 Gateway Timeout for a timeout) with
// a one-line body naming the reason, no handshake, and `GET <health_check_path>` as the health probe
// (a 2xx or 3xx status line passes).
#pragma once

#include "proxy/protocol.hpp"

namespace ringleader::proxy::http {

const Protocol& protocol();

}  // namespace ringleader::proxy::http
