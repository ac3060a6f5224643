// twemproxy's hash functions on inputs a human can check: the standard check values of the
// algorithms they derive from, and the quirks twemproxy adds (the golden vectors in
// tests/data/twemproxy/ prove the same functions against the real nutcracker on thousands of keys).
#include "ringleader/hash/twemproxy.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

namespace ringleader::hash::twemproxy {
namespace {

// crc32a is the standard CRC-32: its check value on "123456789" is 0xCBF43926.
TEST(TwemproxyHash, Crc32aIsStandardCrc32) { EXPECT_EQ(crc32a("123456789"), 0xCBF43926u); }

// crc32 keeps only bits 16..30 of that CRC (libmemcached's variant).
TEST(TwemproxyHash, Crc32KeepsFifteenBits) { EXPECT_EQ(crc32("123456789"), (0xCBF43926u >> 16) & 0x7FFFu); }

// crc16's low 16 bits are CRC-16/XMODEM (check value 0x31C3); bits above them are never masked off.
TEST(TwemproxyHash, Crc16IsUnmaskedXmodem) {
  EXPECT_EQ(crc16("123456789") & 0xFFFFu, 0x31C3u);
  EXPECT_NE(crc16("123456789") >> 16, 0u);
  EXPECT_EQ(crc16("A"), 0x58E5u);  // one byte: nothing shifted up yet, plain XMODEM of "A"
}

// The FNV-1/FNV-1a check values for "a" (the FNV reference), and fnv1_64's low 32 bits.
TEST(TwemproxyHash, FnvMatchesTheReferenceOnAscii) {
  EXPECT_EQ(fnv1a_32(""), 0x811C9DC5u);
  EXPECT_EQ(fnv1a_32("a"), 0xE40C292Cu);
  EXPECT_EQ(fnv1_32("a"), 0x050C5D7Eu);
  EXPECT_EQ(fnv1_64("a"), 0x8601B7BEu);  // FNV-1 64 of "a" is 0xAF63BD4C8601B7BE
}

// fnv1a_64 runs in 32 bits with the 64-bit constants truncated: 0x84222325 and 0x1B3.
TEST(TwemproxyHash, Fnv1a64IsReallyThirtyTwoBits) {
  EXPECT_EQ(fnv1a_64(""), 0x84222325u);
  EXPECT_EQ(fnv1a_64("a"), (0x84222325u ^ 0x61u) * 0x1B3u);
}

// Bytes >= 0x80 are widened as signed char: 0x80 enters FNV as 0xFFFFFF80.
TEST(TwemproxyHash, HighBytesAreSignExtended) {
  EXPECT_EQ(fnv1a_32("\x80"), (0x811C9DC5u ^ 0xFFFFFF80u) * 16777619u);
  EXPECT_NE(fnv1a_32("\x80"), (0x811C9DC5u ^ 0x80u) * 16777619u);
}

TEST(TwemproxyHash, OneAtATimeMatchesJenkinsReference) { EXPECT_EQ(one_at_a_time("a"), 0xCA2E9442u); }

// md5 returns the first four digest bytes little-endian: md5("") = d41d8cd9...
TEST(TwemproxyHash, Md5IsTheFirstDigestWordLittleEndian) { EXPECT_EQ(md5(""), 0xD98C1DD4u); }

// md5_many gives md5 of every key: each length across the one-block limit (55 bytes), any byte
// value, and keys too long for a lane mixed between short ones (they must not shift the others).
TEST(TwemproxyHash, Md5ManyIsMd5OfEachKey) {
  std::vector<std::string> keys;
  for (std::size_t length = 0; length <= 130; ++length)
    for (int variant = 0; variant < 3; ++variant) {
      std::string key;
      for (std::size_t i = 0; i < length; ++i) key += static_cast<char>(variant * 101 + i * 37);
      keys.push_back(key);
    }
  std::vector<std::string_view> views(keys.begin(), keys.end());
  std::vector<std::uint32_t> out(views.size());
  md5_many(views, out);
  for (std::size_t i = 0; i < views.size(); ++i) ASSERT_EQ(out[i], md5(views[i])) << "key of " << views[i].size() << " bytes";
  md5_many({}, {});  // no keys: nothing to do, nothing written
}

// Empty keys: lookup3 returns its initial state (0xdeadbeef + initval 13); hsieh and murmur give 0.
TEST(TwemproxyHash, EmptyKeys) {
  EXPECT_EQ(jenkins(""), 0xDEADBEEFu + 13u);
  EXPECT_EQ(hsieh(""), 0u);
  EXPECT_EQ(murmur(""), 0u);
}

// Reading by alignment must not matter (twemproxy's jenkins picks a code path by alignment).
TEST(TwemproxyHash, AlignmentDoesNotChangeTheHash) {
  const std::string text = "xthe quick brown fox jumps over the lazy dog";
  for (std::size_t len = 0; len < 30; ++len) {
    const std::string copy = text.substr(1, len);
    EXPECT_EQ(jenkins(std::string_view(text).substr(1, len)), jenkins(copy)) << len;
    EXPECT_EQ(hsieh(std::string_view(text).substr(1, len)), hsieh(copy)) << len;
    EXPECT_EQ(murmur(std::string_view(text).substr(1, len)), murmur(copy)) << len;
  }
}

// One table holds every name twemproxy accepts, in its order, and find() reads it.
TEST(TwemproxyHash, OneTableOfNames) {
  const std::vector<std::string_view> expected = {"one_at_a_time", "md5",      "crc16",    "crc32",
                                                   "crc32a",        "fnv1_64",  "fnv1a_64", "fnv1_32",
                                                   "fnv1a_32",      "hsieh",    "murmur",   "jenkins"};
  ASSERT_EQ(functions().size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(functions()[i].name, expected[i]);
    EXPECT_EQ(find(expected[i]), &functions()[i]);
  }
  EXPECT_EQ(find("fnv1a"), nullptr);
  EXPECT_EQ(find(kDefaultName)->hash, &fnv1a_64);
  EXPECT_EQ(find("crc32")->bits, 15u);
}

}  // namespace
}  // namespace ringleader::hash::twemproxy
