// nginx's consistent hash (facts and guarantees: compat/nginx.hpp).
#include "ringleader/compat/nginx.hpp"

#include <algorithm>
#include <limits>
#include <stdexcept>

#include "ringleader/hash/crc32.hpp"

namespace ringleader::compat {
namespace {

constexpr std::uint32_t kPointsPerWeight = 160;

// crc32(HOST "\0" PORT), the start of every point of a server.
std::uint32_t base_state(std::string_view server) {
  std::string_view host = server;
  std::string_view port;
  if (server.size() >= 5 && std::equal(server.begin(), server.begin() + 5, "unix:",
                                       [](char a, char b) { return (a | 0x20) == b; })) {
    host = server.substr(5);
  } else {
    // The port is what follows the last ':' when it is all digits ("[::1]:80" too).
    std::size_t digits = 0;
    while (digits < server.size() && server[server.size() - 1 - digits] >= '0' &&
           server[server.size() - 1 - digits] <= '9')
      ++digits;
    if (digits < server.size() && server[server.size() - 1 - digits] == ':') {
      host = server.substr(0, server.size() - digits - 1);
      port = server.substr(server.size() - digits);
    }
  }
  std::uint32_t state = hash::crc32_update(hash::kCrc32Init, host);
  state = hash::crc32_update(state, std::string_view("", 1));
  return hash::crc32_update(state, port);
}

}  // namespace

NginxContinuum::NginxContinuum(std::span<const NginxServer> servers) : servers_(servers.size()) {
  if (servers.empty()) throw std::invalid_argument("nginx: no servers");
  std::uint64_t total = 0;
  for (const NginxServer& s : servers) {
    if (s.weight == 0) throw std::invalid_argument("nginx: server '" + s.server + "' has weight 0");
    total += std::uint64_t{s.weight} * kPointsPerWeight;
  }
  if (total > std::numeric_limits<std::uint32_t>::max())
    throw std::invalid_argument("nginx: the weights give more than 2^32 - 1 points");
  points_.reserve(total);
  for (std::uint32_t index = 0; index < servers.size(); ++index) {
    const std::uint32_t base = base_state(servers[index].server);
    std::uint32_t previous = 0;
    for (std::uint32_t j = 0; j < servers[index].weight * kPointsPerWeight; ++j) {
      const char bytes[4] = {static_cast<char>(previous), static_cast<char>(previous >> 8),
                             static_cast<char>(previous >> 16), static_cast<char>(previous >> 24)};
      previous = hash::crc32_final(hash::crc32_update(base, std::string_view(bytes, 4)));
      points_.push_back({previous, index});
    }
  }
  std::stable_sort(points_.begin(), points_.end(),
                   [](const ContinuumPoint& a, const ContinuumPoint& b) { return a.value < b.value; });
  points_.erase(std::unique(points_.begin(), points_.end(),
                            [](const ContinuumPoint& a, const ContinuumPoint& b) { return a.value == b.value; }),
                points_.end());
  index_ = ContinuumIndex(std::span<const ContinuumPoint>(points_));
}

std::uint32_t NginxContinuum::lookup(std::uint32_t key_hash) const noexcept {
  // ngx_http_upstream_find_chash_point: the first point >= the hash, wrapping to the first.
  return index_.at_or_after(std::span<const ContinuumPoint>(points_), key_hash).server;
}

std::uint32_t NginxContinuum::key_hash(std::string_view key) noexcept {
  return hash::crc32_final(hash::crc32_update(hash::kCrc32Init, key));
}

}  // namespace ringleader::compat
