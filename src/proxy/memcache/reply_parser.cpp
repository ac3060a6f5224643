// memcached reply framing; see reply_parser.hpp.
#include "proxy/memcache/reply_parser.hpp"

#include <charconv>

namespace ringleader::proxy::memcache {
namespace {

// The <bytes> field of a "VALUE <key> <flags> <bytes> [<cas>]" line, or -1 if malformed.
long long value_size(std::string_view line) noexcept {
  std::string_view fields[4];
  std::size_t count = 0;
  while (count < 4 && !line.empty()) {
    const auto end = line.find(' ');
    fields[count++] = line.substr(0, end);
    line.remove_prefix(end == std::string_view::npos ? line.size() : end + 1);
  }
  if (count < 4) return -1;
  long long bytes = -1;
  auto [ptr, ec] = std::from_chars(fields[3].data(), fields[3].data() + fields[3].size(), bytes);
  if (ec != std::errc{} || ptr != fields[3].data() + fields[3].size() || bytes < 0) return -1;
  return bytes;
}

}  // namespace

ReplyFrame frame_reply(std::string_view buffer, bool retrieval) noexcept {
  std::size_t at = 0;
  for (;;) {
    const auto newline = buffer.find('\n', at);
    if (newline == std::string_view::npos) return {};
    std::string_view line = buffer.substr(at, newline - at);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    const std::size_t next = newline + 1;
    if (!retrieval) return {ReplyStatus::complete, next, false, 0};
    if (line == "END") return {ReplyStatus::complete, next, true, 0};
    if (!line.starts_with("VALUE ")) {
      // An error line instead of values; anything else here means the stream is out of sync.
      const bool error = line == "ERROR" || line.starts_with("CLIENT_ERROR") || line.starts_with("SERVER_ERROR");
      if (at == 0 && error) return {ReplyStatus::complete, next, false, 0};
      return {ReplyStatus::malformed, 0, false, 0};
    }
    const long long bytes = value_size(line);
    if (bytes < 0) return {ReplyStatus::malformed, 0, false, 0};
    const auto size = static_cast<std::size_t>(bytes);
    if (buffer.size() - next < size + 2) return {ReplyStatus::need_more, 0, true, next + size + 2};
    if (buffer.substr(next + size, 2) != "\r\n") return {ReplyStatus::malformed, 0, false, 0};
    at = next + size + 2;
  }
}

ReplyFrame frame_meta_reply(std::string_view buffer) noexcept {
  const auto newline = buffer.find('\n');
  if (newline == std::string_view::npos) return {};
  const std::size_t next = newline + 1;
  if (!buffer.starts_with("VA ")) return {ReplyStatus::complete, next, false, 0};
  std::string_view digits = buffer.substr(3, newline - 3);
  digits = digits.substr(0, digits.find_first_of(" \r"));
  std::size_t size = 0;
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), size);
  if (ec != std::errc{} || ptr != digits.data() + digits.size() || digits.empty()) return {ReplyStatus::malformed, 0, false, 0};
  if (buffer.size() - next < size + 2) return {ReplyStatus::need_more, 0, true, 0};
  if (buffer.substr(next + size, 2) != "\r\n") return {ReplyStatus::malformed, 0, false, 0};
  return {ReplyStatus::complete, next + size + 2, true, 0};
}

}  // namespace ringleader::proxy::memcache
