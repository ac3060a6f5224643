// Memento: MementoHash's removal and restore (Coluzzi et al. 2024) over weight-expanded
// slots (see algo/memento.hpp).
#include "ringleader/algo/memento.hpp"

#include <stdexcept>
#include <string>

#include "ringleader/algo/detail/slots.hpp"

namespace ringleader::algo {

Memento::Memento(const Membership& nodes) : nodes_(nodes), owners_(detail::slot_owners(nodes, "memento")) {
  barray_size_ = static_cast<std::uint32_t>(owners_.size());
  last_removed_ = barray_size_;
  replacer_.assign(barray_size_, kWorking);
  previous_removed_.assign(barray_size_, kWorking);
}

void Memento::remove_slot(std::uint32_t b) {
  // Nothing remembered and the last slot leaves: jump's own LIFO shrink, nothing to remember.
  if (removed_count_ == 0 && b + 1 == barray_size_) {
    barray_size_ = b;
    last_removed_ = b;
    replacer_.pop_back();
    previous_removed_.pop_back();
    owners_.pop_back();
    return;
  }
  const std::uint32_t working_after = barray_size_ - removed_count_ - 1;
  replacer_[b] = static_cast<std::int32_t>(working_after);
  previous_removed_[b] = static_cast<std::int32_t>(last_removed_);
  last_removed_ = b;
  ++removed_count_;
}

std::uint32_t Memento::add_slot() {
  const std::uint32_t b = last_removed_;
  if (removed_count_ == 0) {  // nothing to restore: grow the b-array as jump does
    detail::check_slot_count("memento", std::uint64_t{barray_size_} + 1);
    barray_size_ = b + 1;
    last_removed_ = b + 1;
    replacer_.push_back(kWorking);
    previous_removed_.push_back(kWorking);
    owners_.push_back(0);
    return b;
  }
  last_removed_ = static_cast<std::uint32_t>(previous_removed_[b]);
  replacer_[b] = kWorking;
  previous_removed_[b] = kWorking;
  --removed_count_;
  return b;
}

Memento Memento::without(std::string_view name) const {
  const std::string one[] = {std::string(name)};
  return without(one);
}

Memento Memento::without(std::span<const std::string> names) const {
  detail::Removal plan = detail::plan_removal(nodes_, names, "memento");
  Memento result = *this;
  result.nodes_ = std::move(plan.rest);
  // Node by node in the order named, each node's slots highest first (removing the tail node then
  // shrinks the b-array instead of remembering): the same as removing them one call at a time.
  const auto by_node = detail::slots_by_node(owners_, nodes_.size(), [&](std::uint32_t b) { return replacer_[b] == kWorking; });
  for (BucketId id : plan.order)
    for (std::uint32_t b : by_node[id]) result.remove_slot(b);
  for (std::uint32_t b = 0; b < result.barray_size_; ++b)
    if (result.replacer_[b] == kWorking) result.owners_[b] = plan.new_id[result.owners_[b]];
  return result;
}

Memento Memento::with(const Node& node) const {
  Memento result = *this;
  result.nodes_ = nodes_.with(node);  // validates the name and weight
  const auto id = static_cast<BucketId>(result.nodes_.size() - 1);
  for (std::uint32_t i = 0; i < node.weight; ++i) {
    const std::uint32_t b = result.add_slot();
    result.owners_[b] = id;
  }
  return result;
}

}  // namespace ringleader::algo
