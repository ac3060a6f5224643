// ContinuumIndex: finds the few points of a sorted 32-bit circle that can answer a lookup.
//
// A ketama lookup is a binary search over every point of the circle (1,600 points for 10 servers),
// whose unpredictable branches and cache misses cost more than the hash. The index splits the circle
// into 2^b equal buckets (about one point per bucket, at most 2^20 buckets) and remembers where each
// bucket's points start, so a lookup searches only its bucket: the first point >= h (or > h) lies in
// h's bucket or is the first point of a later one, which is where the bucket's range ends.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace ringleader::compat {

class ContinuumIndex {
 public:
  ContinuumIndex() = default;
  /// `points` sorted by value.
  template <typename Point>
  explicit ContinuumIndex(std::span<const Point> points) {
    unsigned bits = 1;
    while (bits < 20 && (std::size_t{1} << bits) < points.size()) ++bits;
    shift_ = 32 - bits;
    start_.resize((std::size_t{1} << bits) + 1);
    std::size_t p = 0;
    for (std::size_t b = 0; b + 1 < start_.size(); ++b) {
      while (p < points.size() && (points[p].value >> shift_) < b) ++p;
      start_[b] = static_cast<std::uint32_t>(p);
    }
    start_.back() = static_cast<std::uint32_t>(points.size());
  }

  /// [first, last): the positions to search for the first point at or after `hash` (ketama) or after
  /// it (uhashring). If the search finds nothing there, the answer is position `last`.
  std::uint32_t first(std::uint32_t hash) const noexcept { return start_[hash >> shift_]; }
  std::uint32_t last(std::uint32_t hash) const noexcept { return start_[(hash >> shift_) + 1]; }

  /// The first of `points` (sorted by value, the ones this index was built over) whose value is
  /// >= hash, wrapping to the first point past the end: how ketama and nginx find a key's server.
  template <typename Point>
  const Point& at_or_after(std::span<const Point> points, std::uint32_t hash) const noexcept {
    const auto it = std::lower_bound(points.begin() + first(hash), points.begin() + last(hash), hash,
                                     [](const Point& p, std::uint32_t h) { return p.value < h; });
    return it == points.end() ? points.front() : *it;
  }

  std::size_t memory_bytes() const noexcept { return start_.size() * sizeof(std::uint32_t); }

 private:
  std::vector<std::uint32_t> start_;  // start_[b]: first point whose value is >= b << shift_
  unsigned shift_ = 32;
};

}  // namespace ringleader::compat
