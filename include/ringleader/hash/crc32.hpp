// CRC-32 (IEEE 802.3: reflected polynomial 0xEDB88320, the one of zlib, Ethernet and nginx) fed in
// pieces, as nginx's ngx_crc32_init/update/final compute it. crc32_final(crc32_update(kCrc32Init, s))
// is hash::twemproxy::crc32a(s).
//
//   std::uint32_t state = crc32_update(kCrc32Init, "host");
//   state = crc32_update(state, std::string_view("\0", 1));
//   std::uint32_t crc = crc32_final(state);
#pragma once

#include <cstdint>
#include <string_view>

namespace ringleader::hash {

inline constexpr std::uint32_t kCrc32Init = 0xFFFFFFFFu;
std::uint32_t crc32_update(std::uint32_t state, std::string_view bytes) noexcept;
constexpr std::uint32_t crc32_final(std::uint32_t state) noexcept { return ~state; }

}  // namespace ringleader::hash
