// parse_request_head, parse_response_head; see message_head.hpp.
#include "proxy/http/message_head.hpp"

#include <algorithm>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/error.hpp>

namespace ringleader::proxy::http {
namespace {

namespace beast = boost::beast;
using beast::error_code;
using beast::string_view;

std::string_view view(string_view s) noexcept { return {s.data(), s.size()}; }

/// Beast's parser, keeping what it reads in a MessageHead rather than a beast::http::message.
template <bool isRequest>
class HeadParser final : public beast::http::basic_parser<isRequest> {
 public:
  explicit HeadParser(MessageHead& head) : head_(head) {}

 private:
  void on_request_impl(beast::http::verb, string_view method, string_view target, int version,
                       error_code&) override {
    head_.method = view(method);
    head_.target = view(target);
    head_.version = static_cast<unsigned>(version);
  }
  void on_response_impl(int code, string_view, int version, error_code&) override {
    head_.status = static_cast<unsigned>(code);
    head_.version = static_cast<unsigned>(version);
  }
  void on_field_impl(beast::http::field, string_view name, string_view value, error_code&) override {
    head_.fields.push_back({view(name), view(value)});
  }
  void on_header_impl(error_code&) override {}
  void on_body_init_impl(const boost::optional<std::uint64_t>&, error_code&) override {}
  std::size_t on_body_impl(string_view body, error_code&) override { return body.size(); }
  void on_chunk_header_impl(std::uint64_t, string_view, error_code&) override {}
  std::size_t on_chunk_body_impl(std::uint64_t, string_view body, error_code&) override { return body.size(); }
  void on_finish_impl(error_code&) override {}

  MessageHead& head_;
};

/// A bare LF or CR, or an obs-fold line (one starting with whitespace): lines other parsers may
/// split or join differently than Beast does. Line by line with memchr (find), as every message
/// head passes through here.
const char* ambiguous_lines(std::string_view head) noexcept {
  for (std::size_t at = 0; at < head.size();) {
    const std::size_t lf = head.find('\n', at);
    const std::string_view line = head.substr(at, lf == std::string_view::npos ? lf : lf - at);
    const std::size_t cr = line.find('\r');  // must be the line's last byte, before its LF
    if (cr != std::string_view::npos && (cr + 1 != line.size() || lf == std::string_view::npos))
      return "bare CR in the header section";
    if (lf == std::string_view::npos) break;
    if (cr == std::string_view::npos) return "bare LF in the header section";
    if (lf + 1 < head.size() && (head[lf + 1] == ' ' || head[lf + 1] == '\t'))
      return "obs-fold (a header line starting with whitespace)";
    at = lf + 1;
  }
  return nullptr;
}

template <bool isRequest>
HeadParse parse_head(std::string_view input, std::size_t max_bytes, MessageHead& head, bool to_head) {
  std::vector<Field> fields = std::move(head.fields);  // keeps its capacity
  fields.clear();
  head = MessageHead();
  head.fields = std::move(fields);
  HeadParser<isRequest> parser(head);
  parser.eager(false);
  parser.skip(to_head);
  parser.header_limit(static_cast<std::uint32_t>(std::min<std::size_t>(max_bytes, UINT32_MAX)));
  parser.body_limit(boost::none);
  error_code ec;
  const std::size_t used = parser.put(boost::asio::buffer(input.data(), input.size()), ec);
  if (ec == beast::http::error::need_more) {
    if (input.size() > max_bytes) return {HeadStatus::too_large, "header section larger than " + std::to_string(max_bytes) + " bytes"};
    return {};
  }
  if (ec == beast::http::error::header_limit) return {HeadStatus::too_large, "header section larger than " + std::to_string(max_bytes) + " bytes"};
  if (ec) return {HeadStatus::bad, ec.message()};
  if (!parser.is_header_done()) return {};
  head.size = used;
  if (const char* problem = ambiguous_lines(input.substr(0, used))) return {HeadStatus::bad, problem};
  head.chunked = parser.chunked();
  if (const auto length = parser.content_length()) head.content_length = *length;
  head.keep_alive = parser.keep_alive();
  head.until_close = !isRequest && parser.need_eof() && !parser.is_done();
  return {HeadStatus::complete, {}};
}

}  // namespace

bool list_has(std::string_view list, std::string_view token) noexcept {
  while (!list.empty()) {
    const std::size_t comma = list.find(',');
    if (iequals(trimmed(list.substr(0, comma)), token)) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

const Field* MessageHead::find(std::string_view name) const noexcept {
  for (const Field& field : fields) {
    if (iequals(field.name, name)) return &field;
  }
  return nullptr;
}

HeadParse parse_request_head(std::string_view input, std::size_t max_bytes, MessageHead& head) {
  HeadParse parse = parse_head<true>(input, max_bytes, head, false);
  if (parse.status != HeadStatus::complete) return parse;
  std::size_t lengths = 0;
  std::size_t codings = 0;
  for (const Field& field : head.fields) {
    if (iequals(field.name, "content-length")) {
      if (++lengths > 1 || field.value.find(',') != std::string_view::npos) return {HeadStatus::bad, "more than one Content-Length"};
    } else if (iequals(field.name, "transfer-encoding")) {
      if (++codings > 1 || !iequals(field.value, "chunked"))
        return {HeadStatus::bad, "Transfer-Encoding other than chunked"};
    }
  }
  if (codings > 0 && head.version < 11) return {HeadStatus::bad, "Transfer-Encoding in an HTTP/1.0 request"};
  return parse;
}

const char* host_problem(const MessageHead& head) noexcept {
  const auto hosts = std::count_if(head.fields.begin(), head.fields.end(),
                                   [](const Field& field) { return iequals(field.name, "host"); });
  if (hosts > 1) return "more than one Host";
  if (hosts == 0 && head.version >= 11) return "an HTTP/1.1 request without Host";
  return nullptr;
}

HeadParse parse_response_head(std::string_view input, bool to_head, std::size_t max_bytes, MessageHead& head) {
  return parse_head<false>(input, max_bytes, head, to_head);
}

bool idempotent(std::string_view method) noexcept {
  static constexpr std::string_view kIdempotent[] = {"GET", "HEAD", "PUT", "DELETE", "OPTIONS"};
  for (const std::string_view m : kIdempotent) {
    if (method == m) return true;
  }
  return false;
}

}  // namespace ringleader::proxy::http
