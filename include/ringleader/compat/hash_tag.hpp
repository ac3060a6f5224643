// twemproxy's `hash_tag`: hash only part of the key, so related keys land on the same server.
//
// Source of the facts: twemproxy 0.5.0 server_pool_idx() (src/nc_server.c). With a two-character tag
// "{}", the part hashed is the text between the first '{' and the first '}' after it, provided that
// text is non-empty; otherwise (no '{', no closing '}', or "{}" with nothing inside) the whole key.
//
//   hash_tag_part("user:{42}:name", "{}") == "42"
//   hash_tag_part("user:{}:name", "{}")   == "user:{}:name"
#pragma once

#include <string_view>

namespace ringleader::compat {

/// The part of the key twemproxy hashes. An empty tag means no hash_tag: the whole key. The tag must
/// otherwise be exactly two characters (the config loader checks); a tag of another length also
/// returns the whole key.
constexpr std::string_view hash_tag_part(std::string_view key, std::string_view tag) noexcept {
  if (tag.size() != 2) return key;
  const auto start = key.find(tag[0]);
  if (start == std::string_view::npos) return key;
  const auto end = key.find(tag[1], start + 1);
  if (end == std::string_view::npos || end - start <= 1) return key;
  return key.substr(start + 1, end - start - 1);
}

}  // namespace ringleader::compat
