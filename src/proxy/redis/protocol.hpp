// Redis RESP as the proxy's core sees it (protocol.hpp): sessions of redis::Session, replies framed
// by reply_parser.hpp, errors as "-ERR <reason>", AUTH (redis_auth) and SELECT (redis_db) first on
// every server connection, and PING (after AUTH) as the health probe. Clients that asked for RESP3
// (HELLO 3) are served over server connections that ask for it too (kResp3).
#pragma once

#include "proxy/protocol.hpp"

namespace ringleader::proxy::redis {

const Protocol& protocol();

/// The dialect (Protocol::dialects) of the server connections that speak RESP3: HELLO 3 follows AUTH.
inline constexpr Dialect kResp3 = 1;

}  // namespace ringleader::proxy::redis
