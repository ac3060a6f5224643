// `ringleader simulate`: the core claim of consistent hashing as numbers. For each algorithm, how many
// keys move when nodes leave or join (against the optimum), how even the load is, and what a lookup costs.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ringleader/membership.hpp"

namespace ringleader::cli {

struct SimulateOptions {
  std::vector<std::string> algorithms;  // names accepted by make_distribution
  std::size_t nodes = 4;
  std::size_t keys = 1'000'000;
  /// The nodes that leave, by name ("node-3") or index ("3"); empty: the last `remove` nodes, or
  /// when that is 0 the middle one (node n/2: jump moves only the last node's keys alone, so the
  /// last one would flatter it).
  std::vector<std::string> leave;
  std::size_t remove = 0;
  std::size_t add = 1;
  std::vector<std::uint32_t> weights;  // empty: all 1
  std::uint64_t seed = 1;
  bool progress = false;  // draw a progress bar on stderr
  bool time_lookups = true;  // false: lookup_ns stays 0 (callers that want only the placement)
};

/// One row of the table (and one object of the --json array, same field names).
struct SimulateResult {
  std::string algorithm;
  std::size_t nodes = 0;
  std::size_t keys = 0;
  double moved_on_remove = 0, optimal_remove = 0;
  double moved_on_add = 0, optimal_add = 0;
  double peak_to_mean = 0, rel_stddev = 0;
  double lookup_ns = 0, build_ms = 0;
  std::size_t memory_bytes = 0;
  std::vector<std::size_t> load;  // keys per node, in membership order
};

/// The membership `simulate` uses: "node-0" .. "node-{n-1}" with the given weights (default 1).
Membership simulated_membership(const SimulateOptions& options);

/// The 16-byte keys `simulate` places: hex digits of splitmix64(seed + i), so runs are reproducible.
std::vector<std::string> simulated_keys(std::size_t count, std::uint64_t seed);

/// Runs every algorithm of the options over the same keys. Throws std::invalid_argument on bad options.
std::vector<SimulateResult> simulate(const SimulateOptions& options);

}  // namespace ringleader::cli
