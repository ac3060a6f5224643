// Latency buckets; see counters.hpp.
#include "proxy/stats/counters.hpp"

#include <algorithm>

namespace ringleader::proxy::stats {

void Latency::observe(std::chrono::steady_clock::duration elapsed) noexcept {
  const auto micros = static_cast<std::uint64_t>(
      std::max<std::int64_t>(0, std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count()));
  const auto bucket = std::lower_bound(kBoundsMicros.begin(), kBoundsMicros.end(), micros) - kBoundsMicros.begin();
  buckets[static_cast<std::size_t>(bucket)].add();
  sum_micros.add(micros);
  count.add();
}

}  // namespace ringleader::proxy::stats
