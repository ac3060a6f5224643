// Distribution: any algorithm of the library behind one runtime interface, chosen by name.
//
// The algorithms themselves (algo/*.hpp) are concrete classes with non-virtual lookups, for users who
// pick one at compile time. The proxy, the CLI and the Python bindings choose by name at run time and
// go through this interface; its names come from one table (algorithm_names()), so config files,
// docs and code cannot drift apart.
//
//   auto d = ringleader::make_distribution("maglev", ringleader::Membership::uniform(4));
//   ringleader::BucketId b = d->lookup(ringleader::hash::xxh3("user:42"));
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ringleader/membership.hpp"

namespace ringleader {

struct DistributionOptions {
  std::uint32_t ring_points = 160;          // Ring: points per unit of weight
  std::uint32_t maglev_table_size = 65537;  // Maglev: prime table size
  std::uint32_t multiprobe_probes = 21;     // MultiProbe: probes per lookup
  std::uint32_t anchor_capacity = 0;        // Anchor: slots reserved for growth in place (0: 2 x total weight)
};

class Distribution {
 public:
  virtual ~Distribution() = default;

  /// The algorithm's name as accepted by make_distribution().
  virtual std::string_view algorithm() const noexcept = 0;
  /// The membership snapshot BucketIds refer to.
  virtual const Membership& membership() const noexcept = 0;

  /// The node a pre-hashed key lands on. Const, allocation-free, safe from any number of threads.
  virtual BucketId lookup(std::uint64_t key_hash) const noexcept = 0;
  /// out.size() distinct nodes for replicas/failover, out[0] == lookup(key_hash).
  /// Throws std::invalid_argument if out.size() exceeds the number of nodes.
  virtual void lookup_n(std::uint64_t key_hash, std::span<BucketId> out) const = 0;

  /// The distribution after the given nodes leave. Algorithms with in-place removal (Anchor,
  /// Memento) use it, so exactly the removed nodes' keys move; the others rebuild from the smaller
  /// membership. BucketIds in the result refer to the result's membership().
  virtual std::unique_ptr<Distribution> without(std::span<const std::string> names) const = 0;
  /// The distribution after a node joins (in place where the algorithm supports it).
  virtual std::unique_ptr<Distribution> with(const Node& node) const = 0;

  /// Bytes of the lookup table(s), for `simulate` and the benchmarks.
  virtual std::size_t memory_bytes() const noexcept = 0;
};

/// Builds the named algorithm over the nodes. Throws std::invalid_argument for an unknown name
/// (the message lists the known ones) or bad options.
std::unique_ptr<Distribution> make_distribution(std::string_view algorithm, const Membership& nodes,
                                                const DistributionOptions& options = {});

/// Every name make_distribution() accepts, in a stable order ("modulo" first: the baseline).
std::span<const std::string_view> algorithm_names() noexcept;

}  // namespace ringleader
