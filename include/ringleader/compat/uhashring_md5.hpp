// uhashring's default ring (`HashRing(nodes)`, no hash_fn), for Python users moving to ringleader.
//
// Source of the facts: uhashring 2.x, uhashring/ring_meta.py (MetaRing) and ring.py (Debian
// python3-uhashring). Golden placements from the installed library are pinned by
// tests/unit/compat/uhashring_md5_test.cpp; python/tests/test_uhashring_compat.py compares key for key.
// It is neither libmemcached's ketama nor uhashring's own hash_fn='ketama' (compat/uhashring.hpp):
//   - node i gets vnodes_i x weight_i points (vnodes defaults to 160); point w of node "name" is
//     int(md5("name-w").hexdigest(), 16), the whole digest read as a 128-bit big-endian integer;
//   - a key hashes the same way (md5 of its UTF-8 bytes) and goes to the first point strictly greater
//     (bisect_right), wrapping to the first point;
//   - when two points have the same value, the node built last (in node order) owns it (uhashring
//     keeps a dict from point to node, later entries overwrite earlier ones).
//
//   ringleader::compat::UhashringMd5 ring({{"cache-a"}, {"cache-b", 2}});
//   std::uint32_t node = ring.lookup("user:42");   // index into the nodes given
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ringleader::compat {

__extension__ using Uint128 = unsigned __int128;  // __extension__: -Wpedantic knows no __int128

struct UhashringMd5Node {
  std::string name;
  std::uint32_t weight = 1;
  std::uint32_t vnodes = 160;  // uhashring's default without hash_fn
};

class UhashringMd5 {
 public:
  /// Throws std::invalid_argument if there are no nodes, a name is empty or repeated, a node would
  /// get more than 2^24 points, or no node gets any point (vnodes x weight is 0 for all).
  explicit UhashringMd5(std::vector<UhashringMd5Node> nodes);

  /// The node (index into nodes()) that owns the key, as HashRing.get_node() decides.
  std::uint32_t lookup(std::string_view key) const noexcept { return owners_[point_for(hash(key))]; }
  /// The index into points() of the point that owns a key hash: the first point > it, wrapping.
  std::size_t point_for(Uint128 key_hash) const noexcept;
  /// uhashring's hashi(key): int(md5(key).hexdigest(), 16).
  static Uint128 hash(std::string_view key) noexcept;

  std::span<const UhashringMd5Node> nodes() const noexcept { return nodes_; }
  /// The distinct points in increasing order (uhashring's get_points()); owners()[i] owns points()[i].
  std::span<const Uint128> points() const noexcept { return points_; }
  std::span<const std::uint32_t> owners() const noexcept { return owners_; }

 private:
  std::vector<UhashringMd5Node> nodes_;
  std::vector<Uint128> points_;
  std::vector<std::uint32_t> owners_;
};

}  // namespace ringleader::compat
