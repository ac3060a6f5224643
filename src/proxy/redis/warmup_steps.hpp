// Warm-up in Redis (route/warm_up.hpp): the previous owner is asked for the key's value as a DUMP payload
// and its PTTL in one request (a short Lua script, so one reply carries both); the copy is
// `RESTORE key <ms left> <payload>` without REPLACE, which refuses (BUSYKEY) where the new owner has
// a value. A DUMP payload is no reply to the client's command, so after the copy the command is sent
// to the new owner again, on the same connection, and its answer is the client's. Works for every
// type, since DUMP and RESTORE do.
#pragma once

#include "proxy/route/warm_up.hpp"

namespace ringleader::proxy::redis {

const WarmUpSteps& warm_up_steps();

}  // namespace ringleader::proxy::redis
