// uhashring's ketama ring (`HashRing(nodes, hash_fn='ketama')`), for Python users moving to ringleader.
//
// Source of the facts: uhashring 2.x, uhashring/ring_ketama.py and ring.py (Debian python3-uhashring),
// checked key for key against the installed library by tests/integration/compat/uhashring_test.cpp.
// It is not libmemcached's ketama:
//   - node i gets ks = vnodes * node_count * weight_i // total_weight point groups (integer division;
//     vnodes defaults to 40), group w of node "name" is md5("name-w"), and each digest gives
//     `replicas` points (default 4): its little-endian 32-bit words 0..replicas-1;
//   - a key goes to the first point strictly greater than md5(key)'s first word (bisect_right),
//     wrapping to the first point;
//   - when two points have the same value, the node built last (in node order) owns it (uhashring
//     keeps a dict from point value to node, later entries overwrite earlier ones).
// Keys and names are hashed as their UTF-8 bytes (uhashring hashes str(key).encode("utf-8")).
//
//   ringleader::compat::UhashringKetama ring({{"cache-a"}, {"cache-b", 2}});
//   std::uint32_t node = ring.lookup("user:42");   // index into the nodes given
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ringleader/compat/ketama.hpp"

namespace ringleader::compat {

struct UhashringNode {
  std::string name;
  std::uint32_t weight = 1;
  std::uint32_t vnodes = 40;  // uhashring's default for hash_fn='ketama'
};

class UhashringKetama {
 public:
  /// Throws std::invalid_argument if there are no nodes, a name is empty or repeated, replicas is
  /// not 1..4, or no node gets any point (every ks rounds down to 0).
  explicit UhashringKetama(std::vector<UhashringNode> nodes, std::uint32_t replicas = 4);

  /// The node (index into nodes()) that owns the key, as HashRing.get_node() decides.
  std::uint32_t lookup(std::string_view key) const noexcept { return lookup_hash(hash(key)); }
  /// The node that owns a key hash (first point > hash, wrapping).
  std::uint32_t lookup_hash(std::uint32_t key_hash) const noexcept;
  /// uhashring's hashi(key): the first little-endian word of md5(key).
  static std::uint32_t hash(std::string_view key) noexcept;

  std::span<const UhashringNode> nodes() const noexcept { return nodes_; }
  /// The distinct points in increasing order, each owned by its last writer.
  std::span<const ContinuumPoint> points() const noexcept { return points_; }

 private:
  std::vector<UhashringNode> nodes_;
  std::vector<ContinuumPoint> points_;
  ContinuumIndex index_;
};

}  // namespace ringleader::compat
