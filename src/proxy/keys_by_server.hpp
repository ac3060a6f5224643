// KeysByServer: the keys of one request grouped by the server that holds them, for a protocol that
// splits a multi-key request (a get of many keys, say) into one request per server.
//
// Parts are numbered in the order their server first appears among the keys, and each part lists
// its keys in request order, so the requests sent and the replies merged follow the client's order.
// The vectors are reused from request to request: grouping allocates nothing once they have grown.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace ringleader::proxy {

class KeysByServer {
 public:
  /// Groups keys 0..servers.size()-1, where servers[k] holds key k.
  void group(std::span<const std::uint32_t> servers);

  std::uint32_t parts() const noexcept { return static_cast<std::uint32_t>(servers_.size()); }
  /// The server of part `part`.
  std::uint32_t server(std::uint32_t part) const noexcept { return servers_[part]; }
  /// The positions of the keys of part `part`, ascending.
  std::span<const std::uint32_t> keys(std::uint32_t part) const noexcept {
    return std::span(keys_).subspan(starts_[part], starts_[part + 1] - starts_[part]);
  }
  /// Frees what a request with many keys grew, beyond room for `keep` keys.
  void trim(std::size_t keep) noexcept;

 private:
  std::vector<std::uint32_t> servers_;  // of each part
  std::vector<std::uint32_t> part_of_;  // of each key
  std::vector<std::uint32_t> starts_;   // of each part's keys in keys_, then keys_.size()
  std::vector<std::uint32_t> keys_;     // key positions, part after part
};

}  // namespace ringleader::proxy
