// MultiProbe: one point per unit of weight, k probes per key (see algo/multiprobe.hpp).
#include "ringleader/algo/multiprobe.hpp"

#include <algorithm>
#include <limits>
#include <stdexcept>
#include <string>

#include <xxhash.h>

#include "ringleader/algo/detail/mix.hpp"

namespace ringleader::algo {

MultiProbe::MultiProbe(const Membership& nodes, MultiProbeOptions options)
    : nodes_(nodes), probes_(options.probes) {
  if (options.probes == 0 || options.probes > kMaxProbes)
    throw std::invalid_argument("multiprobe: probes must be in 1.." + std::to_string(kMaxProbes) + ", got " +
                                std::to_string(options.probes));
  if (nodes.total_weight() > kMaxPoints)
    throw std::invalid_argument("multiprobe: total weight " + std::to_string(nodes.total_weight()) + " exceeds " +
                                std::to_string(kMaxPoints));
  std::vector<detail::OwnedPoint> points;
  points.reserve(nodes.total_weight());
  for (BucketId id = 0; id < nodes.size(); ++id) {
    for (std::uint32_t i = 0; i < nodes[id].weight; ++i) {
      const std::string label = nodes[id].name + '-' + std::to_string(i);
      points.push_back({XXH3_64bits(label.data(), label.size()), id});
    }
  }
  circle_ = detail::sorted_circle(std::move(points), nodes, owners_);
}

BucketId MultiProbe::lookup(std::uint64_t key_hash) const noexcept {
  std::uint64_t best_distance = std::numeric_limits<std::uint64_t>::max();
  BucketId best = owners_.front();
  const std::uint32_t points = circle_.points();
  for (std::uint32_t probe = 0; probe < probes_; ++probe) {
    const std::uint64_t p = detail::mix(key_hash, probe);
    const std::uint32_t i = circle_.successor(p);
    // Unsigned subtraction measures clockwise distance, wrap-around included.
    const std::uint64_t distance = circle_.position(i == points ? 0 : i) - p;
    if (distance < best_distance) {
      best_distance = distance;
      best = owners_[i];
    }
  }
  return best;
}

}  // namespace ringleader::algo
