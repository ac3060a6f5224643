// needless_moves (facts: placement_change.hpp).
#include "proxy/config/placement_change.hpp"

#include <cstdio>
#include <string>
#include <unordered_map>

namespace ringleader::config {
namespace {

// Enough keys that a share of 0.5% is seen as such (about 100 of them), few enough for a reload.
constexpr int kSampleKeys = 20'000;

std::unordered_map<std::string, std::uint32_t> weights(const Placement& p) {
  std::unordered_map<std::string, std::uint32_t> out;
  for (const PlacementMember& m : p.members()) out.emplace(m.identity(), m.weight);
  return out;
}

}  // namespace

std::optional<double> needless_moves(const Pool& before, const Pool& after) {
  if (!after.distribution_info().by_position || before.distribution != after.distribution ||
      before.hash != after.hash || before.hash_tag != after.hash_tag || before.servers.empty() || after.servers.empty())
    return std::nullopt;
  const Placement old_placement = make_placement(before);
  const Placement new_placement = make_placement(after);
  // A server stays if it is in both, with the same weight: keys may move to or from any other.
  const auto old_weights = weights(old_placement);
  const auto new_weights = weights(new_placement);
  const auto stays = [&](const std::string& name) {
    const auto it = new_weights.find(name);
    return it != new_weights.end() && old_weights.contains(name) && old_weights.at(name) == it->second;
  };
  int kept = 0, moved = 0;
  for (int i = 0; i < kSampleKeys; ++i) {
    const std::string key = "ringleader:sample:" + std::to_string(i);
    const std::string& was = old_placement.members()[old_placement.server_for(key)].identity();
    const std::string& is = new_placement.members()[new_placement.server_for(key)].identity();
    if (!stays(was)) continue;  // its server left or changed weight: it may have to move
    ++kept;
    if (is != was && stays(is)) ++moved;
  }
  if (moved == 0) return std::nullopt;
  return static_cast<double>(moved) / kept;
}

std::string needless_moves_warning(const Pool& pool, double share) {
  char percent[16];
  std::snprintf(percent, sizeof percent, "%.1f%%", share * 100);
  return "pool '" + pool.name + "': " + percent + " of the keys of the servers that stay move to another of them: " +
         pool.distribution + " places keys by the order of the server lines, and a line was deleted, moved, " +
         "inserted or changed weight; to let a server go, keep its line and end it with ' removed' " +
         "(\"host:port:weight [name] removed\"), and put a new server in place of a removed line of the same " +
         "weight or at the end (docs/operations.md, \"Stable slots\")";
}

}  // namespace ringleader::config
