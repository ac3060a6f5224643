// twemproxy's `distribution: modula` and `distribution: random`.
//
// Source of the facts: twemproxy 0.5.0 src/hashkit/nc_modula.c and nc_random.c. modula lists each
// live server `weight` times, in config order, and sends a key to entry hash % entries: weights are
// honoured, but adding or removing a server moves almost every key. random ignores the key and the
// weights: each request goes to a live server drawn uniformly (twemproxy uses random() seeded with the
// time; we use a per-thread generator, so only the distribution, not the sequence, matches).
//
//   ringleader::compat::TwemproxyModula m(std::vector<std::uint32_t>{1, 2});   // weights
//   std::uint32_t server = m.lookup(ringleader::hash::twemproxy::fnv1a_64("user:42"));
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace ringleader::compat {

class TwemproxyModula {
 public:
  /// Most slots (sum of weights) accepted: 2^22.
  static constexpr std::uint64_t kMaxSlots = std::uint64_t{1} << 22;

  /// weights[i] of live server i, in config order. Throws std::invalid_argument if empty, if a
  /// weight is 0 or if the total exceeds kMaxSlots.
  explicit TwemproxyModula(std::span<const std::uint32_t> weights);

  /// The server (index into weights) for a 32-bit key hash: slots[hash % slots].
  std::uint32_t lookup(std::uint32_t key_hash) const noexcept {
    return slots_[key_hash % static_cast<std::uint32_t>(slots_.size())];
  }
  std::size_t slot_count() const noexcept { return slots_.size(); }
  /// slot -> server; lookup() reads slots()[hash % slot_count()] (replicas take the slots after it).
  std::span<const std::uint32_t> slots() const noexcept { return slots_; }

 private:
  std::vector<std::uint32_t> slots_;
};

class TwemproxyRandom {
 public:
  /// Throws std::invalid_argument if server_count is 0.
  explicit TwemproxyRandom(std::uint32_t server_count);

  /// A live server drawn uniformly for each call; thread-safe (one generator per thread).
  std::uint32_t pick() const noexcept;
  std::uint32_t server_count() const noexcept { return servers_; }

 private:
  std::uint32_t servers_;
};

}  // namespace ringleader::compat
