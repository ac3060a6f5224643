// Pictures of consistent hashing as SVG, written by the program itself (no display, no library):
// (a) the ring: the hash circle with arcs coloured by the node that owns them and a few sample keys;
// (b) load per node as bars, one group per algorithm;
// (c) share of keys moved when one of N nodes leaves, against N, per algorithm, with the 1/N optimum;
// and beside them, when `demo` ran on real servers, what it measured:
// (d) keys per server before one stopped and found after, (e) keys per server before and after one
// joined, (f) the shares found and moved, consistent hashing against modulo, (g) the reads that missed
// after the join with modulo, consistent hashing and consistent hashing with warm-up.
#pragma once

#include <string>
#include <vector>

#include "cli/simulate.hpp"

namespace ringleader::cli {

struct MovedCurve {
  std::string algorithm;
  std::vector<std::pair<std::size_t, double>> points;  // (nodes, share moved when one leaves)
};

/// What `demo` measured on its real memcached servers, for pictures (d) to (f).
struct LiveRun {
  struct Pool {
    std::string name;                  // "consistent (ketama)", "modulo (modula)"
    std::vector<std::size_t> held;     // keys per server after the first write
    std::vector<std::size_t> found;    // of those, found again after server `stopped` stopped
    std::vector<std::size_t> joined;   // keys per server once one more server joined (one entry more)
    double found_share = 0, moved_share = 0;
  };
  std::size_t stopped = 0;  // index of the server that stopped
  Pool consistent, modulo;
  struct Misses {  // shares of reads that missed right after the join, and a moment later
    double modulo = 0, consistent = 0, warmup = 0;
    double modulo_later = 0, consistent_later = 0, warmup_later = 0;
  } misses;
};

/// Share of keys moved when the last of N nodes leaves, for N = 2 .. max_nodes, per algorithm.
std::vector<MovedCurve> moved_curves(const std::vector<std::string>& algorithms, std::size_t max_nodes,
                                     std::size_t keys, std::uint64_t seed);

/// One SVG document with the three pictures stacked (`ring_algorithm` is drawn in picture (a)); with
/// a live run, its three pictures in a second column beside them.
std::string render_svg(const std::string& ring_algorithm, const SimulateOptions& options,
                       const std::vector<SimulateResult>& results, const std::vector<MovedCurve>& curves,
                       const LiveRun* live = nullptr);

}  // namespace ringleader::cli
