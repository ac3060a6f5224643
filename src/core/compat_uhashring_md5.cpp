// uhashring's default md5 ring (facts and guarantees: compat/uhashring_md5.hpp).
#include "ringleader/compat/uhashring_md5.hpp"

#include <algorithm>
#include <stdexcept>
#include <unordered_set>
#include <utility>

#include "ringleader/hash/twemproxy.hpp"

namespace ringleader::compat {

Uint128 UhashringMd5::hash(std::string_view key) noexcept {
  unsigned char digest[16];
  hash::twemproxy::md5_digest(key, digest);
  Uint128 value = 0;
  for (unsigned char byte : digest) value = value << 8 | byte;
  return value;
}

UhashringMd5::UhashringMd5(std::vector<UhashringMd5Node> nodes) : nodes_(std::move(nodes)) {
  if (nodes_.empty()) throw std::invalid_argument("uhashring md5: no nodes");
  std::unordered_set<std::string_view> seen;
  std::vector<std::pair<Uint128, std::uint32_t>> generated;
  for (std::uint32_t index = 0; index < nodes_.size(); ++index) {
    const UhashringMd5Node& node = nodes_[index];
    if (node.name.empty()) throw std::invalid_argument("uhashring md5: a node has an empty name");
    if (!seen.insert(node.name).second) throw std::invalid_argument("uhashring md5: duplicate node '" + node.name + "'");
    const std::uint64_t count = std::uint64_t{node.vnodes} * node.weight;
    if (count > std::uint64_t{1} << 24)
      throw std::invalid_argument("uhashring md5: node '" + node.name + "' would get more than 2^24 points (vnodes x weight)");
    for (std::uint64_t i = 0; i < count; ++i) generated.emplace_back(hash(node.name + "-" + std::to_string(i)), index);
  }
  if (generated.empty()) throw std::invalid_argument("uhashring md5: no node gets any point (vnodes x weight is 0 for all)");
  // Stable sort, then the last of each run of equal points owns it (the dict's last write).
  std::stable_sort(generated.begin(), generated.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (const auto& [point, owner] : generated) {
    if (!points_.empty() && points_.back() == point) {
      owners_.back() = owner;
    } else {
      points_.push_back(point);
      owners_.push_back(owner);
    }
  }
}

std::size_t UhashringMd5::point_for(Uint128 key_hash) const noexcept {
  const auto it = std::upper_bound(points_.begin(), points_.end(), key_hash);
  return it == points_.end() ? 0 : static_cast<std::size_t>(it - points_.begin());
}

}  // namespace ringleader::compat
