// Anchor: AnchorHash's INITANCHOR, ADDBUCKET and REMOVEBUCKET (Mendelson et al. 2020, Algorithm 3)
// over weight-expanded slots (see algo/anchor.hpp).
#include "ringleader/algo/anchor.hpp"

#include <numeric>
#include <stdexcept>
#include <string>

#include "ringleader/algo/detail/slots.hpp"

namespace ringleader::algo {

Anchor::Anchor(const Membership& nodes, AnchorOptions options) : nodes_(nodes) {
  const std::vector<BucketId> owners = detail::slot_owners(nodes, "anchor");
  const std::uint64_t working = owners.size();
  std::uint64_t capacity = options.capacity;
  if (capacity == 0) {
    capacity = std::min<std::uint64_t>(2 * working, detail::kMaxSlots);
  } else if (capacity < working || capacity > detail::kMaxSlots) {
    throw std::invalid_argument("anchor: capacity " + std::to_string(capacity) + " must be between the total weight " +
                                std::to_string(working) + " and " + std::to_string(detail::kMaxSlots));
  }
  capacity_ = static_cast<std::uint32_t>(capacity);
  working_ = static_cast<std::uint32_t>(working);

  // INITANCHOR(a, w): every slot b >= w starts removed, in the order a-1 down to w, so A[b] = b.
  slots_.resize(capacity_);
  for (std::uint32_t b = 0; b < capacity_; ++b) slots_[b] = {b < working_ ? 0 : b, b < working_ ? owners[b] : 0};
  next_.resize(capacity_);
  std::iota(next_.begin(), next_.end(), 0u);
  working_set_ = next_;
  location_ = next_;
  removed_.reserve(capacity_ - working_);
  for (std::uint32_t b = capacity_; b-- > working_;) removed_.push_back(b);
}

// REMOVEBUCKET(b): the last working slot W[N] takes b's place in W and becomes its replacement K[b].
void Anchor::remove_slot(std::uint32_t b) {
  removed_.push_back(b);
  --working_;
  slots_[b].removed_at = working_;
  const std::uint32_t last = working_set_[working_];
  working_set_[location_[b]] = last;
  next_[b] = last;
  location_[last] = location_[b];
}

// ADDBUCKET(): undoes the most recent removal.
std::uint32_t Anchor::add_slot() {
  const std::uint32_t b = removed_.back();
  removed_.pop_back();
  slots_[b].removed_at = 0;
  location_[working_set_[working_]] = working_;
  working_set_[location_[b]] = b;
  next_[b] = b;
  ++working_;
  return b;
}

Anchor Anchor::without(std::string_view name) const {
  const std::string one[] = {std::string(name)};
  return without(one);
}

Anchor Anchor::without(std::span<const std::string> names) const {
  detail::Removal plan = detail::plan_removal(nodes_, names, "anchor");
  Anchor result = *this;
  result.nodes_ = std::move(plan.rest);
  // Node by node in the order named, each node's slots highest first (so a node re-added later
  // gets its slots back lowest first): the same as removing the nodes one call at a time.
  std::vector<BucketId> owners(capacity_);
  for (std::uint32_t b = 0; b < capacity_; ++b) owners[b] = slots_[b].owner;
  const auto by_node = detail::slots_by_node(owners, nodes_.size(), [&](std::uint32_t b) { return slots_[b].removed_at == 0; });
  for (BucketId id : plan.order)
    for (std::uint32_t b : by_node[id]) result.remove_slot(b);
  for (Slot& s : result.slots_)
    if (s.removed_at == 0) s.owner = plan.new_id[s.owner];
  return result;
}

Anchor Anchor::with(const Node& node) const {
  if (node.weight > free_slots())
    throw std::length_error("anchor: node '" + node.name + "' needs " + std::to_string(node.weight) +
                            " slots but only " + std::to_string(free_slots()) + " of the capacity " +
                            std::to_string(capacity_) + " are free");
  Anchor result = *this;
  result.nodes_ = nodes_.with(node);  // validates the name and weight
  const auto id = static_cast<BucketId>(result.nodes_.size() - 1);
  for (std::uint32_t i = 0; i < node.weight; ++i) result.slots_[result.add_slot()].owner = id;
  return result;
}

}  // namespace ringleader::algo
