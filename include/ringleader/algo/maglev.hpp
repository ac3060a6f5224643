// Maglev: the lookup table of Google's Maglev load balancer (Eisenbud et al., "Maglev: A Fast and
// Reliable Software Network Load Balancer", NSDI 2016, section 3.4), with weights as in Envoy.
//
// Each node has a permutation of the M table slots (offset = h1(name) mod M, skip = h2(name) mod
// (M-1) + 1, M prime so every skip generates the whole table); nodes take turns claiming their next
// free preferred slot. A node of weight w takes a turn in w/w_max of the rounds (Envoy's
// `target_weight` scheme), so it owns within one slot of M * w / W entries.
//
// Guarantees:
// - balance is exact up to one entry: with equal weights every node owns floor(M/n) or ceil(M/n)
//   slots, so peak-to-mean <= ceil(M/n) / (M/n) (1.007 at n = 1000, M = 65537).
// - NOT minimal disruption: when a node leaves, its slots go to others AND a few other slots change
//   hands, because the turn order shifts (section 3.4: Maglev gives up a little of minimal
//   disruption in exchange for an even table). Measured with M = 65537 and one node leaving or
//   joining: 0.25% of all keys move beyond the minimum at n = 10, 0.55% at n = 100 and 1000;
//   tests/unit/algo/maglev_test.cpp holds it under 1%. Use Anchor/Memento when exactness matters.
// - M must be prime and >= the number of nodes; the paper recommends M >= 100 n (section 5.3).
// - lookup: one multiply-shift (instead of the paper's `mod M`, see detail/mix.hpp) and one load.
//
//   ringleader::algo::Maglev m(ringleader::Membership::uniform(100));
//   ringleader::BucketId b = m.lookup(ringleader::hash::xxh3("user:42"));
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "ringleader/algo/detail/distinct.hpp"
#include "ringleader/algo/detail/mix.hpp"
#include "ringleader/membership.hpp"

namespace ringleader::algo {

struct MaglevOptions {
  std::uint32_t table_size = 65537;  // M: prime, >= number of nodes (Envoy's and the paper's default)
};

class Maglev {
 public:
  /// Throws std::invalid_argument if table_size is not prime or is smaller than the node count.
  explicit Maglev(const Membership& nodes, MaglevOptions options = {});

  BucketId lookup(std::uint64_t key_hash) const noexcept {
    return table_[detail::reduce(key_hash, static_cast<std::uint32_t>(table_.size()))];
  }
  /// Distinct nodes by salted re-lookup (detail/distinct.hpp).
  void lookup_n(std::uint64_t key_hash, std::span<BucketId> out) const {
    detail::distinct_by_rehash(*this, key_hash, out);
  }

  const Membership& membership() const noexcept { return nodes_; }
  std::size_t memory_bytes() const noexcept { return table_.capacity() * sizeof(BucketId); }
  /// The table itself, slot -> node (for tests and `simulate`).
  std::span<const BucketId> table() const noexcept { return table_; }

 private:
  Membership nodes_;
  std::vector<BucketId> table_;
};

}  // namespace ringleader::algo
