// Anchor: AnchorHash (Mendelson, Vargaftik, Barabash, Lorenz, Keslassy, Orda, "AnchorHash: A
// Scalable Consistent Hash", IEEE/ACM ToN 2020, arXiv:1812.09674; Algorithm 3, the minimal-memory
// implementation with arrays A, K, W, L and the removal stack R), over weight-expanded slots.
//
// The anchor holds `capacity` slots; the working ones belong to nodes (a node of weight w owns w
// slots, see detail/slots.hpp), the others wait on R. A key first hashes into the whole anchor; while
// its slot is removed, it rehashes into the working set as it was when that slot left (A[b]).
//
// Guarantees:
// - balance: exact in expectation over working slots (the paper proves it), whatever was removed, so node i's
//   share is weight_i / W; measured peak-to-mean is sampling noise only.
// - minimal disruption under arbitrary removal, in place: without(name) moves exactly that node's
//   keys. with(node) reuses the most recently removed slots (R is LIFO) and moves only
//   keys that now go to the new node; re-adding the node removed last gives it back its own keys.
// - capacity: with() needs `weight` free slots. The default capacity is twice the initial total
//   weight (room to double in place); when it is exhausted ringleader::make_distribution rebuilds
//   with a larger capacity, which moves keys.
// - lookup: about 1 + ln(capacity / working) rounds on average (the paper's bound); with capacity == working and
//   nothing removed it is one multiply-shift and one load. Removal and addition are O(1) per slot
//   plus an O(capacity) copy, since objects are immutable.
//
//   ringleader::algo::Anchor a(ringleader::Membership::uniform(10));
//   ringleader::algo::Anchor b = a.without("node-3");   // only node-3's keys move
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

struct AnchorOptions {
  std::uint32_t capacity = 0;  // slots in the anchor; 0 means twice the total weight
};

class Anchor {
 public:
  /// Throws std::invalid_argument if capacity is non-zero and below the total weight, or above
  /// detail::kMaxSlots.
  explicit Anchor(const Membership& nodes, AnchorOptions options = {});

  BucketId lookup(std::uint64_t key_hash) const noexcept {
    std::uint32_t b = detail::reduce(key_hash, capacity_);
    while (slots_[b].removed_at > 0) {
      const std::uint32_t size_then = slots_[b].removed_at;
      std::uint32_t h = detail::reduce(detail::mix(key_hash, b), size_then);
      while (slots_[h].removed_at >= size_then) h = next_[h];
      b = h;
    }
    return slots_[b].owner;
  }
  /// Distinct nodes by salted re-lookup (detail/distinct.hpp).
  void lookup_n(std::uint64_t key_hash, std::span<BucketId> out) const {
    detail::distinct_by_rehash(*this, key_hash, out);
  }

  /// A copy without the named node, its slots removed in place (only its keys move). BucketIds
  /// in the result refer to membership().without(name). Throws if absent or the last node.
  Anchor without(std::string_view name) const;
  /// The same for several nodes at once (one copy of the table, O(slots + names)).
  Anchor without(std::span<const std::string> names) const;
  /// A copy with the node added on the most recently removed slots. Throws std::length_error if
  /// fewer than node.weight slots are free (free_slots()).
  Anchor with(const Node& node) const;

  const Membership& membership() const noexcept { return nodes_; }
  std::uint32_t capacity() const noexcept { return capacity_; }
  std::uint32_t free_slots() const noexcept { return capacity_ - working_; }
  std::size_t memory_bytes() const noexcept {
    return slots_.capacity() * sizeof(Slot) +
           (next_.capacity() + working_set_.capacity() + location_.capacity() + removed_.capacity()) *
               sizeof(std::uint32_t);
  }

 private:
  // A[b] and the owner side by side: a lookup without removals touches one cache line.
  struct Slot {
    std::uint32_t removed_at;  // A[b]: 0 while working, else the working-set size after removal
    BucketId owner;            // node owning the slot (meaningless while removed)
  };

  void remove_slot(std::uint32_t b);
  std::uint32_t add_slot();

  Membership nodes_;
  std::uint32_t capacity_ = 0;
  std::uint32_t working_ = 0;               // N
  std::vector<Slot> slots_;                 // A + owner
  std::vector<std::uint32_t> next_;         // K: the slot that replaced b
  std::vector<std::uint32_t> working_set_;  // W
  std::vector<std::uint32_t> location_;     // L: b's last position in W
  std::vector<std::uint32_t> removed_;      // R, top at the back
};

}  // namespace ringleader::algo
