// Memento: MementoHash (Coluzzi, Brocco, Antonucci, Leidi, "MementoHash: A Stateful, Minimal Memory,
// Best Performing Consistent Hash Algorithm", IEEE/ACM ToN 2024, arXiv:2306.09783; the paper's
// pseudo-code, checked against the authors' Java reference), over weight-expanded slots.
//
// Jump hash over a "b-array" of slots, plus a memory of removed slots: when a key's slot was
// removed it rehashes into the working set as it was then, following the chain of replacements.
// Removing the last slot while nothing else is removed just shrinks the b-array (jump's LIFO case).
//
// Guarantees:
// - balance: as Jump's, exact in expectation over working slots whatever was removed.
// - minimal disruption under arbitrary removal, in place: without(name) moves exactly that node's
//   keys; with(node) restores the most recently removed slots first, else grows the b-array as jump
//   does, and moves only keys that now go to the new node. No capacity limit (unlike Anchor).
// - lookup: jump's O(ln slots) plus, per removed slot on the key's path, one rehash.
// - memory: the paper stores removed slots in a hash table (O(removed)); here they are a flat array
//   of replacements over the b-array (4 bytes per slot), which is faster to read and small next to
//   the slot -> node map every slot-based algorithm keeps anyway.
//
//   ringleader::algo::Memento m(ringleader::Membership::uniform(10));
//   ringleader::algo::Memento n = m.without("node-3");   // only node-3's keys move
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ringleader/algo/detail/distinct.hpp"
#include "ringleader/algo/detail/mix.hpp"
#include "ringleader/membership.hpp"

namespace ringleader::algo {

class Memento {
 public:
  explicit Memento(const Membership& nodes);

  BucketId lookup(std::uint64_t key_hash) const noexcept {
    std::uint32_t b = detail::jump(key_hash, barray_size_);
    if (removed_count_ == 0) return owners_[b];
    std::int32_t r = replacer_[b];
    while (r >= 0) {  // b was removed; r is the working-set size right after its removal
      b = detail::reduce(detail::mix(key_hash, b), static_cast<std::uint32_t>(r));
      std::int32_t rr = replacer_[b];
      while (rr >= r) {  // b left later than the working set we rehashed into: follow its replacer
        b = static_cast<std::uint32_t>(rr);
        rr = replacer_[b];
      }
      r = rr;
    }
    return owners_[b];
  }
  /// Distinct nodes by salted re-lookup (detail/distinct.hpp).
  void lookup_n(std::uint64_t key_hash, std::span<BucketId> out) const {
    detail::distinct_by_rehash(*this, key_hash, out);
  }

  /// A copy without the named node, its slots removed in place (only its keys move). BucketIds
  /// in the result refer to membership().without(name). Throws if absent or the last node.
  Memento without(std::string_view name) const;
  /// The same for several nodes at once (one copy of the table, O(slots + names)).
  Memento without(std::span<const std::string> names) const;
  /// A copy with the node added on the most recently removed slots, or new slots at the end.
  Memento with(const Node& node) const;

  const Membership& membership() const noexcept { return nodes_; }
  std::size_t memory_bytes() const noexcept {
    return (replacer_.capacity() + previous_removed_.capacity()) * sizeof(std::int32_t) +
           owners_.capacity() * sizeof(BucketId);
  }

 private:
  static constexpr std::int32_t kWorking = -1;

  void remove_slot(std::uint32_t b);
  std::uint32_t add_slot();

  Membership nodes_;
  std::uint32_t barray_size_ = 0;
  std::uint32_t removed_count_ = 0;
  std::uint32_t last_removed_ = 0;
  std::vector<std::int32_t> replacer_;          // per slot: kWorking, or the size after removal
  std::vector<std::int32_t> previous_removed_;  // per removed slot: the one removed before it
  std::vector<BucketId> owners_;                // slot -> node
};

}  // namespace ringleader::algo
