// Maglev: table population (Eisenbud et al. 2016, section 3.4, Pseudocode 1) with Envoy's weights.
#include "ringleader/algo/maglev.hpp"

#include <algorithm>
#include <numeric>
#include <stdexcept>
#include <string>

#include <xxhash.h>

namespace ringleader::algo {

namespace {

// Seeds of the two name hashes that give each node its offset and skip (fixed forever).
constexpr std::uint64_t kOffsetSeed = 0x6d61676c65763031ULL;  // "maglev01"
constexpr std::uint64_t kSkipSeed = 0x6d61676c65763032ULL;    // "maglev02"
constexpr std::uint32_t kMaxTableSize = 1u << 26;

bool is_prime(std::uint32_t m) {
  if (m < 2) return false;
  for (std::uint64_t d = 2; d * d <= m; ++d)
    if (m % d == 0) return false;
  return true;
}

}  // namespace

Maglev::Maglev(const Membership& nodes, MaglevOptions options) : nodes_(nodes) {
  const std::uint32_t m = options.table_size;
  if (m > kMaxTableSize || !is_prime(m))
    throw std::invalid_argument("maglev: table size " + std::to_string(m) + " must be a prime <= " +
                                std::to_string(kMaxTableSize) + " (e.g. 65537)");
  if (m < nodes.size())
    throw std::invalid_argument("maglev: table size " + std::to_string(m) + " is smaller than the " +
                                std::to_string(nodes.size()) + " nodes; use a prime >= 100 x nodes");

  struct Turn {
    BucketId node;
    std::uint64_t position;  // current slot of the node's permutation
    std::uint64_t skip;
    std::uint64_t weight;
    std::uint64_t target = 0;  // Envoy's target_weight: next round at which the node plays
  };
  std::vector<Turn> turns;
  turns.reserve(nodes.size());
  std::uint64_t max_weight = 0;
  for (BucketId id = 0; id < nodes.size(); ++id) {
    const std::string& name = nodes[id].name;
    const std::uint64_t offset = XXH3_64bits_withSeed(name.data(), name.size(), kOffsetSeed) % m;
    const std::uint64_t skip = XXH3_64bits_withSeed(name.data(), name.size(), kSkipSeed) % (m - 1) + 1;
    turns.push_back({id, offset, skip, nodes[id].weight});
    max_weight = std::max<std::uint64_t>(max_weight, nodes[id].weight);
  }
  // Turn order by name, not list position, so reordering the membership changes nothing.
  std::sort(turns.begin(), turns.end(),
            [&](const Turn& a, const Turn& b) { return nodes[a.node].name < nodes[b.node].name; });

  constexpr BucketId kEmpty = 0xFFFF'FFFFu;
  table_.assign(m, kEmpty);
  std::uint32_t filled = 0;
  for (std::uint64_t round = 0; filled < m; ++round) {
    for (Turn& t : turns) {
      if (filled == m) break;
      // A node of weight w plays in w / max_weight of the rounds.
      if (round * t.weight < t.target) continue;
      t.target += max_weight;
      while (table_[t.position] != kEmpty) t.position = (t.position + t.skip) % m;
      table_[t.position] = t.node;
      t.position = (t.position + t.skip) % m;
      ++filled;
    }
  }
}

}  // namespace ringleader::algo
