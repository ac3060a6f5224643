// uhashring's rings as placements; facts and sources in uhashring_placement.hpp.
#include "uhashring_placement.hpp"

#include <algorithm>
#include <limits>
#include <stdexcept>
#include <unordered_set>

#include "ring_walk.hpp"
#include "ringleader/hash/twemproxy.hpp"

namespace ringleader::python {

void UhashringKetamaPlacement::locate_n(std::string_view key, std::span<BucketId> out) const {
  const auto points = ring_.points();
  const std::uint32_t h = compat::UhashringKetama::hash(key);
  const auto it = std::upper_bound(points.begin(), points.end(), h,
                                   [](std::uint32_t value, const compat::ContinuumPoint& p) { return value < p.value; });
  const std::size_t start = it == points.end() ? 0 : static_cast<std::size_t>(it - points.begin());
  distinct_owners([&](std::size_t i) { return points[i].server; }, points.size(), start, size(), out);
}

void UhashringKetamaPlacement::locate_many(std::span<const std::string_view> keys,
                                           std::span<BucketId> out) const noexcept {
  // The key hashes in chunks (md5_many runs eight keys per SIMD pass), then the ring lookups.
  constexpr std::size_t kChunk = 256;
  std::uint32_t hashes[kChunk];
  for (std::size_t start = 0; start < keys.size(); start += kChunk) {
    const std::size_t n = std::min(kChunk, keys.size() - start);
    hash::twemproxy::md5_many(keys.subspan(start, n), std::span(hashes, n));
    for (std::size_t i = 0; i < n; ++i) out[start + i] = ring_.lookup_hash(hashes[i]);
  }
}

BucketId UhashringKetamaPlacement::locate_hash(std::uint64_t h) const noexcept {
  // A hash above every 32-bit point wraps to the first point, as bisect_right would.
  if (h > std::numeric_limits<std::uint32_t>::max()) return ring_.points().front().server;
  return ring_.lookup_hash(static_cast<std::uint32_t>(h));
}

Uint128 UhashringMd5Placement::key_hash(std::string_view key) noexcept {
  unsigned char digest[16];
  hash::twemproxy::md5_digest(key, digest);
  Uint128 value = 0;
  for (unsigned char byte : digest) value = value << 8 | byte;
  return value;
}

UhashringMd5Placement::UhashringMd5Placement(std::vector<UhashringMd5Node> nodes) : nodes_(std::move(nodes)) {
  if (nodes_.empty()) throw std::invalid_argument("a hash ring needs at least one node");
  std::unordered_set<std::string_view> seen;
  std::vector<std::pair<Uint128, BucketId>> generated;
  for (BucketId b = 0; b < nodes_.size(); ++b) {
    const UhashringMd5Node& node = nodes_[b];
    if (node.name.empty()) throw std::invalid_argument("a node has an empty name");
    if (!seen.insert(node.name).second) throw std::invalid_argument("duplicate node '" + node.name + "'");
    const std::uint64_t count = std::uint64_t{node.vnodes} * node.weight;
    if (count > std::uint64_t{1} << 24)
      throw std::invalid_argument("node '" + node.name + "' would get more than 2^24 points (vnodes x weight)");
    for (std::uint64_t i = 0; i < count; ++i) generated.emplace_back(key_hash(node.name + "-" + std::to_string(i)), b);
  }
  if (generated.empty()) throw std::invalid_argument("no node gets any point (vnodes x weight is 0 for all)");
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

std::size_t UhashringMd5Placement::position(Uint128 key_hash) const noexcept {
  const auto it = std::upper_bound(points_.begin(), points_.end(), key_hash);
  return it == points_.end() ? 0 : static_cast<std::size_t>(it - points_.begin());
}

void UhashringMd5Placement::locate_n(std::string_view key, std::span<BucketId> out) const {
  distinct_owners([&](std::size_t i) { return owners_[i]; }, points_.size(), position(key_hash(key)), size(), out);
}

std::vector<std::pair<Uint128, BucketId>> UhashringMd5Placement::points() const {
  std::vector<std::pair<Uint128, BucketId>> result;
  result.reserve(points_.size());
  for (std::size_t i = 0; i < points_.size(); ++i) result.emplace_back(points_[i], owners_[i]);
  return result;
}

}  // namespace ringleader::python
