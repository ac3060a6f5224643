// Redis RESP as the proxy's core sees it (protocol.hpp): sessions of redis::Session, replies framed
// by reply_parser.hpp, errors as "-ERR <reason>", AUTH (redis_auth) and SELECT (redis_db) first on
// every server connection, and PING (after AUTH) as the health probe.
#pragma once

#include "proxy/protocol.hpp"

namespace ringleader::proxy::redis {

const Protocol& protocol();

}  // namespace ringleader::proxy::redis
