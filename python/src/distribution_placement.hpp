// DistributionPlacement: one of the library's algorithms (make_distribution) as a Python placement.
//
// Keys are hashed with xxh3 (seed 0), the library's fixed placement hash, so Python, the CLI and the
// proxy agree on every key; keys may also be given as their xxh3 hashes.
#pragma once

#include <memory>

#include "placement.hpp"
#include "ringleader/distribution.hpp"
#include "ringleader/hash/xxh3.hpp"

namespace ringleader::python {

class DistributionPlacement final : public Placement {
 public:
  explicit DistributionPlacement(std::unique_ptr<Distribution> distribution)
      : distribution_(std::move(distribution)) {}

  const Distribution& distribution() const noexcept { return *distribution_; }

  std::size_t size() const noexcept override { return distribution_->membership().size(); }
  const std::string& name(BucketId bucket) const noexcept override {
    return distribution_->membership()[bucket].name;
  }
  BucketId locate(std::string_view key) const noexcept override { return distribution_->lookup(hash(key)); }
  void locate_n(std::string_view key, std::span<BucketId> out) const override {
    distribution_->lookup_n(hash(key), out);
  }
  bool takes_hashes() const noexcept override { return true; }
  std::uint64_t hash(std::string_view key) const noexcept override { return hash::xxh3(key); }
  BucketId locate_hash(std::uint64_t h) const noexcept override { return distribution_->lookup(h); }

 private:
  std::unique_ptr<Distribution> distribution_;
};

}  // namespace ringleader::python
