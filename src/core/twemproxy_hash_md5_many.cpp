// md5_many: twemproxy's md5 of many keys at once, eight keys per pass in the lanes of a SIMD vector.
//
// One MD5 is a chain of 64 dependent steps, so a single digest cannot use more than one lane; but
// the digests of different keys are independent, so eight of them run side by side (the
// "multi-buffer" technique of Intel's ISA-L and of Gueron & Krasnov's "Simultaneous hashing of
// multiple messages", 2012). A key of up to 55 bytes is one padded 64-byte block (RFC 1321 3.1-3.2),
// which covers cache keys; a longer key is hashed alone with md5(). The steps and constants are RFC
// 1321 section 3.4 and the appendix's MD5Transform, written with GCC vector extensions so the same
// source compiles to AVX2 where the CPU has it and to SSE2 (two registers per vector) otherwise.
#include <bit>
#include <cstring>

#include "ringleader/hash/twemproxy.hpp"

namespace ringleader::hash::twemproxy {
namespace {

constexpr std::size_t kLanes = 8;
constexpr std::size_t kOneBlock = 55;  // longest message whose padding fits in one 64-byte block
typedef std::uint32_t Lanes __attribute__((vector_size(kLanes * sizeof(std::uint32_t))));

// RFC 1321 3.4: T[i] = floor(2^32 * |sin(i + 1)|), and the per-step left rotations.
constexpr std::uint32_t kT[64] = {
    0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
    0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
    0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
    0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
    0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
    0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
    0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
    0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391};
constexpr int kShift[4][4] = {{7, 12, 17, 22}, {5, 9, 14, 20}, {4, 11, 16, 23}, {6, 10, 15, 21}};

// The first digest word of kLanes one-block messages, each already padded (RFC 1321 3.1-3.2).
// Cloned for AVX2 and for the x86-64 baseline; the loader picks one for this CPU.
__attribute__((target_clones("avx2", "default")))
void first_words(const unsigned char (&padded)[kLanes][64], std::uint32_t (&out)[kLanes]) {
  // Transposed: block[w] holds word w of every lane's block (MD5's words are little-endian).
  std::uint32_t words[16][kLanes];
  for (std::size_t l = 0; l < kLanes; ++l)
    for (int w = 0; w < 16; ++w) {
      const unsigned char* p = padded[l] + 4 * w;
      if constexpr (std::endian::native == std::endian::little) {
        std::memcpy(&words[w][l], p, 4);
      } else {
        words[w][l] = std::uint32_t{p[0]} | std::uint32_t{p[1]} << 8 | std::uint32_t{p[2]} << 16 | std::uint32_t{p[3]} << 24;
      }
    }
  Lanes block[16];
  std::memcpy(block, words, sizeof block);

  Lanes a = Lanes{} + 0x67452301u, b = Lanes{} + 0xefcdab89u, c = Lanes{} + 0x98badcfeu, d = Lanes{} + 0x10325476u;
  const Lanes a0 = a;
#pragma GCC unroll 64
  for (int i = 0; i < 64; ++i) {
    Lanes f;
    int g;
    if (i < 16) {
      f = d ^ (b & (c ^ d));  // F = (b & c) | (~b & d)
      g = i;
    } else if (i < 32) {
      f = c ^ (d & (b ^ c));  // G = (b & d) | (c & ~d)
      g = (5 * i + 1) % 16;
    } else if (i < 48) {
      f = b ^ c ^ d;  // H
      g = (3 * i + 5) % 16;
    } else {
      f = c ^ (b | ~d);  // I
      g = (7 * i) % 16;
    }
    const Lanes sum = a + f + kT[i] + block[g];
    const int s = kShift[i / 16][i % 4];
    a = d;
    d = c;
    c = b;
    b = b + ((sum << s) | (sum >> (32 - s)));
  }
  a += a0;
  std::memcpy(out, &a, sizeof out);
}

}  // namespace

void md5_many(std::span<const std::string_view> keys, std::span<std::uint32_t> out) noexcept {
  std::size_t i = 0;
  while (i < keys.size()) {
    // Gather up to kLanes one-block keys; a longer key is hashed alone and does not take a lane.
    std::size_t lane_of[kLanes];
    unsigned char padded[kLanes][64] = {};
    std::size_t lanes = 0;
    for (; i < keys.size() && lanes < kLanes; ++i) {
      const std::string_view key = keys[i];
      if (key.size() > kOneBlock) {
        out[i] = md5(key);
        continue;
      }
      unsigned char* p = padded[lanes];
      std::memcpy(p, key.data(), key.size());
      p[key.size()] = 0x80;
      const std::uint64_t bits = std::uint64_t{key.size()} * 8;
      for (int byte = 0; byte < 8; ++byte) p[56 + byte] = static_cast<unsigned char>(bits >> (8 * byte));
      lane_of[lanes++] = i;
    }
    if (lanes == 0) continue;
    std::uint32_t first[kLanes];
    first_words(padded, first);
    for (std::size_t l = 0; l < lanes; ++l) out[lane_of[l]] = first[l];
  }
}

}  // namespace ringleader::hash::twemproxy
