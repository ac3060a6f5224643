// Internal: weights for the algorithms that only know equal buckets (Modulo, Jump, Anchor, Memento).
//
// A node of weight w owns exactly w consecutive slots (buckets of the underlying algorithm), node 0
// first. Nothing is rounded or rescaled, so a node's expected share is exactly w / total_weight and
// the measured share differs from it only by the underlying algorithm's own balance noise. The
// price is a table of one BucketId per slot, so the total weight is capped at kMaxSlots.
//
// Rescaling (e.g. dividing by the gcd) was rejected on purpose: when a node joins, a different
// scale renumbers every slot and moves keys that consistent hashing promised would stay.
#pragma once

#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "ringleader/membership.hpp"

namespace ringleader::algo::detail {

/// Upper bound on the total weight (slots) of the slot-based algorithms: 4 Mi slots, 16 MiB of table.
inline constexpr std::uint64_t kMaxSlots = std::uint64_t{1} << 22;

/// Throws std::invalid_argument unless `slots` fits under kMaxSlots.
inline void check_slot_count(std::string_view algorithm, std::uint64_t slots) {
  if (slots > kMaxSlots)
    throw std::invalid_argument(std::string(algorithm) + ": total weight " + std::to_string(slots) +
                                " exceeds " + std::to_string(kMaxSlots) +
                                " (each unit of weight is one slot); scale the weights down");
}

/// slot -> node for the layout above: node i owns [sum of earlier weights, + weight_i).
inline std::vector<BucketId> slot_owners(const Membership& nodes, std::string_view algorithm) {
  check_slot_count(algorithm, nodes.total_weight());
  std::vector<BucketId> owners;
  owners.reserve(nodes.total_weight());
  for (BucketId id = 0; id < nodes.size(); ++id) owners.insert(owners.end(), nodes[id].weight, id);
  return owners;
}

/// Per node, its working slots from highest to lowest (`working(slot)` says which slots count).
template <class IsWorking>
std::vector<std::vector<std::uint32_t>> slots_by_node(std::span<const BucketId> owner_of_slot, std::size_t nodes,
                                                      IsWorking working) {
  std::vector<std::vector<std::uint32_t>> slots(nodes);
  for (auto b = static_cast<std::uint32_t>(owner_of_slot.size()); b-- > 0;)
    if (working(b)) slots[owner_of_slot[b]].push_back(b);
  return slots;
}

/// What an in-place removal of several nodes needs: which old ids leave, in order, the id each staying node
/// gets (ids shift down as in Membership::without), and the smaller membership.
struct Removal {
  std::vector<BucketId> order;   // old ids of the leaving nodes, in the order named
  std::vector<BucketId> new_id;  // per old id (meaningless for leaving ones)
  Membership rest;
};

/// Validates the names (each present once, not all of them) and plans their removal in O(n + names).
inline Removal plan_removal(const Membership& nodes, std::span<const std::string> names, std::string_view algorithm) {
  std::unordered_map<std::string_view, BucketId> ids;
  ids.reserve(nodes.size());
  for (BucketId id = 0; id < nodes.size(); ++id) ids.emplace(nodes[id].name, id);
  std::vector<bool> leaving(nodes.size(), false);
  std::vector<BucketId> order;
  order.reserve(names.size());
  for (const std::string& name : names) {
    const auto it = ids.find(name);
    if (it == ids.end())
      throw std::invalid_argument(std::string(algorithm) + ": no node named '" + name + "'");
    if (leaving[it->second])
      throw std::invalid_argument(std::string(algorithm) + ": node '" + name + "' is listed twice");
    leaving[it->second] = true;
    order.push_back(it->second);
  }
  if (names.size() >= nodes.size())
    throw std::invalid_argument(std::string(algorithm) + ": cannot remove every node");
  std::vector<BucketId> new_id(nodes.size(), 0);
  std::vector<Node> rest;
  rest.reserve(nodes.size() - names.size());
  for (BucketId id = 0; id < nodes.size(); ++id) {
    if (leaving[id]) continue;
    new_id[id] = static_cast<BucketId>(rest.size());
    rest.push_back(nodes[id]);
  }
  return {std::move(order), std::move(new_id), Membership(std::move(rest))};
}

}  // namespace ringleader::algo::detail
