// Redis request framing; see request_parser.hpp. Error strings are Redis's own.
#include "proxy/redis/request_parser.hpp"

#include <algorithm>
#include <charconv>
#include <cstdint>

namespace ringleader::proxy::redis {
namespace {

constexpr std::string_view kBadMultibulk = "-ERR Protocol error: invalid multibulk length\r\n";
constexpr std::string_view kBadBulk = "-ERR Protocol error: invalid bulk length\r\n";
constexpr std::string_view kExpectedDollar = "-ERR Protocol error: expected '$'\r\n";
constexpr std::string_view kInlineTooBig = "-ERR Protocol error: too big inline request\r\n";
constexpr std::string_view kBadTerminator = "-ERR Protocol error: bulk string not terminated by CRLF\r\n";

ParseResult fatal(std::string_view reply) { return {ParseStatus::fatal, 0, reply}; }

// Reads "<prefix><integer>\r\n" at `at`; -2 = need more, -3 = malformed; else the integer (>= -1).
long long read_length(std::string_view buffer, std::size_t& at, std::size_t max_line) {
  const auto newline = buffer.find("\r\n", at);
  if (newline == std::string_view::npos) return buffer.size() - at > max_line ? -3 : -2;
  const char* first = buffer.data() + at + 1;
  const char* last = buffer.data() + newline;
  long long value = 0;
  auto [ptr, ec] = std::from_chars(first, last, value);
  if (ec != std::errc{} || ptr != last || first == last || value < -1) return -3;
  at = newline + 2;
  return value;
}

ParseResult parse_inline(std::string_view buffer, Request& request, const Limits& limits) {
  const auto newline = buffer.substr(0, limits.max_inline + 2).find('\n');
  if (newline == std::string_view::npos) {
    return buffer.size() > limits.max_inline ? fatal(kInlineTooBig) : ParseResult{};
  }
  std::string_view line = buffer.substr(0, newline);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  while (!line.empty()) {
    const auto start = line.find_first_not_of(" \t");
    if (start == std::string_view::npos) break;
    line.remove_prefix(start);
    const auto end = line.find_first_of(" \t");
    request.args.push_back(line.substr(0, end));
    line.remove_prefix(end == std::string_view::npos ? line.size() : end);
  }
  request.inline_form = true;
  request.raw = buffer.substr(0, newline + 1);
  return {ParseStatus::complete, newline + 1, {}};
}

}  // namespace

ParseResult parse(std::string_view buffer, Request& request, const Limits& limits) {
  request.args.clear();
  request.inline_form = false;
  request.streamed = {};
  if (buffer.empty()) return {};
  if (buffer.front() != '*') return parse_inline(buffer, request, limits);

  std::size_t at = 0;
  const long long count = read_length(buffer, at, limits.max_inline);
  if (count == -2) return {};
  if (count == -3 || count > static_cast<long long>(limits.max_args)) return fatal(kBadMultibulk);
  for (long long i = 0; i < count; ++i) {
    if (at >= buffer.size()) return {};
    if (buffer[at] != '$') return fatal(kExpectedDollar);
    const long long size = read_length(buffer, at, limits.max_inline);
    if (size == -2) return {};
    if (size < 0 || size > static_cast<long long>(limits.max_bulk)) return fatal(kBadBulk);
    const auto bytes = static_cast<std::size_t>(size);
    if (bytes > limits.stream_above && i > 0) {
      request.raw = buffer.substr(0, at);
      request.streamed = {bytes + 2, static_cast<std::size_t>(count - i - 1)};
      return {ParseStatus::complete, at, {}};
    }
    if (buffer.size() - at < bytes + 2) return {};
    if (buffer.substr(at + bytes, 2) != "\r\n") return fatal(kBadTerminator);
    request.args.push_back(buffer.substr(at, bytes));
    at += bytes + 2;
  }
  request.raw = buffer.substr(0, at);
  return {ParseStatus::complete, at, {}};
}

ParseResult frame_rest(std::string_view input, StreamedRest& rest, const Limits& limits) {
  std::size_t at = 0;
  while (!rest.done()) {
    if (rest.bulk > 0) {
      const std::size_t n = std::min(rest.bulk, input.size() - at);
      // A bulk string's last two bytes, wherever they fall in this input, are its "\r\n".
      for (std::size_t end = 1; end <= 2; ++end) {
        if (rest.bulk < end || rest.bulk - end >= n) continue;
        if (input[at + rest.bulk - end] != "\r\n"[2 - end]) return fatal(kBadTerminator);
      }
      at += n;
      rest.bulk -= n;
      if (rest.bulk > 0) return {ParseStatus::need_more, at, {}};
      continue;
    }
    if (at >= input.size()) return {ParseStatus::need_more, at, {}};
    if (input[at] != '$') return fatal(kExpectedDollar);
    std::size_t next = at;
    const long long size = read_length(input, next, limits.max_inline);
    if (size == -2) return {ParseStatus::need_more, at, {}};
    if (size < 0 || size > static_cast<long long>(limits.max_bulk)) return fatal(kBadBulk);
    rest.bulk = static_cast<std::size_t>(size) + 2;
    --rest.args;
    at = next;
  }
  return {ParseStatus::complete, at, {}};
}

}  // namespace ringleader::proxy::redis
