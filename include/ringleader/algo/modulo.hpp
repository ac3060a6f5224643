// Modulo: key_hash mod (total weight), the baseline that shows why consistent hashing exists.
//
// Guarantees: exact balance in expectation (share of node i = weight_i / total_weight; weights are
// expanded into slots, see detail/slots.hpp). No consistency: when one of N nodes leaves, about
// (N-1)/N of all keys move, not 1/N. It is here to be compared against, never to be deployed.
//
//   ringleader::algo::Modulo m(ringleader::Membership::uniform(4));
//   ringleader::BucketId b = m.lookup(ringleader::hash::xxh3("user:42"));
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "ringleader/algo/detail/distinct.hpp"
#include "ringleader/algo/detail/slots.hpp"
#include "ringleader/membership.hpp"

namespace ringleader::algo {

class Modulo {
 public:
  explicit Modulo(const Membership& nodes)
      : nodes_(nodes), owners_(detail::slot_owners(nodes, "modulo")) {}

  BucketId lookup(std::uint64_t key_hash) const noexcept { return owners_[key_hash % owners_.size()]; }
  /// Distinct nodes by salted re-lookup (detail/distinct.hpp).
  void lookup_n(std::uint64_t key_hash, std::span<BucketId> out) const {
    detail::distinct_by_rehash(*this, key_hash, out);
  }

  const Membership& membership() const noexcept { return nodes_; }
  std::size_t memory_bytes() const noexcept { return owners_.capacity() * sizeof(BucketId); }

 private:
  Membership nodes_;
  std::vector<BucketId> owners_;  // slot -> node
};

}  // namespace ringleader::algo
