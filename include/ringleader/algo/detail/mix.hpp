// Internal arithmetic shared by the algorithms: a fixed 64-bit mixer, range reduction, jump hash.
//
// Everything here is part of placement, so it is fixed forever (changing it moves keys): no
// std::hash, no platform-dependent widths, no randomness chosen at run time.
#pragma once

#include <cstdint>

namespace ringleader::algo::detail {

/// MurmurHash3's 64-bit finalizer (Appleby, "fmix64"): a bijection with full avalanche.
constexpr std::uint64_t fmix64(std::uint64_t x) noexcept {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

/// An independent-looking 64-bit hash of (key hash, salt): used wherever an algorithm needs
/// "hash the key again, seeded by b" (Anchor, Memento, probes, retries). The golden-ratio multiple
/// spreads small salts over all bits before the finalizer.
constexpr std::uint64_t mix(std::uint64_t key_hash, std::uint64_t salt) noexcept {
  return fmix64(key_hash ^ ((salt + 1) * 0x9E3779B97F4A7C15ULL));
}

/// Maps a uniform 64-bit value onto [0, range) with one multiplication (Lemire, "a fast alternative
/// to the modulo reduction", 2016). Uniform to within range/2^64, and faster than `%` by a runtime
/// divisor, which is why the table-based algorithms use it instead of the papers' `hash mod m`.
inline std::uint32_t reduce(std::uint64_t x, std::uint32_t range) noexcept {
  __extension__ using u128 = unsigned __int128;
  return static_cast<std::uint32_t>((static_cast<u128>(x) * range) >> 64);
}

/// Jump consistent hash, exactly as the C++ listing of Lamping & Veach 2014 (the LCG, the shift by 33 and
/// the double-precision division are the paper's; IEEE-754 makes the result the same everywhere).
inline std::uint32_t jump(std::uint64_t key, std::uint32_t buckets) noexcept {
  std::int64_t b = -1;
  std::int64_t j = 0;
  while (j < static_cast<std::int64_t>(buckets)) {
    b = j;
    key = key * 2862933555777941757ULL + 1;
    j = static_cast<std::int64_t>(static_cast<double>(b + 1) *
                                  (static_cast<double>(1LL << 31) / static_cast<double>((key >> 33) + 1)));
  }
  return static_cast<std::uint32_t>(b);
}

}  // namespace ringleader::algo::detail
