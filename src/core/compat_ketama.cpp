// twemproxy's and libmemcached's ketama continuum (facts and guarantees: compat/ketama.hpp).
#include "ringleader/compat/ketama.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "ringleader/hash/twemproxy.hpp"

namespace ringleader::compat {
namespace {

constexpr std::uint32_t kPointsPerServer = 160;  // KETAMA_POINTS_PER_SERVER
constexpr std::uint32_t kPointsPerHash = 4;      // one MD5 digest gives four 32-bit points
// twemproxy formats "<name>-<i>" into char host[86] with snprintf but hashes the untruncated length,
// so a longer string would make it hash bytes past the terminator.
constexpr std::size_t kMaxPointString = 85;

}  // namespace

std::uint32_t KetamaContinuum::points_for(std::uint32_t weight, std::uint64_t total_weight,
                                          std::uint32_t live_servers) noexcept {
  // Same types as nc_ketama.c: float pct, float arithmetic, the 1e-10 added in double, then floorf.
  const float pct = static_cast<float>(weight) / static_cast<float>(total_weight);
  const float share = pct * static_cast<float>(kPointsPerServer) / 4.0f * static_cast<float>(live_servers);
  const float groups = std::floor(static_cast<float>(static_cast<double>(share) + 0.0000000001));
  return static_cast<std::uint32_t>(groups * 4.0f);
}

void KetamaContinuum::point_values(std::string_view point_name, std::uint32_t group, std::uint32_t (&out)[4]) {
  const std::string text = std::string(point_name) + "-" + std::to_string(group);
  unsigned char digest[16];
  hash::twemproxy::md5_digest(text, digest);
  for (std::uint32_t x = 0; x < kPointsPerHash; ++x) {
    const unsigned char* d = digest + 4 * x;
    out[x] = static_cast<std::uint32_t>(d[3]) << 24 | static_cast<std::uint32_t>(d[2]) << 16 |
             static_cast<std::uint32_t>(d[1]) << 8 | d[0];
  }
}

KetamaContinuum::KetamaContinuum(std::span<const KetamaServer> servers) : servers_(servers.size()) {
  if (servers.empty()) throw std::invalid_argument("ketama: no servers");
  if (servers.size() > std::numeric_limits<std::uint32_t>::max() / kPointsPerServer)
    throw std::invalid_argument("ketama: too many servers");
  std::uint64_t total_weight = 0;
  for (const KetamaServer& s : servers) {
    if (s.weight == 0) throw std::invalid_argument("ketama: server '" + s.point_name + "' has weight 0");
    total_weight += s.weight;
  }
  // twemproxy sums weights in a uint32_t.
  if (total_weight > std::numeric_limits<std::uint32_t>::max())
    throw std::invalid_argument("ketama: the total weight exceeds 2^32 - 1");

  const auto live = static_cast<std::uint32_t>(servers.size());
  for (std::uint32_t index = 0; index < live; ++index) {
    const KetamaServer& s = servers[index];
    const std::uint32_t groups = points_for(s.weight, total_weight, live) / kPointsPerHash;
    if (groups > 0 && s.point_name.size() + 1 + std::to_string(groups - 1).size() > kMaxPointString)
      throw std::invalid_argument("ketama: server name '" + s.point_name + "' is too long: twemproxy hashes at most " +
                                  std::to_string(kMaxPointString) + " bytes of \"<name>-<point>\"");
    for (std::uint32_t group = 0; group < groups; ++group) {
      std::uint32_t values[4];
      point_values(s.point_name, group, values);
      for (std::uint32_t v : values) points_.push_back({v, index});
    }
  }
  if (points_.empty()) throw std::invalid_argument("ketama: the weights give no server any point");
  std::stable_sort(points_.begin(), points_.end(),
                   [](const ContinuumPoint& a, const ContinuumPoint& b) { return a.value < b.value; });
  index_ = ContinuumIndex(std::span<const ContinuumPoint>(points_));
}

std::uint32_t KetamaContinuum::lookup(std::uint32_t key_hash) const noexcept {
  // ketama_dispatch: the first point >= the hash, wrapping around.
  return index_.at_or_after(std::span<const ContinuumPoint>(points_), key_hash).server;
}

std::string LibmemcachedKetama::point_name(const LibmemcachedServer& server) {
  if (server.port == 11211) return server.host;
  return server.host + ":" + std::to_string(server.port);
}

namespace {
std::vector<KetamaServer> libmemcached_points(std::span<const LibmemcachedServer> servers) {
  std::vector<KetamaServer> out;
  out.reserve(servers.size());
  for (const LibmemcachedServer& s : servers) out.push_back({LibmemcachedKetama::point_name(s), s.weight});
  return out;
}
}  // namespace

LibmemcachedKetama::LibmemcachedKetama(std::span<const LibmemcachedServer> servers)
    : continuum_(libmemcached_points(servers)) {}

std::uint32_t LibmemcachedKetama::server_for(std::string_view key) const noexcept {
  if (continuum_.server_count() == 1) return 0;
  return continuum_.lookup(hash::twemproxy::md5(key));
}

}  // namespace ringleader::compat
