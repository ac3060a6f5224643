// Ketama continua exactly as twemproxy and libmemcached build them, for drop-in compatibility.
//
// Source of the facts: twemproxy 0.5.0 src/hashkit/nc_ketama.c (ketama_update, ketama_dispatch) and
// libmemcached 1.x libmemcached/hosts.cc (update_continuum with MEMCACHED_BEHAVIOR_KETAMA_WEIGHTED),
// both descended from last.fm's libketama. Checked against the real nutcracker (tests/data/twemproxy/)
// and against libmemcached's memcached_generate_hash() (tests/unit/compat/libmemcached_test.cpp).
//
// Both build the same circle: each live server gets
//     floorf(weight / total_live_weight * 160 / 4 * live_servers + 1e-10) * 4   points
// computed in single precision (the float rounding decides some point counts, so we keep it: with 100
// equal servers each gets 156 points, not 160, because 1/100 * 40 * 100 is 39.999998f);
// point group i (from 0) of a server is the MD5 of "<point name>-<i>", each digest giving 4 points
// (its four little-endian 32-bit words). The points are sorted by value, ties keeping build order
// (glibc's qsort is a stable merge sort for these sizes); a key hash goes to the first point >= it,
// wrapping to the first point past the end.
// The point name differs: twemproxy uses the server's name if the config gives one, else "host" when
// the port is 11211, else "host:port" (Server::ketama_name() in the config); libmemcached uses "host"
// for port 11211, else "host:port".
//
//   ringleader::compat::TwemproxyKetama ring({{"cache-a", 1}, {"10.0.0.2:11212", 2}});
//   std::uint32_t server = ring.lookup(ringleader::hash::twemproxy::fnv1a_64("user:42"));
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ringleader/compat/continuum_index.hpp"

namespace ringleader::compat {

/// One point of a continuum: its position on the 32-bit circle and the server it belongs to (the
/// index into the list of servers the continuum was built from).
struct ContinuumPoint {
  std::uint32_t value;
  std::uint32_t server;

  friend bool operator==(const ContinuumPoint&, const ContinuumPoint&) = default;
};

/// A server as ketama sees it: the string its points are derived from, and its weight (>= 1).
struct KetamaServer {
  std::string point_name;
  std::uint32_t weight = 1;
};

/// The ketama circle shared by twemproxy and libmemcached.
class KetamaContinuum {
 public:
  /// Builds the circle over these (live) servers. Throws std::invalid_argument if the list is empty,
  /// a weight is 0, the total weight overflows, or a point string would exceed twemproxy's 86-byte
  /// buffer (twemproxy then hashes bytes past its buffer, so its placement is undefined).
  explicit KetamaContinuum(std::span<const KetamaServer> servers);

  /// The server (index into the list given to the constructor) that owns the 32-bit key hash.
  std::uint32_t lookup(std::uint32_t key_hash) const noexcept;

  std::span<const ContinuumPoint> points() const noexcept { return points_; }
  std::size_t server_count() const noexcept { return servers_; }
  /// Bytes of the tables (points and the lookup index).
  std::size_t memory_bytes() const noexcept {
    return points_.size() * sizeof(ContinuumPoint) + index_.memory_bytes();
  }

  /// Points a server gets: twemproxy's float formula (a multiple of 4, possibly 0).
  static std::uint32_t points_for(std::uint32_t weight, std::uint64_t total_weight,
                                  std::uint32_t live_servers) noexcept;
  /// The i-th group of 4 point values of a server: the MD5 words of "<point_name>-<group>".
  static void point_values(std::string_view point_name, std::uint32_t group, std::uint32_t (&out)[4]);

 private:
  std::vector<ContinuumPoint> points_;
  ContinuumIndex index_;
  std::size_t servers_ = 0;
};

/// twemproxy's `distribution: ketama` over the live servers, in config order.
using TwemproxyKetama = KetamaContinuum;

/// A libmemcached server as given to memcached_server_add_with_weight().
struct LibmemcachedServer {
  std::string host;
  std::uint16_t port = 11211;
  std::uint32_t weight = 1;
};

/// libmemcached's continuum with MEMCACHED_BEHAVIOR_KETAMA_WEIGHTED (which also selects MD5 as the key
/// hash), servers in the order they were added.
class LibmemcachedKetama {
 public:
  explicit LibmemcachedKetama(std::span<const LibmemcachedServer> servers);

  /// The server index memcached_generate_hash() returns for this key: MD5 of the key (first 4 bytes,
  /// little-endian) on the circle; 0 when there is a single server (libmemcached skips hashing then).
  std::uint32_t server_for(std::string_view key) const noexcept;
  std::uint32_t lookup(std::uint32_t key_hash) const noexcept { return continuum_.lookup(key_hash); }
  const KetamaContinuum& continuum() const noexcept { return continuum_; }

  /// "host" for port 11211 (MEMCACHED_DEFAULT_PORT), else "host:port".
  static std::string point_name(const LibmemcachedServer& server);

 private:
  KetamaContinuum continuum_;
};

}  // namespace ringleader::compat
