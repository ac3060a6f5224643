// uhashring's rings as placements; facts and sources in uhashring_placement.hpp.
#include "uhashring_placement.hpp"

#include <algorithm>
#include <limits>

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

void UhashringMd5Placement::locate_n(std::string_view key, std::span<BucketId> out) const {
  const auto owners = ring_.owners();
  distinct_owners([&](std::size_t i) { return owners[i]; }, owners.size(), ring_.point_for(compat::UhashringMd5::hash(key)),
                  size(), out);
}

}  // namespace ringleader::python
