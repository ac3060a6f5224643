// Router: which server of a pool a key goes to, exactly as twemproxy decides it.
//
// Source of the facts: twemproxy 0.5.0 server_pool_idx() and server_pool_hash() (src/nc_server.c):
// apply hash_tag (hash only the text between the two tag characters when both are present and the
// text is non-empty), hash with the pool's hash function (an empty key, or a pool of one server,
// hashes to 0), then dispatch with the pool's distribution built over the live servers. Verified
// against the real nutcracker by the golden vectors in tests/data/twemproxy/.
//
// A Router is an immutable snapshot: build a new one when the set of live servers changes and swap
// it in. server_for() is const, allocation-free and safe from any number of threads.
//
//   ringleader::config::Router router(pool);                 // every server live
//   std::uint32_t i = router.server_for("user:42");          // index into pool.servers
//   ringleader::config::Router after(pool, live);            // live[i] false: server i ejected
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <span>
#include <string_view>

#include "proxy/config/config.hpp"

namespace ringleader::config {

class Router {
 public:
  /// server_for() when no server is live (twemproxy answers such requests with an error).
  static constexpr std::uint32_t kNoServer = std::numeric_limits<std::uint32_t>::max();

  /// Every server of the pool live. Throws std::invalid_argument for an unknown hash or distribution
  /// (a Pool from load_file()/parse() is already validated).
  explicit Router(const Pool& pool);
  /// live[i] says whether pool.servers[i] takes traffic; live.size() must equal pool.servers.size().
  /// Ejected servers are handled as pool.ejection says.
  Router(const Pool& pool, std::span<const bool> live);
  ~Router();
  /// A moved-from Router may only be assigned to or destroyed.
  Router(Router&&) noexcept;
  Router& operator=(Router&&) noexcept;

  /// Index into pool.servers of the server that owns the key; kNoServer if no server is live.
  /// For `distribution: random` the server is drawn at random for each call, as twemproxy does.
  std::uint32_t server_for(std::string_view key) const noexcept;

  /// With the pool's `bounded_load: c` (ringleader's distributions; twemproxy's have none): the
  /// first server in the key's probe order (algo::probe_bounded: the owner, salted re-lookups, then
  /// the next live servers) that has room, loads[s] + 1 <= ceil(c x (L + 1) x w_s / W), where
  /// loads[s] is what server s holds now (the proxy counts its requests in flight), L their sum over
  /// the live servers and W the live servers' weight. Without bounded_load: server_for(key).
  /// loads.size() must be server_count().
  std::uint32_t server_for(std::string_view key, std::span<const std::uint64_t> loads) const noexcept;
  /// Whether server_for(key, loads) looks at the loads.
  bool bounded() const noexcept;

  /// The hash the distribution receives for this key (after hash_tag): twemproxy's 32-bit value for
  /// ketama, modula and random; for ringleader's algorithms xxh3, or a twemproxy hash mixed to 64 bits.
  std::uint64_t key_hash(std::string_view key) const noexcept;

  std::size_t server_count() const noexcept;
  std::size_t live_count() const noexcept;

 private:
  class Impl;
  std::unique_ptr<const Impl> impl_;
};

}  // namespace ringleader::config
