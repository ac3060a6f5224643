// Internal: sorted 64-bit points on a circle with an index over the top bits of the hash, so that
// "first point at or after h" costs one table load and a short scan instead of a binary search.
//
// index[b] is the first point >= b << shift. With ~2 buckets per point most scans end at once;
// a sentinel point at UINT64_MAX stops every scan, and reaching it means "wrap to point 0".
// Answers are identical to std::lower_bound over the sorted points (tested).
#pragma once

#include <cstdint>
#include <vector>

#include "ringleader/membership.hpp"

namespace ringleader::algo::detail {

class Circle {
 public:
  Circle() = default;
  /// `sorted` must be sorted ascending; it must not be empty.
  explicit Circle(std::vector<std::uint64_t> sorted);

  /// Index of the first point >= h; points() (the sentinel) when h is past the last point.
  std::uint32_t successor(std::uint64_t h) const noexcept {
    std::uint32_t i = index_[h >> shift_];
    while (positions_[i] < h) ++i;
    return i;
  }
  std::uint32_t points() const noexcept { return static_cast<std::uint32_t>(positions_.size() - 1); }
  std::uint64_t position(std::uint32_t i) const noexcept { return positions_[i]; }
  unsigned index_bits() const noexcept { return 64 - shift_; }
  const std::vector<std::uint32_t>& index() const noexcept { return index_; }
  std::size_t memory_bytes() const noexcept {
    return positions_.capacity() * sizeof(std::uint64_t) + index_.capacity() * sizeof(std::uint32_t);
  }

 private:
  std::vector<std::uint64_t> positions_;  // sorted, then the sentinel UINT64_MAX
  std::vector<std::uint32_t> index_;      // 2^bits + 1 entries; the last is points()
  unsigned shift_ = 63;
};

/// A node's point on the circle, before sorting.
struct OwnedPoint {
  std::uint64_t position;
  BucketId owner;
};

/// Sorts the points (equal positions ordered by node name, so placement never depends on the order
/// of the membership), writes each point's owner to `owners` followed by point 0's owner again for
/// the sentinel (past the last point the circle wraps to the first), and returns the Circle of their
/// positions. `points` must not be empty.
Circle sorted_circle(std::vector<OwnedPoint> points, const Membership& nodes, std::vector<BucketId>& owners);

}  // namespace ringleader::algo::detail
