// Base64 (RFC 4648, with padding), as etcd's JSON gateway encodes every key and value.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ringleader::proxy::membership {

std::string base64_encode(std::string_view bytes);
/// The bytes, or nullopt if `text` is not padded base64.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace ringleader::proxy::membership
