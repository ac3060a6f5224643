// rewrite_response_heads; see response_head.hpp.
#include "proxy/http/response_head.hpp"

#include "proxy/http/message_head.hpp"

#include <cstdio>

namespace ringleader::proxy::http {
namespace {

/// Appends the head `head` (status line and fields, without the final empty line) rewritten. A 101
/// (`switching`: the server switched to the WebSocket protocol the client asked for) keeps its
/// Connection and Upgrade fields: the client and the server speak through the proxy from there on.
/// A response with a body (`has_body`) that gives it no length ends at the close: to a client whose
/// connection stays open it goes in chunks (returns true), else the client's connection closes.
bool append_head(std::string& out, std::string_view head, AfterResponse after, bool switching, bool has_body) {
  const std::size_t line_end = head.find("\r\n");
  const std::string_view status_line = head.substr(0, line_end);
  const std::size_t space = status_line.find(' ');
  out.append("HTTP/1.1").append(status_line.substr(space == std::string_view::npos ? status_line.size() : space));
  out.append("\r\n");
  const std::string_view fields = line_end == std::string_view::npos ? std::string_view() : head.substr(line_end + 2);
  std::string_view connection;  // the Connection field's value, for the fields it names
  for (std::size_t at = 0; at < fields.size();) {
    const std::size_t end = std::min(fields.find("\r\n", at), fields.size());
    const std::string_view line = fields.substr(at, end - at);
    if (const std::size_t colon = line.find(':'); colon != std::string_view::npos && iequals(line.substr(0, colon), "connection"))
      connection = trimmed(line.substr(colon + 1));
    at = end + 2;
  }
  bool framed = false;  // the body's length is given (Content-Length or Transfer-Encoding)
  for (std::size_t at = 0; at < fields.size();) {
    const std::size_t end = std::min(fields.find("\r\n", at), fields.size());
    const std::string_view line = fields.substr(at, end - at);
    const std::size_t colon = line.find(':');
    const std::string_view name = colon == std::string_view::npos ? line : line.substr(0, colon);
    const bool kept = switching && (iequals(name, "connection") || iequals(name, "upgrade"));
    if (colon == std::string_view::npos || kept || !hop_by_hop(name, connection)) out.append(line).append("\r\n");
    const std::string_view trimmed_name = trimmed(name);
    framed = framed || iequals(trimmed_name, "content-length") || iequals(trimmed_name, "transfer-encoding");
    at = end + 2;
  }
  const bool ends_at_close = has_body && !framed;
  const bool chunks = ends_at_close && after == AfterResponse::stays_open;
  if (chunks) out.append("Transfer-Encoding: chunked\r\n");
  if (ends_at_close && !chunks) after = AfterResponse::closes;
  if (after == AfterResponse::closes) out.append("Connection: close\r\n");
  if (after == AfterResponse::kept_alive) out.append("Connection: keep-alive\r\n");
  out.append("\r\n");
  return chunks;
}

/// The status code of a status line ("HTTP/1.1 200 OK"); 0 if it has none.
unsigned status_of(std::string_view head) {
  const std::size_t space = head.find(' ');
  if (space == std::string_view::npos || head.size() < space + 4) return 0;
  unsigned code = 0;
  for (const char c : head.substr(space + 1, 3)) {
    if (c < '0' || c > '9') return 0;
    code = code * 10 + static_cast<unsigned>(c - '0');
  }
  return code;
}

}  // namespace

bool hop_by_hop(std::string_view name, std::string_view connection) noexcept {
  static constexpr std::string_view kHopByHop[] = {"connection", "keep-alive", "te", "trailer", "upgrade",
                                                   "proxy-connection"};
  for (const std::string_view hop : kHopByHop) {
    if (iequals(name, hop)) return true;
  }
  if (name.size() >= 6 && iequals(name.substr(0, 6), "proxy-")) return true;
  return !connection.empty() && list_has(connection, name);
}

bool rewrite_response_heads(std::string& bytes, AfterResponse after, bool to_head) {
  // The heads are rewritten into this thread's scratch string, which then takes their place in
  // `bytes`: no allocation per response once the scratch has grown to the largest head, and the
  // body moves by only as many bytes as the heads changed.
  thread_local std::string out;
  out.clear();
  std::size_t at = 0;
  bool chunks = false;
  for (;;) {
    const std::size_t end = bytes.find("\r\n\r\n", at);
    if (end == std::string::npos) return false;  // not a whole head: leave the bytes alone
    const std::string_view head = std::string_view(bytes).substr(at, end - at);
    const unsigned status = status_of(head);
    const bool has_body = status >= 200 && status != 204 && status != 304 && !to_head;
    chunks = append_head(out, head, status >= 200 ? after : AfterResponse::stays_open, status == 101, has_body);
    at = end + 4;
    if (status >= 200 || status == 101 || status == 0) break;
  }
  const std::size_t body = bytes.size() - at;
  if (chunks && body > 0) out.append(chunk_size_line(body));
  bytes.replace(0, at, out);
  if (chunks && body > 0) bytes.append("\r\n");
  return chunks;
}

std::string chunk_size_line(std::size_t size) {
  char line[24];
  const int n = std::snprintf(line, sizeof line, "%zx\r\n", size);
  return {line, static_cast<std::size_t>(n)};
}

}  // namespace ringleader::proxy::http
