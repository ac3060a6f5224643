// uhashring's two rings as Python placements, so `ringleader.HashRing` puts every key where uhashring
// (python3-uhashring 2.x) puts it.
//
//  - hash_fn='ketama': ringleader::compat::UhashringKetama (the library's port, facts in its header).
//  - hash_fn=None, uhashring's default: ringleader::compat::UhashringMd5 (compat/uhashring_md5.hpp).
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "placement.hpp"
#include "ringleader/compat/uhashring.hpp"
#include "ringleader/compat/uhashring_md5.hpp"

namespace ringleader::python {

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

class UhashringMd5Placement final : public Placement {
 public:
  explicit UhashringMd5Placement(std::vector<compat::UhashringMd5Node> nodes) : ring_(std::move(nodes)) {}

  const compat::UhashringMd5& ring() const noexcept { return ring_; }

  std::size_t size() const noexcept override { return ring_.nodes().size(); }
  const std::string& name(BucketId bucket) const noexcept override { return ring_.nodes()[bucket].name; }
  BucketId locate(std::string_view key) const noexcept override { return ring_.lookup(key); }
  void locate_n(std::string_view key, std::span<BucketId> out) const override;
  // A key's hash is 128 bits: keys cannot be given already hashed.
  bool takes_hashes() const noexcept override { return false; }
  std::uint64_t hash(std::string_view key) const noexcept override {
    return static_cast<std::uint64_t>(compat::UhashringMd5::hash(key));
  }
  BucketId locate_hash(std::uint64_t h) const noexcept override { return ring_.owners()[ring_.point_for(h)]; }

 private:
  compat::UhashringMd5 ring_;
};

}  // namespace ringleader::python
