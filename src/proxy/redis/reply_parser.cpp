// Redis reply framing; see reply_parser.hpp.
#include "proxy/redis/reply_parser.hpp"

#include <charconv>

namespace ringleader::proxy::redis {
namespace {

constexpr int kMaxDepth = 32;  // deeper nesting than any Redis command produces
constexpr long long kMaxCount = 1LL << 40;  // a map's pairs: twice the count cannot overflow

bool read_integer(std::string_view text, long long& value) noexcept {
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return ec == std::errc{} && ptr == text.data() + text.size() && !text.empty();
}

// A RESP3 big number: an optional sign, then digits.
bool big_number(std::string_view text) noexcept {
  if (text.starts_with('-') || text.starts_with('+')) text.remove_prefix(1);
  return !text.empty() && text.find_first_not_of("0123456789") == std::string_view::npos;
}

ReplyStatus frame_at(std::string_view buffer, std::size_t& at, int depth) noexcept;

// Frames `count` replies one after another from `next`.
ReplyStatus frame_each(std::string_view buffer, std::size_t& next, long long count, int depth) noexcept {
  for (long long i = 0; i < count; ++i) {
    const auto status = frame_at(buffer, next, depth + 1);
    if (status != ReplyStatus::complete) return status;
  }
  return ReplyStatus::complete;
}

// Frames the reply starting at `at`; on success moves `at` past it.
ReplyStatus frame_at(std::string_view buffer, std::size_t& at, int depth) noexcept {
  if (depth > kMaxDepth) return ReplyStatus::malformed;
  if (at >= buffer.size()) return ReplyStatus::need_more;
  const auto newline = buffer.find("\r\n", at);
  if (newline == std::string_view::npos) return ReplyStatus::need_more;
  const char type = buffer[at];
  const std::string_view header = buffer.substr(at + 1, newline - at - 1);
  std::size_t next = newline + 2;
  long long count = 0;
  ReplyStatus status = ReplyStatus::complete;
  switch (type) {
    case '+':
    case '-':
    case ',':  // RESP3 double (inf, -inf and nan included)
      break;
    case ':':
      if (!read_integer(header, count)) return ReplyStatus::malformed;
      break;
    case '(':  // RESP3 big number
      if (!big_number(header)) return ReplyStatus::malformed;
      break;
    case '_':  // RESP3 null
      if (!header.empty()) return ReplyStatus::malformed;
      break;
    case '#':  // RESP3 boolean
      if (header != "t" && header != "f") return ReplyStatus::malformed;
      break;
    case '$':
    case '!':  // RESP3 blob error
    case '=':  // RESP3 verbatim string ("txt:" and the text)
      if (!read_integer(header, count) || count < (type == '$' ? -1 : 0)) return ReplyStatus::malformed;
      if (count >= 0) {
        const auto bytes = static_cast<std::size_t>(count);
        if (buffer.size() - next < bytes + 2) return ReplyStatus::need_more;
        if (buffer.substr(next + bytes, 2) != "\r\n") return ReplyStatus::malformed;
        next += bytes + 2;
      }
      break;
    case '*':
    case '~':  // RESP3 set
    case '>':  // RESP3 push
      if (!read_integer(header, count) || count < (type == '*' ? -1 : 0)) return ReplyStatus::malformed;
      status = frame_each(buffer, next, count, depth);
      break;
    case '%':  // RESP3 map: count pairs
    case '|':  // RESP3 attribute: count pairs, then the reply they describe
      if (!read_integer(header, count) || count < 0 || count > kMaxCount) return ReplyStatus::malformed;
      status = frame_each(buffer, next, 2 * count + (type == '|' ? 1 : 0), depth);
      break;
    default:
      return ReplyStatus::malformed;
  }
  if (status != ReplyStatus::complete) return status;
  at = next;
  return ReplyStatus::complete;
}

}  // namespace

ReplyFrame frame_reply(std::string_view buffer) noexcept {
  std::size_t at = 0;
  const auto status = frame_at(buffer, at, 0);
  if (status == ReplyStatus::need_more && buffer.starts_with('$')) {
    const auto newline = buffer.find("\r\n");
    long long bytes = 0;
    if (newline != std::string_view::npos && read_integer(buffer.substr(1, newline - 1), bytes) && bytes >= 0)
      return {status, 0, newline + 2 + static_cast<std::size_t>(bytes) + 2};
  }
  return {status, status == ReplyStatus::complete ? at : 0};
}

bool split_array(std::string_view reply, std::vector<std::string_view>& elements) {
  elements.clear();
  const auto newline = reply.find("\r\n");
  long long count = 0;
  if (reply.empty() || (reply.front() != '*' && reply.front() != '>') || newline == std::string_view::npos ||
      !read_integer(reply.substr(1, newline - 1), count)) {
    return false;
  }
  std::size_t at = newline + 2;
  for (long long i = 0; i < count; ++i) {
    const std::size_t start = at;
    if (frame_at(reply, at, 1) != ReplyStatus::complete) return false;
    elements.push_back(reply.substr(start, at - start));
  }
  return true;
}

std::string_view bulk_text(std::string_view reply) noexcept {
  const auto newline = reply.find("\r\n");
  if (!reply.starts_with('$') || newline == std::string_view::npos || reply.size() < newline + 4) return {};
  return reply.substr(newline + 2, reply.size() - newline - 4);
}

bool integer_value(std::string_view reply, long long& value) noexcept {
  if (reply.size() < 4 || reply.front() != ':' || !reply.ends_with("\r\n")) return false;
  return read_integer(reply.substr(1, reply.size() - 3), value);
}

}  // namespace ringleader::proxy::redis
