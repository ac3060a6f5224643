// SourceStatus: what a membership source that is not the config file (etcd, DNS) says about a pool,
// for the stats port and /metrics: which members are served, since when, and whether the source is
// in touch. Written by the source's thread, read by the stats listeners: atomics only (`kind` is
// set when the registry makes it, under the registry's lock, and never changes).
#pragma once

#include <atomic>
#include <cstdint>

namespace ringleader::proxy::stats {

struct SourceStatus {
  enum class Kind { etcd, dns };
  Kind kind = Kind::etcd;
  std::atomic<std::int64_t> revision{0};       // etcd's revision of the members served; 0: not yet
  std::atomic<std::int64_t> applied_at_ms{0};  // when they were applied, unix time in ms; 0: not yet
  std::atomic<bool> connected{false};          // etcd: watching, or reading, with etcd answering
  std::atomic<std::uint64_t> errors{0};        // etcd unreachable or failing, DNS failing or timing out: per failure
  std::atomic<std::uint64_t> refused{0};       // memberships not applied: below *_min_servers, empty, or failed
  // DNS only.
  std::atomic<std::int64_t> answered_at_ms{0};  // the last answer (unix time in ms); 0: none yet
  std::atomic<std::uint64_t> answers{0};        // answers received
  std::atomic<std::uint64_t> servers{0};        // servers the last answer gave
  std::atomic<std::uint64_t> changes{0};        // memberships applied (an answer that changed nothing is none)
};

}  // namespace ringleader::proxy::stats
