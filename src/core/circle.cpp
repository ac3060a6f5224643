// Builds the top-bits index of detail::Circle (see its header for what it guarantees).
#include "ringleader/algo/detail/circle.hpp"

#include <algorithm>
#include <bit>
#include <limits>

namespace ringleader::algo::detail {

Circle::Circle(std::vector<std::uint64_t> sorted) : positions_(std::move(sorted)) {
  const std::size_t points = positions_.size();
  // About two index buckets per point: most lookups then land in an empty bucket or next to the
  // answer. 4 .. 22 bits keeps the index between 64 B and 16 MiB.
  const unsigned bits = std::clamp(static_cast<unsigned>(std::bit_width(points)) + 1, 4u, 22u);
  shift_ = 64 - bits;
  index_.resize((std::size_t{1} << bits) + 1);
  std::size_t i = 0;
  for (std::size_t b = 0; b < (std::size_t{1} << bits); ++b) {
    const std::uint64_t bucket_start = static_cast<std::uint64_t>(b) << shift_;
    while (i < points && positions_[i] < bucket_start) ++i;
    index_[b] = static_cast<std::uint32_t>(i);
  }
  index_.back() = static_cast<std::uint32_t>(points);
  positions_.push_back(std::numeric_limits<std::uint64_t>::max());
}

Circle sorted_circle(std::vector<OwnedPoint> points, const Membership& nodes, std::vector<BucketId>& owners) {
  std::sort(points.begin(), points.end(), [&](const OwnedPoint& a, const OwnedPoint& b) {
    if (a.position != b.position) return a.position < b.position;
    return nodes[a.owner].name < nodes[b.owner].name;
  });
  std::vector<std::uint64_t> positions(points.size());
  owners.resize(points.size() + 1);
  for (std::size_t i = 0; i < points.size(); ++i) {
    positions[i] = points[i].position;
    owners[i] = points[i].owner;
  }
  owners.back() = owners.front();
  return Circle(std::move(positions));
}

}  // namespace ringleader::algo::detail
