// uhashring's ketama ring (facts and guarantees: compat/uhashring.hpp).
#include "ringleader/compat/uhashring.hpp"

#include <algorithm>
#include <stdexcept>
#include <unordered_set>

#include "ringleader/hash/twemproxy.hpp"

namespace ringleader::compat {

std::uint32_t UhashringKetama::hash(std::string_view key) noexcept { return hash::twemproxy::md5(key); }

UhashringKetama::UhashringKetama(std::vector<UhashringNode> nodes, std::uint32_t replicas) : nodes_(std::move(nodes)) {
  if (nodes_.empty()) throw std::invalid_argument("uhashring ketama: no nodes");
  if (replicas < 1 || replicas > 4)
    throw std::invalid_argument("uhashring ketama: replicas must be 1..4 (one MD5 digest has 4 words)");
  std::unordered_set<std::string_view> seen;
  std::uint64_t weight_sum = 0;
  for (const UhashringNode& n : nodes_) {
    if (n.name.empty()) throw std::invalid_argument("uhashring ketama: a node has an empty name");
    if (!seen.insert(n.name).second) throw std::invalid_argument("uhashring ketama: duplicate node '" + n.name + "'");
    weight_sum += n.weight;
  }
  if (weight_sum == 0) throw std::invalid_argument("uhashring ketama: every weight is 0");

  const auto node_count = static_cast<std::uint64_t>(nodes_.size());
  for (std::uint32_t index = 0; index < nodes_.size(); ++index) {
    const UhashringNode& n = nodes_[index];
    // Python computes vnodes * len(nodes) * weight // weight_sum with unbounded integers.
    std::uint64_t product = 0;
    if (__builtin_mul_overflow(static_cast<std::uint64_t>(n.vnodes) * n.weight, node_count, &product))
      throw std::invalid_argument("uhashring ketama: vnodes x weight x nodes of '" + n.name + "' is too large");
    const std::uint64_t groups = product / weight_sum;
    if (groups > std::uint64_t{1} << 24)
      throw std::invalid_argument("uhashring ketama: node '" + n.name + "' would get more than 2^24 point groups");
    for (std::uint64_t w = 0; w < groups; ++w) {
      std::uint32_t values[4];
      KetamaContinuum::point_values(n.name, static_cast<std::uint32_t>(w), values);
      for (std::uint32_t r = 0; r < replicas; ++r) points_.push_back({values[r], index});
    }
  }
  if (points_.empty()) throw std::invalid_argument("uhashring ketama: no node gets any point");

  // Sort by value keeping build order among equal values, then keep the last of each run: uhashring's
  // dict {value: node} holds the last node written for a value.
  std::stable_sort(points_.begin(), points_.end(),
                   [](const ContinuumPoint& a, const ContinuumPoint& b) { return a.value < b.value; });
  std::vector<ContinuumPoint> distinct;
  distinct.reserve(points_.size());
  for (const ContinuumPoint& p : points_) {
    if (!distinct.empty() && distinct.back().value == p.value)
      distinct.back() = p;
    else
      distinct.push_back(p);
  }
  points_ = std::move(distinct);
  index_ = ContinuumIndex(std::span<const ContinuumPoint>(points_));
}

std::uint32_t UhashringKetama::lookup_hash(std::uint32_t key_hash) const noexcept {
  // bisect_right: the first point > the hash, wrapping around.
  auto it = std::upper_bound(points_.begin() + index_.first(key_hash), points_.begin() + index_.last(key_hash), key_hash,
                             [](std::uint32_t h, const ContinuumPoint& p) { return h < p.value; });
  if (it == points_.end()) it = points_.begin();
  return it->server;
}

}  // namespace ringleader::compat
