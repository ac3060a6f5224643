#include "cli/simulate.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <limits>
#include <memory>
#include <stdexcept>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/pictures.hpp"
#include "cli/simulate_pool.hpp"
#include "ringleader/distribution.hpp"
#include "ringleader/hash/xxh3.hpp"

namespace ringleader::cli {
namespace {

using Clock = std::chrono::steady_clock;

std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// A progress bar on stderr, drawn only once the run has taken more than a second.
class Progress {
 public:
  Progress(bool enabled, std::size_t total) : enabled_(enabled), total_(total) {}
  ~Progress() {
    if (drawn_) std::fputs("\r\033[K", stderr);
  }
  void step(std::string_view what) {
    ++done_;
    if (!enabled_ || Clock::now() - start_ < std::chrono::seconds(1)) return;
    drawn_ = true;
    constexpr int kWidth = 30;
    int filled = static_cast<int>(kWidth * done_ / total_);
    std::fprintf(stderr, "\r[%-*s] %3zu%% %.*s\033[K", kWidth, std::string(filled, '#').c_str(),
                 100 * done_ / total_, static_cast<int>(what.size()), what.data());
  }

 private:
  bool enabled_;
  std::size_t total_, done_ = 0;
  bool drawn_ = false;
  Clock::time_point start_ = Clock::now();
};

// Index of every node ever seen (base nodes first, then the joining ones), by name.
using NodeIndex = std::unordered_map<std::string_view, std::uint32_t>;

// Owner of every key as a NodeIndex value, so placements of different memberships compare by node
// name, never by bucket position.
std::vector<std::uint32_t> owners(const Distribution& d, const std::vector<std::uint64_t>& hashes,
                                  const NodeIndex& index) {
  std::vector<std::uint32_t> name_of_bucket(d.membership().size());
  for (std::size_t b = 0; b < name_of_bucket.size(); ++b)
    name_of_bucket[b] = index.at(d.membership()[static_cast<BucketId>(b)].name);
  std::vector<std::uint32_t> out(hashes.size());
  for (std::size_t i = 0; i < hashes.size(); ++i) out[i] = name_of_bucket[d.lookup(hashes[i])];
  return out;
}

double share_moved(const std::vector<std::uint32_t>& a, const std::vector<std::uint32_t>& b) {
  std::size_t moved = 0;
  for (std::size_t i = 0; i < a.size(); ++i) moved += a[i] != b[i];
  return a.empty() ? 0.0 : static_cast<double>(moved) / static_cast<double>(a.size());
}

// End to end ns per lookup (hash a 16-byte key, then look it up) of each table, measured alike: one
// untimed pass over every table first (caches, branch predictors, the CPU's clock), then kTimedRounds
// timed passes with the order of the tables reversed every round, and the fastest pass of each
// counts. Timing each table once, in turn, charged the first one for the warm-up: modulo showed
// 45.6 ns when measured first and 3.5 ns otherwise.
std::vector<double> lookup_ns(const std::vector<std::unique_ptr<Distribution>>& tables,
                              const std::vector<std::string>& keys) {
  constexpr int kTimedRounds = 3;
  std::uint64_t sink = 0;
  auto pass = [&](const Distribution& d) {
    const auto t0 = Clock::now();
    for (const auto& k : keys) sink += d.lookup(hash::xxh3(k));
    return std::chrono::duration<double, std::nano>(Clock::now() - t0).count() / static_cast<double>(keys.size());
  };
  for (const auto& d : tables) pass(*d);
  std::vector<double> best(tables.size(), std::numeric_limits<double>::infinity());
  for (int round = 0; round < kTimedRounds; ++round) {
    for (std::size_t i = 0; i < tables.size(); ++i) {
      const std::size_t a = round % 2 == 0 ? i : tables.size() - 1 - i;
      best[a] = std::min(best[a], pass(*tables[a]));
    }
  }
  if (sink == 0xFFFF'FFFF'FFFF'FFFFull) std::fputc('\0', stderr);  // keeps the loops from being optimized away
  return best;
}

// The nodes named by --leave (a name or an index), else the last --remove ones, else the middle one.
std::vector<std::string> leaving_nodes(const SimulateOptions& o, const Membership& base) {
  if (!o.leave.empty() && o.remove > 0) throw std::invalid_argument("--leave and --remove: give one of them");
  std::vector<std::string> out;
  for (const std::string& which : o.leave) {
    const bool digits = !which.empty() && which.size() < 10 &&
                        std::all_of(which.begin(), which.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (digits && std::stoul(which) < base.size()) {
      out.push_back(base[static_cast<BucketId>(std::stoul(which))].name);
    } else if (base.find(which)) {
      out.push_back(which);
    } else {
      throw std::invalid_argument("--leave " + which + ": no such node (node-0 .. node-" +
                                  std::to_string(base.size() - 1) + ", or an index)");
    }
    if (std::count(out.begin(), out.end(), out.back()) > 1) throw std::invalid_argument("--leave " + which + ": named twice");
  }
  if (out.size() >= base.size()) throw std::invalid_argument("--leave: some node must remain");
  if (!o.leave.empty()) return out;
  for (std::size_t i = base.size() - o.remove; i < base.size(); ++i) out.push_back(base[static_cast<BucketId>(i)].name);
  if (o.remove == 0 && base.size() > 1) out.push_back(base[static_cast<BucketId>(base.size() / 2)].name);
  return out;
}

}  // namespace

Membership simulated_membership(const SimulateOptions& o) {
  if (!o.weights.empty() && o.weights.size() != o.nodes)
    throw std::invalid_argument("--weights has " + std::to_string(o.weights.size()) +
                                " values for " + std::to_string(o.nodes) + " nodes");
  std::vector<Node> nodes;
  for (std::size_t i = 0; i < o.nodes; ++i)
    nodes.push_back({"node-" + std::to_string(i), o.weights.empty() ? 1u : o.weights[i]});
  return Membership(std::move(nodes));
}

std::vector<std::string> simulated_keys(std::size_t count, std::uint64_t seed) {
  std::vector<std::string> keys(count);
  char buf[17];
  for (std::size_t i = 0; i < count; ++i) {
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(splitmix64(seed + i)));
    keys[i].assign(buf, 16);
  }
  return keys;
}

std::vector<SimulateResult> simulate(const SimulateOptions& o) {
  if (o.nodes == 0) throw std::invalid_argument("--nodes must be at least 1");
  if (o.keys == 0) throw std::invalid_argument("--keys must be at least 1");
  if (o.remove >= o.nodes)
    throw std::invalid_argument("--remove must be smaller than --nodes (some node must remain)");
  const Membership base = simulated_membership(o);
  const std::vector<std::string> leaving = leaving_nodes(o, base);
  const auto keys = simulated_keys(o.keys, o.seed);
  std::vector<std::uint64_t> hashes(keys.size());
  std::transform(keys.begin(), keys.end(), hashes.begin(), [](const std::string& k) { return hash::xxh3(k); });

  // A new nodes of weight 1 join.
  std::vector<std::string> names;
  for (const Node& n : base.nodes()) names.push_back(n.name);
  for (std::size_t j = 0; j < o.add; ++j) names.push_back("node-" + std::to_string(o.nodes + j));
  NodeIndex index;
  for (std::size_t i = 0; i < names.size(); ++i) index.emplace(names[i], static_cast<std::uint32_t>(i));

  std::uint64_t leaving_weight = 0;
  for (const auto& n : leaving) leaving_weight += base[*base.find(n)].weight;
  const double total = static_cast<double>(base.total_weight());

  // Every table is built first, so that the lookups below are timed on tables built alike.
  Progress progress(o.progress, o.algorithms.size() * 4);
  std::vector<SimulateResult> results;
  std::vector<std::unique_ptr<Distribution>> tables;
  for (const std::string& name : o.algorithms) {
    SimulateResult r;
    r.algorithm = name;
    r.nodes = o.nodes;
    r.keys = o.keys;
    const auto t0 = Clock::now();
    tables.push_back(make_distribution(name, base));
    r.build_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    r.memory_bytes = tables.back()->memory_bytes();
    results.push_back(std::move(r));
  }
  if (o.time_lookups) {
    const auto ns = lookup_ns(tables, keys);
    for (std::size_t a = 0; a < results.size(); ++a) results[a].lookup_ns = ns[a];
  }
  for (std::size_t a = 0; a < results.size(); ++a) progress.step(results[a].algorithm);

  for (std::size_t a = 0; a < results.size(); ++a) {
    SimulateResult& r = results[a];
    const auto before = owners(*tables[a], hashes, index);
    r.load.assign(o.nodes, 0);
    for (auto owner : before) ++r.load[owner];
    double peak = 0, sq = 0;
    for (std::size_t i = 0; i < o.nodes; ++i) {
      double expected = static_cast<double>(o.keys) * base[static_cast<BucketId>(i)].weight / total;
      double ratio = static_cast<double>(r.load[i]) / expected;
      peak = std::max(peak, ratio);
      sq += (ratio - 1) * (ratio - 1);
    }
    r.peak_to_mean = peak;
    r.rel_stddev = std::sqrt(sq / static_cast<double>(o.nodes));
    progress.step(r.algorithm);

    r.moved_on_remove = !leaving.empty() ? share_moved(before, owners(*tables[a]->without(leaving), hashes, index)) : 0;
    r.optimal_remove = static_cast<double>(leaving_weight) / total;
    progress.step(r.algorithm);

    auto grown = std::shared_ptr<const Distribution>(std::move(tables[a]));
    for (std::size_t j = 0; j < o.add; ++j) grown = grown->with(Node{names[o.nodes + j], 1});
    r.moved_on_add = o.add ? share_moved(before, owners(*grown, hashes, index)) : 0;
    r.optimal_add = static_cast<double>(o.add) / (total + static_cast<double>(o.add));
    progress.step(r.algorithm);
  }
  return results;
}

namespace {

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= s.size()) {
    std::size_t end = s.find(',', start);
    if (end == std::string::npos) end = s.size();
    if (end > start) out.push_back(s.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

void print_table(const std::vector<SimulateResult>& results, const SimulateOptions& o) {
  std::string leaving;
  for (const std::string& name : leaving_nodes(o, simulated_membership(o))) leaving += (leaving.empty() ? "" : ", ") + name;
  std::printf("%zu nodes, %zu keys: %s leave%s, %zu join%s\n\n", o.nodes, o.keys, leaving.empty() ? "none" : leaving.c_str(),
              leaving.find(',') == std::string::npos ? "s" : "", o.add, o.add == 1 ? "s" : "");
  std::printf("%-11s %17s %17s %9s %8s %9s %9s %11s\n", "algorithm", "moved on remove", "moved on add",
              "peak/mean", "rel.std", "lookup ns", "build ms", "memory");
  for (const auto& r : results) {
    char rem[32], add[32];
    std::snprintf(rem, sizeof rem, "%5.1f%% (opt %4.1f%%)", 100 * r.moved_on_remove, 100 * r.optimal_remove);
    std::snprintf(add, sizeof add, "%5.1f%% (opt %4.1f%%)", 100 * r.moved_on_add, 100 * r.optimal_add);
    std::printf("%-11s %17s %17s %9.3f %8.4f %9.1f %9.2f %11zu\n", r.algorithm.c_str(), rem, add, r.peak_to_mean,
                r.rel_stddev, r.lookup_ns, r.build_ms, r.memory_bytes);
  }
}

void write_svg(const std::string& path, const SimulateOptions& o, const std::vector<SimulateResult>& results) {
  const bool has_ring = std::find(o.algorithms.begin(), o.algorithms.end(), "ring") != o.algorithms.end();
  auto curves = moved_curves(o.algorithms, 16, std::min<std::size_t>(o.keys, 100'000), o.seed);
  std::ofstream out(path);
  out << render_svg(has_ring ? "ring" : o.algorithms.front(), o, results, curves);
  if (!out.flush()) throw CLI::RuntimeError("simulate: cannot write " + path, 1);
}

nlohmann::json to_json(const std::vector<SimulateResult>& results) {
  auto out = nlohmann::json::array();
  for (const auto& r : results)
    out.push_back({{"algorithm", r.algorithm},
                   {"nodes", r.nodes},
                   {"keys", r.keys},
                   {"moved_on_remove", r.moved_on_remove},
                   {"optimal_remove", r.optimal_remove},
                   {"moved_on_add", r.moved_on_add},
                   {"optimal_add", r.optimal_add},
                   {"peak_to_mean", r.peak_to_mean},
                   {"rel_stddev", r.rel_stddev},
                   {"lookup_ns", r.lookup_ns},
                   {"build_ms", r.build_ms},
                   {"memory_bytes", r.memory_bytes}});
  return out;
}

}  // namespace

void add_simulate(CLI::App& app) {
  auto* cmd = app.add_subcommand("simulate", "Show how many keys move when nodes leave or join, and how even the load is");
  struct Args {
    std::string algorithms = "all";
    std::string weights;
    std::string svg;
    bool json = false;
    SimulateOptions options;
    PoolArgs pool;                    // -c: a pool's placement over keys from standard input
    std::vector<std::string> joining;  // --join, with -c
  };
  auto args = std::make_shared<Args>();
  cmd->add_option("-a,--algorithm", args->algorithms, "An algorithm, a comma list, or all")->capture_default_str();
  cmd->add_option("-n,--nodes", args->options.nodes, "Number of nodes")->capture_default_str()->check(kAtLeastOne);
  cmd->add_option("-k,--keys", args->options.keys, "Number of keys")->capture_default_str()->check(kAtLeastOne);
  cmd->add_option("--leave", args->options.leave,
                  "A node that leaves: node-I or I (repeatable; default: the middle one, node-N/2)");
  cmd->add_option("-r,--remove", args->options.remove, "Instead of --leave: this many of the last nodes leave");
  cmd->add_option("--add", args->options.add, "Nodes that join")->capture_default_str();
  cmd->add_option("-w,--weights", args->weights, "Weights w1,w2,... (one per node; default all 1)");
  cmd->add_option("--seed", args->options.seed, "Seed of the generated keys")->capture_default_str();
  cmd->add_flag("--json", args->json, "Print one JSON document instead of a table");
  cmd->add_option("--svg", args->svg, "Also draw the ring, the load and the keys moved against N to this SVG file");
  args->pool.add_options(cmd, false);
  cmd->add_option("--join", args->joining, "With -c: a server line that joins the pool (repeatable)")->allow_extra_args(false);
  cmd->callback([args] {
    if (!args->pool.config.empty()) {
      simulate_pool(args->pool, args->joining, args->json);
      return;
    }
    if (!args->joining.empty() || !args->pool.pool.empty())
      throw CLI::ValidationError("simulate", "--join and --pool need -c FILE (a pool's placement over keys on standard input)");
    SimulateOptions& o = args->options;
    if (args->algorithms == "all") {
      for (auto n : algorithm_names()) o.algorithms.emplace_back(n);
    } else {
      o.algorithms = split_commas(args->algorithms);
    }
    for (const auto& w : split_commas(args->weights)) {
      try {
        std::size_t used = 0;
        long v = std::stol(w, &used);
        if (used != w.size() || v <= 0 || v > 0xFFFFFFFFL) throw std::out_of_range(w);
        o.weights.push_back(static_cast<std::uint32_t>(v));
      } catch (const std::exception&) {
        throw CLI::ValidationError("--weights", "'" + w + "' is not a positive integer weight");
      }
    }
    o.progress = !args->json && isatty(STDERR_FILENO);
    std::vector<SimulateResult> results;
    try {
      results = simulate(o);
    } catch (const std::invalid_argument& e) {
      throw CLI::ValidationError("simulate", e.what());  // a usage error: exit code 2
    }
    if (args->json)
      std::cout << to_json(results).dump(2) << '\n';
    else
      print_table(results, o);
    if (!args->svg.empty()) write_svg(args->svg, o, results);
  });
}

}  // namespace ringleader::cli
