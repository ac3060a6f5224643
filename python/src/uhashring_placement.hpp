// uhashring's two rings as Python placements, so `ringleader.HashRing` puts every key where uhashring
// (python3-uhashring 2.x) puts it.
//
//  - hash_fn='ketama': ringleader::compat::UhashringKetama (the library's port, facts in its header).
//  - hash_fn=None, uhashring's default (its ring_meta.py, MetaRing with md5): vnodes * weight points
//    per node, point i of node "name" is int(md5("name-i").hexdigest(), 16), a 128-bit big-endian
//    integer; a key hashes the same way and goes to the first point strictly above it (bisect_right),
//    wrapping to the first point. On equal points the node inserted later wins (a dict in node order).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "placement.hpp"
#include "ringleader/compat/uhashring.hpp"

namespace ringleader::python {

__extension__ using Uint128 = unsigned __int128;  // __extension__: -Wpedantic knows no __int128

class UhashringKetamaPlacement final : public Placement {
 public:
  UhashringKetamaPlacement(std::vector<compat::UhashringNode> nodes, std::uint32_t replicas)
      : ring_(std::move(nodes), replicas) {}

  const compat::UhashringKetama& ring() const noexcept { return ring_; }

  std::size_t size() const noexcept override { return ring_.nodes().size(); }
  const std::string& name(BucketId bucket) const noexcept override { return ring_.nodes()[bucket].name; }
  BucketId locate(std::string_view key) const noexcept override { return ring_.lookup(key); }
  void locate_many(std::span<const std::string_view> keys, std::span<BucketId> out) const noexcept override;
  void locate_n(std::string_view key, std::span<BucketId> out) const override;
  bool takes_hashes() const noexcept override { return true; }
  std::uint64_t hash(std::string_view key) const noexcept override { return compat::UhashringKetama::hash(key); }
  BucketId locate_hash(std::uint64_t h) const noexcept override;

 private:
  compat::UhashringKetama ring_;
};

struct UhashringMd5Node {
  std::string name;
  std::uint32_t weight = 1;
  std::uint32_t vnodes = 160;  // uhashring's default without hash_fn
};

class UhashringMd5Placement final : public Placement {
 public:
  /// Throws std::invalid_argument on no nodes, an empty or duplicate name, or no point at all.
  explicit UhashringMd5Placement(std::vector<UhashringMd5Node> nodes);

  std::size_t size() const noexcept override { return nodes_.size(); }
  const std::string& name(BucketId bucket) const noexcept override { return nodes_[bucket].name; }
  BucketId locate(std::string_view key) const noexcept override { return owners_[position(key_hash(key))]; }
  void locate_n(std::string_view key, std::span<BucketId> out) const override;
  bool takes_hashes() const noexcept override { return false; }
  std::uint64_t hash(std::string_view key) const noexcept override { return static_cast<std::uint64_t>(key_hash(key)); }
  BucketId locate_hash(std::uint64_t h) const noexcept override { return owners_[position(h)]; }

  /// (point, owner) in ring order: uhashring's get_points().
  std::vector<std::pair<Uint128, BucketId>> points() const;
  /// uhashring's hashi(key): int(md5(key).hexdigest(), 16).
  static Uint128 key_hash(std::string_view key) noexcept;

 private:
  std::size_t position(Uint128 key_hash) const noexcept;

  std::vector<UhashringMd5Node> nodes_;
  std::vector<Uint128> points_;   // sorted, distinct
  std::vector<BucketId> owners_;  // owners_[i] owns points_[i]
};

}  // namespace ringleader::python
