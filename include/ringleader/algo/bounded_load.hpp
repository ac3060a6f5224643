// BoundedLoad: consistent hashing with bounded loads (Mirrokni, Thorup & Zadimoghaddam, "Consistent
// Hashing with Bounded Loads", SODA 2018, arXiv:1608.01350), as a decorator over any
// algorithm, the way Envoy adds `hash_balance_factor` to its ring and Maglev balancers.
//
// Each request is counted on a node from acquire() until release(). A node of weight w may hold at
// most capacity = ceil(c x L x w / W) requests, where L is the total load including the new request
// and W the total weight (with equal weights: ceil(c x mean)). acquire() tries the key's node, then
// the key's salted re-lookups (the same order lookup_n uses for most algorithms), then the nodes
// after the last one tried, and takes the first with room; one always exists because the
// capacities add up to at least c x L >= L.
//
// Guarantees:
// - never above the bound: the node acquire() returns holds at most ceil(c x L x w / W) requests
//   afterwards. release() moves nothing, so after releases a node can sit above the bound of the
//   smaller total until its own requests finish (the paper moves balls back on deletion; in-flight
//   requests cannot move).
// - consistency degrades gracefully: a key leaves its node only while that node is full.
// - c >= 1 (c = 1 forces perfect balance, larger c keeps more keys home); c < 1, NaN or infinity
//   throws std::invalid_argument.
// - thread-safe: acquire() and release() take a mutex (the decorated table itself is lock-free).
//
//   auto table = std::make_shared<const ringleader::algo::Maglev>(ringleader::Membership::uniform(8));
//   ringleader::algo::BoundedLoad bounded(table, 1.25);
//   ringleader::BucketId node = bounded.acquire(ringleader::hash::xxh3("user:42"));
//   ...                                  // serve the request on `node`
//   bounded.release(node);
#pragma once

#include <cmath>
#include <cstdint>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "ringleader/algo/detail/mix.hpp"
#include "ringleader/membership.hpp"

namespace ringleader::algo {

/// The most requests a node of weight `weight` may hold when the total load (the new request
/// included) is `total` and the nodes' weights add up to `total_weight`: ceil(c x total x w / W).
inline std::uint64_t bounded_capacity(double c, std::uint64_t total, std::uint64_t weight,
                                      std::uint64_t total_weight) {
  const long double share = static_cast<long double>(total) * weight / total_weight;
  return static_cast<std::uint64_t>(std::ceil(static_cast<long double>(c) * share));
}

/// BoundedLoad's probe order, for any table and load count: the key's node (`lookup(key_hash)`),
/// then its salted re-lookups, then `next(node)` up to `nodes` times; the first node with
/// `has_room(node)`. The proxy's router uses it too, with its own loads.
template <class Lookup, class Next, class HasRoom>
BucketId probe_bounded(std::uint64_t key_hash, std::size_t nodes, Lookup lookup, Next next, HasRoom has_room) {
  constexpr std::uint64_t kRehashes = 32;  // salted re-lookups before walking to the next nodes
  BucketId b = lookup(key_hash);
  for (std::uint64_t attempt = 0; !has_room(b) && attempt < kRehashes; ++attempt) b = lookup(detail::mix(key_hash, attempt));
  for (std::size_t step = 0; !has_room(b) && step < nodes; ++step) b = next(b);
  return b;
}

/// Table: anything with `BucketId lookup(uint64_t) const` and `const Membership& membership() const`
/// (every algorithm of algo/, and ringleader::Distribution).
template <class Table>
class BoundedLoad {
 public:
  BoundedLoad(std::shared_ptr<const Table> table, double c) : table_(std::move(table)), c_(c) {
    if (!table_) throw std::invalid_argument("bounded load: no table");
    if (!(c >= 1.0) || std::isinf(c))
      throw std::invalid_argument("bounded load: factor c must be a finite number >= 1, got " + std::to_string(c));
    loads_.assign(table_->membership().size(), 0);
  }

  /// Picks the node for one request and counts it there until release().
  BucketId acquire(std::uint64_t key_hash) {
    const std::size_t n = loads_.size();
    std::lock_guard lock(mutex_);
    const std::uint64_t total = total_ + 1;
    const BucketId b = probe_bounded(
        key_hash, n, [&](std::uint64_t h) { return table_->lookup(h); },
        [&](BucketId node) { return static_cast<BucketId>((node + 1) % n); },
        [&](BucketId node) { return loads_[node] + 1 <= capacity(node, total); });
    ++loads_[b];
    total_ = total;
    return b;
  }

  /// Ends one request on the node acquire() returned. Throws if that node holds none.
  void release(BucketId node) {
    std::lock_guard lock(mutex_);
    if (node >= loads_.size() || loads_[node] == 0)
      throw std::invalid_argument("bounded load: release of node " + std::to_string(node) + " which holds no request");
    --loads_[node];
    --total_;
  }

  /// The most requests node may hold when the total load is `total`: ceil(c x total x w / W).
  std::uint64_t capacity(BucketId node, std::uint64_t total) const {
    const Membership& m = table_->membership();
    return bounded_capacity(c_, total, m[node].weight, m.total_weight());
  }

  std::uint64_t load(BucketId node) const {
    std::lock_guard lock(mutex_);
    return loads_.at(node);
  }
  std::uint64_t total_load() const {
    std::lock_guard lock(mutex_);
    return total_;
  }
  double factor() const noexcept { return c_; }
  const Table& table() const noexcept { return *table_; }

 private:
  std::shared_ptr<const Table> table_;
  double c_;
  mutable std::mutex mutex_;
  std::vector<std::uint64_t> loads_;
  std::uint64_t total_ = 0;
};

template <class Table>
BoundedLoad(std::shared_ptr<Table>, double) -> BoundedLoad<std::remove_const_t<Table>>;

}  // namespace ringleader::algo
