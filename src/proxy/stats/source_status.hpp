// SourceStatus: what a membership source that is not the config file (etcd) says about a pool, for
// the stats port and /metrics: which revision of the members is served, since when, and whether the
// source is in touch. Written by the source's thread, read by the stats listeners: atomics only.
#pragma once

#include <atomic>
#include <cstdint>

namespace ringleader::proxy::stats {

struct SourceStatus {
  std::atomic<std::int64_t> revision{0};       // etcd's revision of the members served; 0: not yet
  std::atomic<std::int64_t> applied_at_ms{0};  // when they were applied, unix time in ms; 0: not yet
  std::atomic<bool> connected{false};          // watching, or reading, with etcd answering
  std::atomic<std::uint64_t> errors{0};        // etcd unreachable or failing, counted per failure
  std::atomic<std::uint64_t> refused{0};       // memberships not applied: below etcd_min_servers, or failed
};

}  // namespace ringleader::proxy::stats
