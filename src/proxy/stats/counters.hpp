// Counters of the proxy, kept per worker thread and summed when read (stats JSON, /metrics).
//
// Each counter has one writer (the worker thread that owns the pool, server and sessions it
// counts), so an increment is a relaxed load and store: no locked instruction on the request path.
// Readers on the stats thread load relaxed too; a sum may be a moment old, never torn.
// Field names are twemproxy's (nc_stats.h), so the JSON on the stats port reads like nutcracker's.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>

namespace ringleader::proxy::stats {

/// A value written by one thread and read by others.
class Counter {
 public:
  void add(std::uint64_t n = 1) noexcept { value_.store(value_.load(relaxed) + n, relaxed); }
  void sub(std::uint64_t n = 1) noexcept { value_.store(value_.load(relaxed) - n, relaxed); }
  void set(std::uint64_t n) noexcept { value_.store(n, relaxed); }
  std::uint64_t get() const noexcept { return value_.load(relaxed); }

 private:
  static constexpr auto relaxed = std::memory_order_relaxed;
  std::atomic<std::uint64_t> value_{0};
};

/// Round-trip times to one server: cumulative buckets as Prometheus reads them.
struct Latency {
  /// Upper bounds in microseconds: 100 us to 1 s, roughly 1-2.5-5 per decade.
  static constexpr std::array<std::uint64_t, 13> kBoundsMicros = {
      100, 250, 500, 1'000, 2'500, 5'000, 10'000, 25'000, 50'000, 100'000, 250'000, 500'000, 1'000'000};

  void observe(std::chrono::steady_clock::duration elapsed) noexcept;

  std::array<Counter, kBoundsMicros.size() + 1> buckets;  // not cumulative; the last is +Inf
  Counter sum_micros;
  Counter count;
};

/// One server of one pool, as one worker thread sees it.
struct ServerCounters {
  Counter server_eof;          // the server closed the connection
  Counter server_err;          // connect, read or write errors, malformed replies
  Counter server_timedout;     // no reply within the pool's timeout
  Counter server_connections;  // open now
  Counter server_ejected_at;   // unix seconds of the last ejection (0: never)
  Counter server_ejects;       // ejections of this server (summed into the pool's server_ejects)
  Counter forward_error;       // requests answered with an error because this server failed
  Counter requests;
  Counter request_bytes;
  Counter responses;
  Counter response_bytes;
  Counter in_queue;            // requests not yet written to the server
  Counter in_queue_bytes;
  Counter out_queue;           // requests written, waiting for their reply
  Counter out_queue_bytes;
  Latency latency;
};

/// One pool, as one worker thread sees it (its servers' counters are kept by the Registry).
struct PoolCounters {
  Counter client_eof;          // clients that closed the connection
  Counter client_err;          // clients dropped on an error (reset, protocol framing lost)
  Counter client_connections;  // open now
  Counter client_rejected;     // refused because the pool had client_connections clients
  Counter client_output_limit_closed;  // closed past their output limit (client_session.hpp)
  Counter fragments;           // sub-requests made by splitting multi-key requests
  Counter replica_failovers;   // reads asked again of a key's next copy (a server failed, or a miss)
  // Warm-up after a membership change (route/warm_up.hpp).
  Counter warmup_reads;           // misses of a moved key asked again of its previous owner
  Counter warmup_hits;            // ... that the previous owner had
  Counter warmup_copies;          // hits copied to the new owner
  Counter warmup_copies_skipped;  // not copied: the new owner had a value, or the key was written since
  Counter total_connections;   // clients accepted since start
};

}  // namespace ringleader::proxy::stats
