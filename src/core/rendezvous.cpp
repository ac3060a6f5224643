// Rendezvous: weighted HRW with the logarithmic method (see algo/rendezvous.hpp).
#include "ringleader/algo/rendezvous.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include <xxhash.h>

#include "ringleader/algo/detail/distinct.hpp"
#include "ringleader/algo/detail/mix.hpp"

namespace ringleader::algo {

namespace {

constexpr std::uint64_t kNodeSeed = 0x72656e64657a766fULL;  // "rendezvo": fixed forever

// The per-(key, node) uniform value, 53 bits: the same bits feed both the equal-weight comparison
// and u in (0, 1) for the logarithm, so both paths order nodes identically.
std::uint64_t draw(std::uint64_t key_hash, std::uint64_t seed) noexcept {
  return detail::fmix64(key_hash ^ seed) >> 11;
}

}  // namespace

Rendezvous::Rendezvous(const Membership& nodes) : nodes_(nodes), equal_weights_(nodes.uniform_weights()) {
  seeds_.reserve(nodes.size());
  weights_.reserve(nodes.size());
  for (const Node& n : nodes.nodes()) {
    seeds_.push_back(XXH3_64bits_withSeed(n.name.data(), n.name.size(), kNodeSeed));
    weights_.push_back(static_cast<double>(n.weight));
  }
}

double Rendezvous::score(std::uint64_t key_hash, BucketId node) const noexcept {
  const double u = (static_cast<double>(draw(key_hash, seeds_[node])) + 0.5) * 0x1p-53;
  return -std::log(u) / weights_[node];
}

bool Rendezvous::better(std::uint64_t key_hash, BucketId a, BucketId b) const noexcept {
  if (equal_weights_) {
    const std::uint64_t da = draw(key_hash, seeds_[a]);
    const std::uint64_t db = draw(key_hash, seeds_[b]);
    if (da != db) return da > db;
  } else {
    const double sa = score(key_hash, a);
    const double sb = score(key_hash, b);
    if (sa != sb) return sa < sb;
  }
  if (seeds_[a] != seeds_[b]) return seeds_[a] < seeds_[b];
  return nodes_[a].name < nodes_[b].name;
}

BucketId Rendezvous::lookup(std::uint64_t key_hash) const noexcept {
  BucketId best = 0;
  if (equal_weights_) {
    std::uint64_t best_draw = draw(key_hash, seeds_[0]);
    for (BucketId id = 1; id < seeds_.size(); ++id) {
      const std::uint64_t d = draw(key_hash, seeds_[id]);
      if (d > best_draw || (d == best_draw && better(key_hash, id, best))) {
        best = id;
        best_draw = d;
      }
    }
    return best;
  }
  double best_score = score(key_hash, 0);
  for (BucketId id = 1; id < seeds_.size(); ++id) {
    const double s = score(key_hash, id);
    if (s < best_score || (s == best_score && better(key_hash, id, best))) {
      best = id;
      best_score = s;
    }
  }
  return best;
}

void Rendezvous::lookup_n(std::uint64_t key_hash, std::span<BucketId> out) const {
  detail::check_replica_count(out.size(), nodes_.size());
  if (out.empty()) return;
  std::vector<BucketId> ids(nodes_.size());
  std::iota(ids.begin(), ids.end(), BucketId{0});
  const auto k = static_cast<std::ptrdiff_t>(out.size());
  std::partial_sort(ids.begin(), ids.begin() + k, ids.end(),
                    [&](BucketId a, BucketId b) { return better(key_hash, a, b); });
  std::copy(ids.begin(), ids.begin() + k, out.begin());
}

}  // namespace ringleader::algo
