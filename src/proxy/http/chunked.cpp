// ChunkedBody; see chunked.hpp.
#include "proxy/http/chunked.hpp"

#include <algorithm>

namespace ringleader::proxy::http {
namespace {

int hex_digit(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::size_t ChunkedBody::line_end(std::string_view input) {
  const std::size_t lf = input.substr(0, kMaxLine + 2).find('\n');
  if (lf == std::string_view::npos) return input.size() > kMaxLine + 1 ? std::string_view::npos : 0;
  if (lf == 0 || input[lf - 1] != '\r') return std::string_view::npos;  // a bare LF
  if (input.substr(0, lf - 1).find('\r') != std::string_view::npos) return std::string_view::npos;  // a bare CR
  return lf + 1;
}

bool ChunkedBody::size_line(std::string_view line) {
  std::size_t digits = 0;
  std::uint64_t size = 0;
  while (digits < line.size() && hex_digit(line[digits]) >= 0) {
    if (digits == 15) return false;  // 16 hex digits could overflow the count
    size = size * 16 + static_cast<std::uint64_t>(hex_digit(line[digits++]));
  }
  if (digits == 0) return false;
  // chunk-ext = *( BWS ";" BWS name [ BWS "=" BWS value ] ): passed on unread, but it must be one.
  std::string_view ext = line.substr(digits);
  while (!ext.empty() && (ext.front() == ' ' || ext.front() == '\t')) ext.remove_prefix(1);
  if (!ext.empty() && ext.front() != ';') return false;
  if (std::any_of(ext.begin(), ext.end(), [](char c) { return (c < 0x20 && c != '\t') || c == 0x7f; })) return false;
  left_ = size;
  phase_ = size == 0 ? Phase::trailer : Phase::data;
  return true;
}

ChunkedBody::Scan ChunkedBody::scan(std::string_view input) {
  std::size_t used = 0;
  for (;;) {
    const std::string_view rest = input.substr(used);
    switch (phase_) {
      case Phase::done:
        return {Status::complete, used};
      case Phase::malformed:
        return {Status::malformed, used};
      case Phase::data: {
        const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(left_, rest.size()));
        used += n;
        left_ -= n;
        if (left_ > 0) return {Status::need_more, used};
        phase_ = Phase::data_end;
        break;
      }
      case Phase::data_end:
        if (rest.size() >= 2 && rest.starts_with("\r\n")) {
          used += 2;
          phase_ = Phase::size_line;
          break;
        }
        if (rest.empty() || (rest.size() == 1 && rest[0] == '\r')) return {Status::need_more, used};
        phase_ = Phase::malformed;
        break;
      case Phase::size_line:
      case Phase::trailer: {
        const std::size_t end = line_end(rest);
        if (end == 0) return {Status::need_more, used};
        if (end == std::string_view::npos) {
          phase_ = Phase::malformed;
          break;
        }
        const std::string_view line = rest.substr(0, end - 2);
        used += end;
        if (phase_ == Phase::size_line) {
          if (!size_line(line)) phase_ = Phase::malformed;
        } else if (line.empty()) {
          phase_ = Phase::done;
        } else if ((trailer_ += end) > kMaxLine || line.front() == ' ' || line.front() == '\t' ||
                   line.find(':') == std::string_view::npos) {
          phase_ = Phase::malformed;  // trailer fields are passed on, so they must be fields (no obs-fold)
        }
        break;
      }
    }
  }
}

}  // namespace ringleader::proxy::http
