// Ring: the ketama continuum (Karger et al., "Consistent Hashing and Random Trees", STOC 1997;
// points per server as in libketama / twemproxy's ketama distribution).
//
// Every node gets points_per_weight x weight points on a 64-bit circle; point positions are the two
// 64-bit halves of XXH3-128("name-i"), i = 0, 1, ... (two points per digest, as ketama takes four
// from each MD5). A key belongs to the first point at or after its hash, wrapping around.
// (This is ringleader's own continuum; the byte-exact twemproxy/libmemcached ketama lives with the
// compatibility hashes.)
//
// Guarantees:
// - minimal disruption for any change: when a node leaves only its keys move (to the next points);
//   when a node joins only keys that now land on its points move.
// - order independence: positions depend on names only; equal positions go to the smaller name.
// - balance is statistical: a node's arc share has a relative spread of about 1/sqrt(points), so at
//   160 points per unit of weight peak-to-mean is 1.11 / 1.24 / 1.31 at n = 10 / 100 / 1000
//   (measured; ring_test.cpp holds n <= 100 under 1.35), and a weighted node's share is within
//   about 20 % of weight / total (worst measured: 17 % over 50 nodes of weights 1-4).
// - lookup: an index over the top bits of the hash (~2 buckets per point) answers directly when its
//   bucket holds no point, else scans a few sorted points: identical answers to std::lower_bound.
//   lookup_n walks the circle collecting distinct nodes.
//
//   ringleader::algo::Ring r(ringleader::Membership::uniform(10));
//   ringleader::BucketId b = r.lookup(ringleader::hash::xxh3("user:42"));
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "ringleader/algo/detail/circle.hpp"
#include "ringleader/membership.hpp"

namespace ringleader::algo {

struct RingOptions {
  std::uint32_t points_per_weight = 160;  // ketama's default
};

class Ring {
 public:
  /// Throws std::invalid_argument if points_per_weight is 0 or the ring would exceed kMaxPoints.
  explicit Ring(const Membership& nodes, RingOptions options = {});

  static constexpr std::uint64_t kMaxPoints = std::uint64_t{1} << 25;

  BucketId lookup(std::uint64_t key_hash) const noexcept {
    const std::uint32_t e = index_[key_hash >> shift_];
    if (e & kDirect) return e & ~kDirect;
    std::uint32_t i = e;
    while (positions_[i] < key_hash) ++i;
    return owners_[i];
  }
  /// The first out.size() distinct nodes clockwise from the key. Throws if out.size() > nodes.
  void lookup_n(std::uint64_t key_hash, std::span<BucketId> out) const;

  const Membership& membership() const noexcept { return nodes_; }
  std::size_t memory_bytes() const noexcept {
    return positions_.capacity() * sizeof(std::uint64_t) +
           (owners_.capacity() + index_.capacity()) * sizeof(std::uint32_t);
  }
  /// Number of points on the circle.
  std::size_t points() const noexcept { return positions_.size() - 1; }
  /// The reference answer by binary search (what the index must agree with; used by tests).
  BucketId lookup_by_binary_search(std::uint64_t key_hash) const noexcept;

 private:
  static constexpr std::uint32_t kDirect = 0x8000'0000u;  // index entry is the answer itself

  Membership nodes_;
  std::vector<std::uint64_t> positions_;  // sorted, then the sentinel UINT64_MAX
  std::vector<BucketId> owners_;          // per point; the sentinel's is point 0's (wrap-around)
  std::vector<std::uint32_t> index_;      // kDirect | owner, or the first point >= bucket start
  unsigned shift_ = 63;
};

}  // namespace ringleader::algo
