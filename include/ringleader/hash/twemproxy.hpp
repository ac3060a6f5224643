// twemproxy's key hash functions, byte for byte, under their nutcracker.yml names.
//
// Source of the facts: twemproxy 0.5.0 src/hashkit/ (nc_fnv.c, nc_crc32.c, nc_crc16.c, nc_md5.c,
// nc_one_at_a_time.c, nc_hsieh.c, nc_murmur.c, nc_jenkins.c), checked against the real nutcracker
// (Debian 0.5.0) by tests/data/twemproxy/. twemproxy computes these over `const char*` on x86-64, where
// char is signed, and we reproduce what it really computes, quirks included:
//   - one_at_a_time, fnv1_64, fnv1a_64, fnv1_32, fnv1a_32 and hsieh's last byte widen each byte as a
//     signed char: a byte >= 0x80 contributes 0xFFFFFF80.. rather than 0x80..;
//   - fnv1a_64 keeps its state in 32 bits (offset basis and prime truncated), so it is really a 32-bit
//     hash with unusual constants, not FNV-1a-64;
//   - fnv1_64 returns only the low 32 bits;
//   - crc32 returns 15 bits of the CRC ((~crc >> 16) & 0x7fff), libmemcached's variant: with ketama
//     every key lands in the first 1/131072 of the circle, i.e. on one or two servers; crc32a is the
//     standard CRC-32;
//   - crc16 is CRC-16/XMODEM computed in a uint32_t that is never masked: the low 16 bits are the CRC,
//     the bits shifted above them stay in the result (so it is not a 16-bit value);
//   - md5 returns the first 4 bytes of the digest, little-endian.
// Every function returns the 32-bit value twemproxy feeds to its distribution.
//
//   std::uint32_t h = ringleader::hash::twemproxy::fnv1a_64("user:42");
//   const auto* f = ringleader::hash::twemproxy::find("murmur");   // nullptr if unknown
//   std::uint32_t same = f->hash("user:42");
//
// These are placement hashes: fixed forever, because deployed fleets depend on them.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace ringleader::hash::twemproxy {

std::uint32_t one_at_a_time(std::string_view key) noexcept;
std::uint32_t md5(std::string_view key) noexcept;
std::uint32_t crc16(std::string_view key) noexcept;
std::uint32_t crc32(std::string_view key) noexcept;
std::uint32_t crc32a(std::string_view key) noexcept;
std::uint32_t fnv1_64(std::string_view key) noexcept;
std::uint32_t fnv1a_64(std::string_view key) noexcept;
std::uint32_t fnv1_32(std::string_view key) noexcept;
std::uint32_t fnv1a_32(std::string_view key) noexcept;
std::uint32_t hsieh(std::string_view key) noexcept;
std::uint32_t murmur(std::string_view key) noexcept;
std::uint32_t jenkins(std::string_view key) noexcept;

/// md5(keys[i]) into out[i] for every key (out.size() >= keys.size()): the same values, computed eight
/// keys at a time in SIMD lanes, several times the throughput of md5() in a loop for keys of up to
/// 55 bytes (one MD5 block). Longer keys are hashed one by one.
void md5_many(std::span<const std::string_view> keys, std::span<std::uint32_t> out) noexcept;

/// The 16-byte MD5 digest of the bytes (ketama hashes its point strings with it).
void md5_digest(std::string_view bytes, unsigned char (&digest)[16]) noexcept;

using HashFn = std::uint32_t (*)(std::string_view) noexcept;

struct HashFunction {
  std::string_view name;  // as written after `hash:` in nutcracker.yml
  HashFn hash;
  /// How many low bits of the result can be non-zero (32, or 15 for crc32). Fewer than
  /// 32 puts every key of a ketama pool in the first slice of the circle: on one or two servers.
  unsigned bits;
};

/// The one table of names: config parsing, docs, `locate` and the tests all read it. In twemproxy's
/// order (nc_hashkit.h HASH_CODEC).
std::span<const HashFunction> functions() noexcept;

/// The function of that name, or nullptr.
const HashFunction* find(std::string_view name) noexcept;

/// twemproxy's default (`hash:` left out): fnv1a_64.
inline constexpr std::string_view kDefaultName = "fnv1a_64";

}  // namespace ringleader::hash::twemproxy
