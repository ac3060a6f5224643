// Pictures of consistent hashing as SVG, written by the program itself (no display, no library):
// (a) the ring: the hash circle with arcs coloured by the node that owns them and a few sample keys;
// (b) load per node as bars, one group per algorithm;
// (c) share of keys moved when one of N nodes leaves, against N, per algorithm, with the 1/N optimum.
#pragma once

#include <string>
#include <vector>

#include "cli/simulate.hpp"

namespace ringleader::cli {

struct MovedCurve {
  std::string algorithm;
  std::vector<std::pair<std::size_t, double>> points;  // (nodes, share moved when one leaves)
};

/// Share of keys moved when the last of N nodes leaves, for N = 2 .. max_nodes, per algorithm.
std::vector<MovedCurve> moved_curves(const std::vector<std::string>& algorithms, std::size_t max_nodes,
                                     std::size_t keys, std::uint64_t seed);

/// One SVG document with the three pictures, stacked. `ring_algorithm` is drawn in picture (a).
std::string render_svg(const std::string& ring_algorithm, const SimulateOptions& options,
                       const std::vector<SimulateResult>& results, const std::vector<MovedCurve>& curves);

}  // namespace ringleader::cli
