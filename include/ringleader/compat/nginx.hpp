// nginx's consistent hash, `upstream { hash $request_uri consistent; server ...; }`, exactly: a key
// goes to the server nginx 1.22 sends it to, for the same `server` lines.
//
// Source of the facts: nginx 1.22.1 src/http/modules/ngx_http_upstream_hash_module.c
// (ngx_http_upstream_init_chash, _find_chash_point, _get_chash_peer), checked against the real nginx
// by tests/data/nginx/ (golden data) and tests/integration/compat/nginx_live_test.py.
// - A server is known by its `server` text as written ("10.0.0.1:8080", "cache-a", "unix:/path").
//   That text is split into host and port at the last ':' when only digits follow it ("unix:" texts
//   have no port), and the server's base CRC-32 is crc32(host "\0" port) (compatible with
//   Cache::Memcached::Fast).
// - It gets 160 x weight points. Point j is the CRC-32 of the base continued with the 4 bytes of
//   point j-1 (little-endian; 0 for the first), so each point is chained from the one before.
// - The points are sorted (glibc's qsort is a stable merge sort at these sizes: equal points keep
//   server order) and equal points collapse into the first.
// - A key goes to the first point >= crc32(key), wrapping to the first point. When that server is
//   down nginx tries the next point, and so on: the ring without the down servers.
// What nginx does that this does not: an empty key, a single server, or 20 points in a row on down
// servers fall back to round robin.
//
//   ringleader::compat::NginxContinuum ring({{"10.0.0.1:8080", 1}, {"10.0.0.2:8080", 2}});
//   std::uint32_t server = ring.lookup(ringleader::compat::NginxContinuum::key_hash("/img/1.png"));
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ringleader/compat/continuum_index.hpp"
#include "ringleader/compat/ketama.hpp"

namespace ringleader::compat {

/// A server as nginx's consistent hash sees it: its `server` text and weight (>= 1).
struct NginxServer {
  std::string server;
  std::uint32_t weight = 1;
};

class NginxContinuum {
 public:
  /// Throws std::invalid_argument if the list is empty or a weight is 0.
  explicit NginxContinuum(std::span<const NginxServer> servers);

  /// The server (index into the list given to the constructor) that owns the 32-bit key hash.
  std::uint32_t lookup(std::uint32_t key_hash) const noexcept;
  /// What nginx hashes a key with: CRC-32 (ngx_crc32_long).
  static std::uint32_t key_hash(std::string_view key) noexcept;

  std::span<const ContinuumPoint> points() const noexcept { return points_; }
  std::size_t server_count() const noexcept { return servers_; }

 private:
  std::vector<ContinuumPoint> points_;
  ContinuumIndex index_;
  std::size_t servers_ = 0;
};

}  // namespace ringleader::compat
