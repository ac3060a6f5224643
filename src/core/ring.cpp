// Ring: builds the ketama-style continuum and its direct-answer index (see algo/ring.hpp).
#include "ringleader/algo/ring.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

#include <xxhash.h>

#include "ringleader/algo/detail/distinct.hpp"

namespace ringleader::algo {

Ring::Ring(const Membership& nodes, RingOptions options) : nodes_(nodes) {
  if (options.points_per_weight == 0) throw std::invalid_argument("ring: points_per_weight must be at least 1");
  const std::uint64_t total = std::uint64_t{options.points_per_weight} * nodes.total_weight();
  if (total > kMaxPoints)
    throw std::invalid_argument("ring: " + std::to_string(total) + " points (points_per_weight x total weight) exceed " +
                                std::to_string(kMaxPoints));

  std::vector<detail::OwnedPoint> points;
  points.reserve(total);
  std::string label;
  for (BucketId id = 0; id < nodes.size(); ++id) {
    const std::uint64_t count = std::uint64_t{options.points_per_weight} * nodes[id].weight;
    for (std::uint64_t i = 0; 2 * i < count; ++i) {
      label = nodes[id].name;
      label += '-';
      label += std::to_string(i);
      const XXH128_hash_t digest = XXH3_128bits(label.data(), label.size());
      points.push_back({digest.low64, id});
      if (2 * i + 1 < count) points.push_back({digest.high64, id});
    }
  }
  // Reuse the circle's index, then replace every bucket holding no point by its answer.
  const detail::Circle circle = detail::sorted_circle(std::move(points), nodes, owners_);
  shift_ = 64 - circle.index_bits();
  const std::vector<std::uint32_t>& start = circle.index();
  index_.resize(start.size() - 1);
  for (std::size_t b = 0; b + 1 < start.size(); ++b)
    index_[b] = start[b] == start[b + 1] ? (kDirect | owners_[start[b]]) : start[b];
  positions_.reserve(circle.points() + 1);
  for (std::uint32_t i = 0; i <= circle.points(); ++i) positions_.push_back(circle.position(i));
}

BucketId Ring::lookup_by_binary_search(std::uint64_t key_hash) const noexcept {
  const auto it = std::lower_bound(positions_.begin(), positions_.end() - 1, key_hash);
  return owners_[static_cast<std::size_t>(it - positions_.begin())];
}

void Ring::lookup_n(std::uint64_t key_hash, std::span<BucketId> out) const {
  detail::check_replica_count(out.size(), nodes_.size());
  if (out.empty()) return;
  detail::Picked picked(out, nodes_.size());
  const std::size_t points = positions_.size() - 1;
  std::size_t i = static_cast<std::size_t>(
      std::lower_bound(positions_.begin(), positions_.end() - 1, key_hash) - positions_.begin());
  // Every node has at least one point, so one full turn finds out.size() <= n distinct nodes.
  for (std::size_t walked = 0; !picked.full() && walked < points; ++walked, ++i) picked.add(owners_[i % points]);
}

}  // namespace ringleader::algo
