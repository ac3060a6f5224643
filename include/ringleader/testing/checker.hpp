// The consistent-hashing checker: what every algorithm of ringleader promises, as functions you can
// run against ours or your own (as absl ships VerifyTypeImplementsAbslHashCorrectly).
//
// Each check looks up a sample of keys and returns a Verdict: ok, the figure it measured, and a
// message naming the first counterexample. It needs no test framework:
//
//   auto keys = ringleader::testing::sample_keys(100'000);
//   auto before = ringleader::make_distribution("anchor", ringleader::Membership::uniform(10));
//   std::vector<std::string> gone = {"node-3"};
//   auto after = before->without(gone);
//   auto v = ringleader::testing::check_removal(*before, *after, gone, keys);
//   EXPECT_TRUE(v) << v.message;                 // in GoogleTest; or: if (!v) throw ...
//
// verify_distribution() runs all of them on a Distribution with the promises its header makes.
//
// Nodes are compared by name, never by BucketId, since ids shift when a node leaves.
// Balance checks are sampled: a perfectly balanced algorithm still shows a peak-to-mean of about
// 1 + sqrt(2 ln n) x sampling_noise(); pass bounds that include that allowance.
#pragma once

#include <algorithm>
#include <cmath>
#include <concepts>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ringleader/algo/detail/mix.hpp"
#include "ringleader/distribution.hpp"
#include "ringleader/membership.hpp"

namespace ringleader::testing {

/// Anything with lookup(key_hash) and membership(): every algorithm of algo/ and Distribution.
template <class T>
concept LookupTable = requires(const T& t, std::uint64_t h) {
  { t.lookup(h) } -> std::convertible_to<BucketId>;
  { t.membership() } -> std::convertible_to<const Membership&>;
};

struct Verdict {
  bool ok = true;
  double measured = 0;  // the figure checked: moved fraction, peak-to-mean, worst weight error ...
  std::string message;  // empty when ok; else what failed and the first counterexample

  explicit operator bool() const noexcept { return ok; }
};

/// `count` key hashes from a fixed seed (SplitMix64 through fmix64): the same keys on every run.
inline std::vector<std::uint64_t> sample_keys(std::size_t count, std::uint64_t seed = 1) {
  std::vector<std::uint64_t> keys(count);
  for (std::size_t i = 0; i < count; ++i) keys[i] = algo::detail::mix(seed, i);
  return keys;
}

/// The relative standard deviation of a node's sampled load when its expected share is `share`.
inline double sampling_noise(std::size_t keys, double share) {
  return std::sqrt((1.0 - share) / (static_cast<double>(keys) * share));
}

namespace detail {

inline bool contains(std::span<const std::string> names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

inline std::string hex(std::uint64_t h) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s = "0x";
  for (int shift = 60; shift >= 0; shift -= 4) s += kDigits[(h >> shift) & 0xF];
  return s;
}

template <LookupTable T>
std::string_view owner(const T& t, std::uint64_t h) {
  return t.membership()[t.lookup(h)].name;
}

// Every key that changes owner from `before` to `after`: problem(was, now) says why that move is
// wrong, or is empty. measured = fraction of keys that moved; the message names the first wrong move.
template <LookupTable A, LookupTable B, class Problem>
Verdict check_moves(const A& before, const B& after, std::span<const std::uint64_t> keys, Problem problem) {
  Verdict v;
  std::size_t moved = 0;
  for (std::uint64_t h : keys) {
    const std::string_view was = owner(before, h);
    const std::string_view now = owner(after, h);
    if (was == now) continue;
    ++moved;
    if (!v.ok) continue;
    if (const std::string why = problem(was, now); !why.empty()) {
      v.ok = false;
      v.message = "key " + hex(h) + " moved from '" + std::string(was) + "' to '" + std::string(now) + "' " + why;
    }
  }
  v.measured = keys.empty() ? 0 : static_cast<double>(moved) / static_cast<double>(keys.size());
  return v;
}

}  // namespace detail

/// Minimal disruption on removal: every key whose node is still present keeps it (only the removed
/// nodes' keys move). measured = fraction of keys that moved.
template <LookupTable A, LookupTable B>
Verdict check_removal(const A& before, const B& after, std::span<const std::string> removed,
                      std::span<const std::uint64_t> keys) {
  return detail::check_moves(before, after, keys, [&](std::string_view was, std::string_view) {
    return detail::contains(removed, was) ? std::string() : "although '" + std::string(was) + "' did not leave";
  });
}

/// Minimal disruption on addition: every key that moves, moves to an added node.
/// measured = fraction of keys that moved.
template <LookupTable A, LookupTable B>
Verdict check_addition(const A& before, const B& after, std::span<const std::string> added,
                       std::span<const std::uint64_t> keys) {
  return detail::check_moves(before, after, keys, [&](std::string_view, std::string_view now) {
    return detail::contains(added, now) ? std::string() : std::string("which is not a new node");
  });
}

/// Bounded extra movement (Maglev): the fraction of keys that moved although neither their old
/// node left nor their new node joined is at most max_extra. measured = that fraction.
template <LookupTable A, LookupTable B>
Verdict check_extra_movement(const A& before, const B& after, std::span<const std::string> changed,
                             std::span<const std::uint64_t> keys, double max_extra) {
  Verdict v;
  std::size_t extra = 0;
  for (std::uint64_t h : keys) {
    const std::string_view was = detail::owner(before, h);
    const std::string_view now = detail::owner(after, h);
    if (was != now && !detail::contains(changed, was) && !detail::contains(changed, now)) ++extra;
  }
  v.measured = keys.empty() ? 0 : static_cast<double>(extra) / static_cast<double>(keys.size());
  if (v.measured > max_extra) {
    v.ok = false;
    v.message = "extra movement " + std::to_string(v.measured) + " exceeds " + std::to_string(max_extra);
  }
  return v;
}

/// Per node: sampled load divided by the load its weight entitles it to (1.0 = exactly its share).
template <LookupTable T>
std::vector<double> relative_loads(const T& table, std::span<const std::uint64_t> keys) {
  const Membership& m = table.membership();
  std::vector<double> loads(m.size(), 0.0);
  for (std::uint64_t h : keys) loads[table.lookup(h)] += 1.0;
  for (BucketId id = 0; id < m.size(); ++id)
    loads[id] /= static_cast<double>(keys.size()) * m[id].weight / static_cast<double>(m.total_weight());
  return loads;
}

/// Balance: the most loaded node, relative to its weight's share, is at most max_peak_to_mean.
/// measured = peak-to-mean of the weight-normalised loads.
template <LookupTable T>
Verdict check_balance(const T& table, std::span<const std::uint64_t> keys, double max_peak_to_mean) {
  Verdict v;
  const std::vector<double> loads = relative_loads(table, keys);
  const auto peak = std::max_element(loads.begin(), loads.end());
  v.measured = *peak;
  if (v.measured > max_peak_to_mean) {
    v.ok = false;
    v.message = "node '" + table.membership()[static_cast<BucketId>(peak - loads.begin())].name +
                "' carries " + std::to_string(v.measured) + " x its share, above the bound " +
                std::to_string(max_peak_to_mean);
  }
  return v;
}

/// Weights honoured: every node's sampled share is within `tolerance` (relative) of
/// weight / total_weight. measured = the worst relative error.
template <LookupTable T>
Verdict check_weights(const T& table, std::span<const std::uint64_t> keys, double tolerance) {
  Verdict v;
  const std::vector<double> loads = relative_loads(table, keys);
  for (BucketId id = 0; id < loads.size(); ++id) {
    const double error = std::abs(loads[id] - 1.0);
    if (error > v.measured) v.measured = error;
    if (v.ok && error > tolerance) {
      v.ok = false;
      v.message = "node '" + table.membership()[id].name + "' (weight " +
                  std::to_string(table.membership()[id].weight) + ") gets " + std::to_string(loads[id]) +
                  " x its share; tolerance is " + std::to_string(tolerance);
    }
  }
  return v;
}

/// lookup_n: `replicas` distinct valid nodes, the first equal to lookup(). measured = replicas.
template <class T>
Verdict check_lookup_n(const T& table, std::span<const std::uint64_t> keys, std::size_t replicas) {
  Verdict v;
  v.measured = static_cast<double>(replicas);
  const std::size_t n = table.membership().size();
  std::vector<BucketId> out(replicas);
  for (std::uint64_t h : keys) {
    table.lookup_n(h, out);
    std::vector<BucketId> sorted = out;
    std::sort(sorted.begin(), sorted.end());
    const bool distinct = std::adjacent_find(sorted.begin(), sorted.end()) == sorted.end();
    const bool in_range = sorted.empty() || sorted.back() < n;
    const bool first = out.empty() || out[0] == table.lookup(h);
    if (!distinct || !in_range || !first) {
      v.ok = false;
      v.message = "lookup_n(" + detail::hex(h) + ", " + std::to_string(replicas) + ") " +
                  (!distinct ? "repeats a node" : !in_range ? "returns an id out of range"
                                                            : "does not start with lookup()");
      return v;
    }
  }
  return v;
}

/// Both tables put every key on the same node name (determinism, order independence, two
/// implementations of one algorithm). measured = fraction of keys that differ.
template <LookupTable A, LookupTable B>
Verdict check_same_placement(const A& a, const B& b, std::span<const std::uint64_t> keys) {
  Verdict v;
  std::size_t differ = 0;
  for (std::uint64_t h : keys) {
    const std::string_view x = detail::owner(a, h);
    const std::string_view y = detail::owner(b, h);
    if (x == y) continue;
    if (differ++ == 0)
      v.message = "key " + detail::hex(h) + " goes to '" + std::string(x) + "' and to '" + std::string(y) + "'";
  }
  v.ok = differ == 0;
  v.measured = keys.empty() ? 0 : static_cast<double>(differ) / static_cast<double>(keys.size());
  return v;
}

/// What an algorithm promises; verify_distribution() checks each.
struct Promises {
  enum class Removal {
    any_node,   // removing any node moves only its keys
    last_node,  // only removing the last node is minimal (Jump)
    none,       // no promise (Modulo)
  };
  Removal minimal_removal = Removal::any_node;
  bool minimal_addition = true;       // appending a node moves only keys that go to it
  double max_extra_movement = 0;      // if > 0: movement beyond the minimum is allowed up to this (Maglev)
  double max_peak_to_mean = 1.5;      // sampled, weight-normalised; include sampling noise
};

/// Runs every check on `d` (lookups of `keys`): removal of its first, middle and last node, addition
/// of one node, balance, lookup_n for 1, 2 and n replicas. Stops at the first failure.
inline Verdict verify_distribution(const Distribution& d, const Promises& promises,
                                   std::span<const std::uint64_t> keys) {
  const Membership& m = d.membership();
  const std::size_t n = m.size();
  auto fail = [&](Verdict v, const std::string& what) {
    v.message = std::string(d.algorithm()) + ": " + what + ": " + v.message;
    return v;
  };

  if (n > 1 && promises.minimal_removal != Promises::Removal::none) {
    std::vector<BucketId> victims = {static_cast<BucketId>(n - 1)};
    if (promises.minimal_removal == Promises::Removal::any_node) victims = {0, static_cast<BucketId>(n / 2),
                                                                           static_cast<BucketId>(n - 1)};
    for (BucketId victim : victims) {
      const std::vector<std::string> gone = {m[victim].name};
      const auto after = d.without(gone);
      const Verdict v = promises.max_extra_movement > 0
                            ? check_extra_movement(d, *after, gone, keys, promises.max_extra_movement)
                            : check_removal(d, *after, gone, keys);
      if (!v) return fail(v, "removing '" + gone[0] + "'");
    }
  }
  if (promises.minimal_addition) {
    const std::vector<std::string> added = {"ringleader-checker-new-node"};
    const auto after = d.with(Node{added[0], 1});
    const Verdict v = promises.max_extra_movement > 0
                          ? check_extra_movement(d, *after, added, keys, promises.max_extra_movement)
                          : check_addition(d, *after, added, keys);
    if (!v) return fail(v, "adding '" + added[0] + "'");
  }
  if (const Verdict v = check_balance(d, keys, promises.max_peak_to_mean); !v) return fail(v, "balance");
  for (std::size_t replicas : {std::size_t{1}, std::min<std::size_t>(2, n), n}) {
    const std::span<const std::uint64_t> few = keys.first(std::min<std::size_t>(keys.size(), 2000));
    if (const Verdict v = check_lookup_n(d, few, replicas); !v) return fail(v, "lookup_n");
  }
  return {};
}

}  // namespace ringleader::testing
