// The memcached text protocol as the proxy's core sees it (protocol.hpp): sessions of
// memcache::Session, replies framed by reply_parser.hpp, errors as "SERVER_ERROR <reason>", no
// handshake, and `version` as the health probe (it must answer "VERSION ...").
#pragma once

#include "proxy/protocol.hpp"

namespace ringleader::proxy::memcache {

/// What a request sent to a server expects back (Backend::send's ReplyKind).
enum Reply : ReplyKind {
  one_line = 0,  // storage, delete, incr/decr, touch, ...: one line
  values = 1,    // get, gets, gat, gats: VALUE ... END
  meta = 2,      // the meta protocol's mg: VA <bytes> ... and its data, or one line (warmup_steps.hpp)
};

const Protocol& protocol();

}  // namespace ringleader::proxy::memcache
