// Rendezvous: weighted highest random weight hashing (Thaler & Ravishankar, "Using name-based
// mappings to increase hit rates", 1998), with the logarithmic method for weights (Schindelhauer &
// Schomaker, "Weighted distributed hash tables", SPAA 2005; as in Resch, "New Hashing Algorithms for
// Data Storage", 2015): node i scores -ln(u_i) / w_i with u_i = hash(key, node i) in (0, 1), and
// the lowest score wins.
//
// Guarantees:
// - weights are exact: -ln(u)/w is exponentially distributed with rate w, so node i wins with
//   probability exactly w_i / W (the minimum of independent exponentials).
// - minimal disruption for any change: a node's score does not depend on the other nodes, so when a
//   node leaves only its keys move, and when one joins only keys that now go to it move.
// - order independence: scores depend on names only; ties (probability ~2^-53) go to the smaller
//   name hash, then the smaller name.
// - lookup costs O(n) (one hash per node; with equal weights the logarithm is skipped, since the
//   largest u then always has the lowest score). lookup_n returns nodes in score order.
// - placement relies on IEEE-754 double and the C library's log(); a different libm could only
//   matter for keys whose two best scores agree to the last bit.
//
//   ringleader::algo::Rendezvous r(ringleader::Membership({{"a", 1}, {"b", 3}}));
//   ringleader::BucketId b = r.lookup(ringleader::hash::xxh3("user:42"));   // "b" 3 times in 4
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "ringleader/membership.hpp"

namespace ringleader::algo {

class Rendezvous {
 public:
  explicit Rendezvous(const Membership& nodes);

  BucketId lookup(std::uint64_t key_hash) const noexcept;
  /// The out.size() best-scoring nodes, best first. Throws if out.size() > number of nodes.
  void lookup_n(std::uint64_t key_hash, std::span<BucketId> out) const;

  const Membership& membership() const noexcept { return nodes_; }
  std::size_t memory_bytes() const noexcept {
    return seeds_.capacity() * sizeof(std::uint64_t) + weights_.capacity() * sizeof(double);
  }

 private:
  double score(std::uint64_t key_hash, BucketId node) const noexcept;
  bool better(std::uint64_t key_hash, BucketId a, BucketId b) const noexcept;

  Membership nodes_;
  std::vector<std::uint64_t> seeds_;  // xxh3(name) per node
  std::vector<double> weights_;
  bool equal_weights_ = true;
};

}  // namespace ringleader::algo
