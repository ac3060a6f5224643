// distinct_owners: range() on a sorted ring of points, as uhashring's range() walks it.
#pragma once

#include <cstddef>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "ringleader/membership.hpp"

namespace ringleader::python {

/// Fills out with distinct owners met walking the ring once from point `start` (owner_at(i) is the
/// owner of point i of point_count), wrapping at the end. Throws std::invalid_argument when the ring
/// holds fewer distinct owners than out.size() (a node whose weight gave it no point is never met).
template <class OwnerAt>
void distinct_owners(OwnerAt owner_at, std::size_t point_count, std::size_t start, std::size_t node_count,
                     std::span<BucketId> out) {
  std::vector<bool> listed(node_count, false);
  std::size_t filled = 0;
  for (std::size_t step = 0; step < point_count && filled < out.size(); ++step) {
    const BucketId owner = owner_at((start + step) % point_count);
    if (!listed[owner]) {
      listed[owner] = true;
      out[filled++] = owner;
    }
  }
  if (filled < out.size())
    throw std::invalid_argument("asked for " + std::to_string(out.size()) + " distinct nodes, only " +
                                std::to_string(filled) + " have points on the ring");
}

}  // namespace ringleader::python
