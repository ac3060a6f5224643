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
#include <stdexcept>
#include <string>
#include <string_view>
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

}  // namespace ringleader::algo::detail
