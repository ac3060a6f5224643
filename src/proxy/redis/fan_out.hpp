// KEYS, SCAN and DBSIZE over every server of a pool: the answer one Redis would give if it held
// every server's keys.
//
// - DBSIZE: each server's count, summed.
// - KEYS pattern: each server's keys, one array.
// - SCAN cursor [MATCH ...] [COUNT ...] [TYPE ...]: the servers one after another. The cursor the
//   client gets carries the server in its low kServerBits bits and that server's own cursor above
//   them; a server's cursor 0 moves on to the next server, and the last one's ends the scan with 0.
//   As Redis's, a key present for the whole scan is returned at least once.
//
// A pool with redis_fan_out: false refuses them (KEYS over a large fleet is a fleet-wide stall); so
// does a pool with replicas, whose copies would count each key more than once.
#pragma once

#include <functional>
#include <memory>
#include <span>
#include <string_view>

#include "proxy/pending_reply.hpp"
#include "proxy/protocol.hpp"

namespace ringleader::proxy {
class PoolWorker;
}

namespace ringleader::proxy::redis {

/// The bits of a SCAN cursor that name the server: a pool has at most 2^kServerBits servers for SCAN.
inline constexpr unsigned kServerBits = 10;

/// Runs `args`, whose command `name` (upper case) is KEYS, SCAN or DBSIZE, over `pool`'s servers for a
/// client speaking `dialect`; its reply goes to `enqueue`.
void fan_out(PoolWorker& pool, std::string_view name, std::span<const std::string_view> args, Dialect dialect,
             const std::function<void(std::shared_ptr<PendingReply>)>& enqueue);

}  // namespace ringleader::proxy::redis
