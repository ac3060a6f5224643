// Placement: what a Python-side router looks keys up in, whatever placed them.
//
// Three kinds of placement sit behind `import ringleader`: the library's algorithms (xxh3 of the key,
// then a Distribution), uhashring's own continua (md5-based, for HashRing), and twemproxy pools from a
// nutcracker.yml. The Python router (router.hpp) only needs this interface, so its hot paths
// (get_node, range, lookup_many) are written once. Every method is const and safe to call without the
// GIL from any number of threads: placements are immutable once built.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "ringleader/membership.hpp"

namespace ringleader::python {

class Placement {
 public:
  virtual ~Placement() = default;

  /// Number of nodes; BucketIds are 0 .. size()-1.
  virtual std::size_t size() const noexcept = 0;
  /// The name get_node() returns for a bucket.
  virtual const std::string& name(BucketId bucket) const noexcept = 0;

  /// The node a key (its bytes) lands on.
  virtual BucketId locate(std::string_view key) const noexcept = 0;
  /// locate() of every key into out (out.size() == keys.size()). Placements whose key hash is
  /// faster in batches (uhashring's md5, several keys per SIMD pass) override it.
  virtual void locate_many(std::span<const std::string_view> keys, std::span<BucketId> out) const noexcept {
    for (std::size_t i = 0; i < keys.size(); ++i) out[i] = locate(keys[i]);
  }
  /// out.size() distinct nodes in failover order, out[0] == locate(key). Throws std::invalid_argument
  /// if out.size() exceeds size().
  virtual void locate_n(std::string_view key, std::span<BucketId> out) const = 0;

  /// Whether keys may be given already hashed (a uint64 per key): false when the placement's key hash
  /// does not fit 64 bits or is not a single hash.
  virtual bool takes_hashes() const noexcept = 0;
  /// The hash locate() computes from a key, for users who hash once and look up many times.
  /// Only meaningful when takes_hashes().
  virtual std::uint64_t hash(std::string_view key) const noexcept = 0;
  /// The node of an already hashed key (hash(key) == h gives locate(key)). Only when takes_hashes().
  virtual BucketId locate_hash(std::uint64_t h) const noexcept = 0;
};

}  // namespace ringleader::python
