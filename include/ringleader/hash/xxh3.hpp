// The default key hash: XXH3-64 with seed 0 (identical to XXH3_64bits()), from libxxhash.
//
// Placement hashes are fixed forever: every process, platform and language that computes XXH3-64
// with seed 0 over the key's bytes places the key on the same node. Changing this function or its
// seed moves keys and is a breaking change. std::hash never places anything (it may differ between
// standard libraries and runs).
#pragma once

#include <cstdint>
#include <string_view>

#include <xxhash.h>

namespace ringleader::hash {

inline constexpr std::uint64_t kXxh3Seed = 0;

/// XXH3-64 of the key's bytes, seed 0.   xxh3("user:42") -> the key hash every algorithm takes.
inline std::uint64_t xxh3(std::string_view key) noexcept {
  return XXH3_64bits_withSeed(key.data(), key.size(), kXxh3Seed);
}

}  // namespace ringleader::hash
