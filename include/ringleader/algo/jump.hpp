// Jump: jump consistent hash (Lamping & Veach, "A Fast, Minimal Memory, Consistent Hash Algorithm",
// 2014, arXiv:1406.2294; the C++ listing of the paper), over weight-expanded slots.
//
// Guarantees:
// - balance: every slot receives a key with probability exactly 1/slots (the paper's analysis), so node i's share
//   is weight_i / total_weight in expectation; measured peak-to-mean is sampling noise only.
// - minimal disruption for LIFO changes only: appending a node (with()) moves only keys that now
//   land on it; removing the LAST node (without_last()) moves only its keys. Removing any other
//   node renumbers the slots after it and moves many keys: use Anchor or Memento for that.
// - placement follows the position in the membership list (jump's buckets are numbered), unlike
//   the name-placed Ring, Maglev, Rendezvous and MultiProbe; the same holds for Modulo, and for
//   Anchor and Memento's initial layout.
// - lookup: O(ln slots) steps of an LCG and a division, no table but the slot -> node map.
//
//   ringleader::algo::Jump j(ringleader::Membership::uniform(1000));
//   ringleader::BucketId b = j.lookup(ringleader::hash::xxh3("user:42"));
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "ringleader/algo/detail/distinct.hpp"
#include "ringleader/algo/detail/mix.hpp"
#include "ringleader/algo/detail/slots.hpp"
#include "ringleader/membership.hpp"

namespace ringleader::algo {

class Jump {
 public:
  explicit Jump(const Membership& nodes) : nodes_(nodes), owners_(detail::slot_owners(nodes, "jump")) {}

  BucketId lookup(std::uint64_t key_hash) const noexcept {
    return owners_[detail::jump(key_hash, static_cast<std::uint32_t>(owners_.size()))];
  }
  /// Distinct nodes by salted re-lookup (detail/distinct.hpp).
  void lookup_n(std::uint64_t key_hash, std::span<BucketId> out) const {
    detail::distinct_by_rehash(*this, key_hash, out);
  }

  /// The LIFO changes jump supports with minimal disruption: a copy with one more node appended
  /// (only keys that go to it move), and a copy without the last node (only its keys move).
  Jump with(const Node& node) const { return Jump(nodes_.with(node)); }
  /// Throws std::invalid_argument if the last node is the only one.
  Jump without_last() const { return Jump(nodes_.without(nodes_[static_cast<BucketId>(nodes_.size() - 1)].name)); }

  const Membership& membership() const noexcept { return nodes_; }
  std::size_t memory_bytes() const noexcept { return owners_.capacity() * sizeof(BucketId); }

 private:
  Membership nodes_;
  std::vector<BucketId> owners_;  // slot -> node
};

}  // namespace ringleader::algo
