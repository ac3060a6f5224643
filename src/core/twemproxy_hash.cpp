// twemproxy's hash functions (see include/ringleader/hash/twemproxy.hpp for the quirks kept on purpose).
//
// Each function reads the key the way twemproxy 0.5.0 does on x86-64. Where twemproxy reads a byte
// through `const char*` (signed), we widen it the same way with signed_byte(); where it reads through
// `const uint8_t*`, with unsigned_byte(). Multi-byte loads are little-endian, as on the machines
// twemproxy runs on, and done byte by byte so that any alignment gives the same result (twemproxy's
// jenkins picks a code path by alignment; on little-endian all three paths compute the same value).
#include "ringleader/hash/twemproxy.hpp"

#include "ringleader/hash/crc32.hpp"

#include <array>

namespace ringleader::hash::twemproxy {
namespace {

// A byte as `(uint32_t)key[i]` with signed char: sign-extended.
inline std::uint32_t signed_byte(char c) noexcept {
  return static_cast<std::uint32_t>(static_cast<std::int32_t>(static_cast<signed char>(c)));
}
inline std::uint64_t signed_byte64(char c) noexcept {
  return static_cast<std::uint64_t>(static_cast<std::int64_t>(static_cast<signed char>(c)));
}
inline std::uint32_t unsigned_byte(char c) noexcept { return static_cast<unsigned char>(c); }

inline std::uint32_t load16(const char* p) noexcept { return unsigned_byte(p[0]) | unsigned_byte(p[1]) << 8; }
inline std::uint32_t load32(const char* p) noexcept { return load16(p) | load16(p + 2) << 16; }

inline std::uint32_t rotl(std::uint32_t x, int k) noexcept { return (x << k) | (x >> (32 - k)); }

// The CRC tables, computed at compile time from the polynomials: the same tables nc_crc32.c
// (CRC-32, reflected 0xEDB88320) and 0.5.0's nc_crc16.c (CRC-16/XMODEM, 0x1021, not reflected) spell out.
constexpr std::array<std::uint32_t, 256> crc32_table() {
  std::array<std::uint32_t, 256> table{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t crc = i;
    for (int bit = 0; bit < 8; ++bit) crc = (crc & 1) ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
    table[i] = crc;
  }
  return table;
}
constexpr std::array<std::uint32_t, 256> crc16_xmodem_table() {
  std::array<std::uint32_t, 256> table{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t crc = i << 8;
    for (int bit = 0; bit < 8; ++bit) crc = (crc & 0x8000) ? (crc << 1) ^ 0x1021u : crc << 1;
    table[i] = crc & 0xFFFF;
  }
  return table;
}
constexpr auto kCrc32Table = crc32_table();
constexpr auto kCrc16Table = crc16_xmodem_table();
static_assert(kCrc32Table[1] == 0x77073096u && kCrc32Table[255] == 0x2D02EF8Du);
static_assert(kCrc16Table[1] == 0x1021u && kCrc16Table[255] == 0x1EF0u);

std::uint32_t crc32_continue(std::uint32_t state, std::string_view bytes) noexcept {
  for (char c : bytes) state = (state >> 8) ^ kCrc32Table[(state ^ unsigned_byte(c)) & 0xFF];
  return state;
}

std::uint32_t crc32_state(std::string_view key) noexcept { return crc32_continue(kCrc32Init, key); }

}  // namespace

std::uint32_t one_at_a_time(std::string_view key) noexcept {
  std::uint32_t value = 0;
  for (char c : key) {
    value += signed_byte(c);
    value += value << 10;
    value ^= value >> 6;
  }
  value += value << 3;
  value ^= value >> 11;
  value += value << 15;
  return value;
}

std::uint32_t md5(std::string_view key) noexcept {
  unsigned char digest[16];
  md5_digest(key, digest);
  return static_cast<std::uint32_t>(digest[3]) << 24 | static_cast<std::uint32_t>(digest[2]) << 16 |
         static_cast<std::uint32_t>(digest[1]) << 8 | digest[0];
}

// twemproxy 0.5.0 keeps the CRC in a uint32_t and never masks it to 16 bits: the low 16 bits are
// CRC-16/XMODEM, the bits shifted above them stay in the result.
std::uint32_t crc16(std::string_view key) noexcept {
  std::uint32_t crc = 0;
  for (char c : key) crc = (crc << 8) ^ kCrc16Table[((crc >> 8) ^ unsigned_byte(c)) & 0xFF];
  return crc;
}

// libmemcached's "crc32": bits 16..30 of the finished CRC-32 (nc_crc32.c hash_crc32).
std::uint32_t crc32(std::string_view key) noexcept { return (~crc32_state(key) >> 16) & 0x7FFF; }

std::uint32_t crc32a(std::string_view key) noexcept { return ~crc32_state(key); }

std::uint32_t fnv1_64(std::string_view key) noexcept {
  std::uint64_t hash = 0xCBF29CE484222325u;
  for (char c : key) {
    hash *= 0x100000001B3u;
    hash ^= signed_byte64(c);
  }
  return static_cast<std::uint32_t>(hash);
}

// The 64-bit offset basis and prime, each truncated to 32 bits, with 32-bit state (nc_fnv.c).
std::uint32_t fnv1a_64(std::string_view key) noexcept {
  std::uint32_t hash = 0x84222325u;
  for (char c : key) {
    hash ^= signed_byte(c);
    hash *= 0x000001B3u;
  }
  return hash;
}

std::uint32_t fnv1_32(std::string_view key) noexcept {
  std::uint32_t hash = 2166136261u;
  for (char c : key) {
    hash *= 16777619u;
    hash ^= signed_byte(c);
  }
  return hash;
}

std::uint32_t fnv1a_32(std::string_view key) noexcept {
  std::uint32_t hash = 2166136261u;
  for (char c : key) {
    hash ^= signed_byte(c);
    hash *= 16777619u;
  }
  return hash;
}

// Paul Hsieh's SuperFastHash as in nc_hsieh.c: the 16-bit reads are unsigned, the third byte of a
// 3-byte tail is read through signed char.
std::uint32_t hsieh(std::string_view key) noexcept {
  if (key.empty()) return 0;
  const char* p = key.data();
  std::uint32_t hash = 0;
  for (std::size_t blocks = key.size() >> 2; blocks > 0; --blocks, p += 4) {
    hash += load16(p);
    const std::uint32_t tmp = (load16(p + 2) << 11) ^ hash;
    hash = (hash << 16) ^ tmp;
    hash += hash >> 11;
  }
  switch (key.size() & 3) {
    case 3:
      hash += load16(p);
      hash ^= hash << 16;
      hash ^= signed_byte(p[2]) << 18;
      hash += hash >> 11;
      break;
    case 2:
      hash += load16(p);
      hash ^= hash << 11;
      hash += hash >> 17;
      break;
    case 1:
      hash += unsigned_byte(p[0]);
      hash ^= hash << 10;
      hash += hash >> 1;
      break;
    default:
      break;
  }
  hash ^= hash << 3;
  hash += hash >> 5;
  hash ^= hash << 4;
  hash += hash >> 17;
  hash ^= hash << 25;
  hash += hash >> 6;
  return hash;
}

// MurmurHash2 with twemproxy's seed, 0xdeadbeef * length (nc_murmur.c).
std::uint32_t murmur(std::string_view key) noexcept {
  constexpr std::uint32_t m = 0x5BD1E995u;
  constexpr int r = 24;
  const auto length = static_cast<std::uint32_t>(key.size());
  std::uint32_t h = (0xDEADBEEFu * length) ^ length;
  const char* p = key.data();
  std::size_t left = key.size();
  for (; left >= 4; left -= 4, p += 4) {
    std::uint32_t k = load32(p);
    k *= m;
    k ^= k >> r;
    k *= m;
    h *= m;
    h ^= k;
  }
  switch (left) {
    case 3:
      h ^= unsigned_byte(p[2]) << 16;
      [[fallthrough]];
    case 2:
      h ^= unsigned_byte(p[1]) << 8;
      [[fallthrough]];
    case 1:
      h ^= unsigned_byte(p[0]);
      h *= m;
      break;
    default:
      break;
  }
  h ^= h >> 13;
  h *= m;
  h ^= h >> 15;
  return h;
}

// Bob Jenkins' lookup3 hashlittle() with initval 13 (nc_jenkins.c), byte-at-a-time path.
std::uint32_t jenkins(std::string_view key) noexcept {
  std::uint32_t a, b, c;
  a = b = c = 0xDEADBEEFu + static_cast<std::uint32_t>(key.size()) + 13u;
  const char* k = key.data();
  std::size_t length = key.size();
  for (; length > 12; length -= 12, k += 12) {
    a += load32(k);
    b += load32(k + 4);
    c += load32(k + 8);
    a -= c; a ^= rotl(c, 4);  c += b;
    b -= a; b ^= rotl(a, 6);  a += c;
    c -= b; c ^= rotl(b, 8);  b += a;
    a -= c; a ^= rotl(c, 16); c += b;
    b -= a; b ^= rotl(a, 19); a += c;
    c -= b; c ^= rotl(b, 4);  b += a;
  }
  if (length == 0) return c;  // zero-length tail: lookup3 skips the final mix
  // The last 1..12 bytes, little-endian, zero-padded.
  std::uint32_t word[3] = {0, 0, 0};
  for (std::size_t i = 0; i < length; ++i) word[i / 4] |= unsigned_byte(k[i]) << (8 * (i % 4));
  a += word[0];
  b += word[1];
  c += word[2];
  c ^= b; c -= rotl(b, 14);
  a ^= c; a -= rotl(c, 11);
  b ^= a; b -= rotl(a, 25);
  c ^= b; c -= rotl(b, 16);
  a ^= c; a -= rotl(c, 4);
  b ^= a; b -= rotl(a, 14);
  c ^= b; c -= rotl(b, 24);
  return c;
}

namespace {

// twemproxy's HASH_CODEC order (nc_hashkit.h).
constexpr HashFunction kFunctions[] = {
    {"one_at_a_time", &one_at_a_time, 32},
    {"md5", &md5, 32},
    {"crc16", &crc16, 32},
    {"crc32", &crc32, 15},
    {"crc32a", &crc32a, 32},
    {"fnv1_64", &fnv1_64, 32},
    {"fnv1a_64", &fnv1a_64, 32},
    {"fnv1_32", &fnv1_32, 32},
    {"fnv1a_32", &fnv1a_32, 32},
    {"hsieh", &hsieh, 32},
    {"murmur", &murmur, 32},
    {"jenkins", &jenkins, 32},
};

}  // namespace

std::span<const HashFunction> functions() noexcept { return kFunctions; }

const HashFunction* find(std::string_view name) noexcept {
  for (const HashFunction& f : kFunctions)
    if (f.name == name) return &f;
  return nullptr;
}

}  // namespace ringleader::hash::twemproxy

namespace ringleader::hash {
std::uint32_t crc32_update(std::uint32_t state, std::string_view bytes) noexcept {
  return twemproxy::crc32_continue(state, bytes);
}
}  // namespace ringleader::hash
