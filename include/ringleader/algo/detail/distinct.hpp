// Internal: lookup_n for algorithms without a native replica order (Modulo, Jump, Anchor, Memento,
// Maglev, MultiProbe): the key is looked up again under salted hashes until enough distinct nodes
// are found, as Envoy's hashing load balancers retry with a new hash.
//
// Guarantees: out[0] == lookup(key_hash); all entries distinct; deterministic. Each further replica
// is drawn from the algorithm's own distribution (so weights carry over) among the nodes not yet
// chosen. To bound the work when the remaining nodes are rare (tiny weights, out.size() close to n),
// after kRetriesPerReplica misses per replica the rest is filled with the next unused ids after the
// last one found, cyclically.
#pragma once

#include <algorithm>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "ringleader/algo/detail/mix.hpp"
#include "ringleader/membership.hpp"

namespace ringleader::algo::detail {

inline void check_replica_count(std::size_t wanted, std::size_t nodes) {
  if (wanted > nodes)
    throw std::invalid_argument("lookup_n: asked for " + std::to_string(wanted) +
                                " distinct nodes but there are only " + std::to_string(nodes));
}

inline constexpr std::uint64_t kRetriesPerReplica = 64;

/// The replicas chosen so far: a scan of `out` for a few, a bitmap beyond that.
class Picked {
 public:
  Picked(std::span<BucketId> out, std::size_t nodes) : out_(out) {
    if (out.size() > 16) bitmap_.assign(nodes, false);
  }
  bool contains(BucketId b) const {
    if (!bitmap_.empty()) return bitmap_[b];
    return std::find(out_.begin(), out_.begin() + static_cast<std::ptrdiff_t>(count_), b) !=
           out_.begin() + static_cast<std::ptrdiff_t>(count_);
  }
  /// Appends b unless already there.
  void add(BucketId b) {
    if (contains(b)) return;
    out_[count_++] = b;
    if (!bitmap_.empty()) bitmap_[b] = true;
  }
  bool full() const noexcept { return count_ == out_.size(); }
  BucketId last() const noexcept { return out_[count_ - 1]; }

 private:
  std::span<BucketId> out_;
  std::size_t count_ = 0;
  std::vector<bool> bitmap_;
};

template <class Table>
void distinct_by_rehash(const Table& table, std::uint64_t key_hash, std::span<BucketId> out) {
  const std::size_t n = table.membership().size();
  check_replica_count(out.size(), n);
  if (out.empty()) return;
  Picked picked(out, n);
  picked.add(table.lookup(key_hash));
  const std::uint64_t budget = kRetriesPerReplica * out.size();
  for (std::uint64_t attempt = 0; !picked.full() && attempt < budget; ++attempt)
    picked.add(table.lookup(mix(key_hash, attempt)));
  for (BucketId next = picked.last(); !picked.full();) {
    next = static_cast<BucketId>((next + 1) % n);
    picked.add(next);
  }
}

}  // namespace ringleader::algo::detail
