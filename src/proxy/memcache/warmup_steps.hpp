// Warm-up in the memcached protocol (route/warm_up.hpp): the previous owner is asked with the meta
// protocol of memcached 1.6, `mg <key> v f t [c]`, which gives the flags and the TTL left; the copy is
// `ms <key> <bytes> T<ttl> F<flags> ME`, whose mode E (add) stores only if the new owner has no value.
// Source: memcached's doc/protocol.txt, "Meta Get" and "Meta Set" (mode switch E: add; A is append).
#pragma once

#include "proxy/route/warm_up.hpp"

namespace ringleader::proxy::memcache {

const WarmUpSteps& warm_up_steps();

}  // namespace ringleader::proxy::memcache
