// Fuzzes the HTTP request framing: any bytes, read request by request as http::Session does (the
// head by Beast's parser and the smuggling checks, then a Content-Length or chunked body).
#include <cstdint>

#include "check.hpp"
#include "proxy/http/chunked.hpp"
#include "proxy/http/message_head.hpp"

using namespace ringleader::proxy::http;
using ringleader::fuzz::check;
using ringleader::fuzz::inside;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view buffer(reinterpret_cast<const char*>(data), size);
  MessageHead head;
  while (!buffer.empty()) {
    const HeadParse parse = parse_request_head(buffer, 2048, head);  // a small limit reaches 431 too
    if (parse.status != HeadStatus::complete) {
      check(parse.status == HeadStatus::need_more || !parse.reason.empty());
      break;
    }
    check(head.size > 0 && head.size <= buffer.size());
    check(inside(head.method, buffer) && inside(head.target, buffer));
    for (const Field& field : head.fields) check(inside(field.name, buffer) && inside(field.value, buffer));
    check(!(head.chunked && head.content_length));
    buffer.remove_prefix(head.size);
    if (head.chunked) {
      ChunkedBody body;
      const ChunkedBody::Scan scan = body.scan(buffer);
      check(scan.used <= buffer.size());
      if (scan.status != ChunkedBody::Status::complete) break;
      buffer.remove_prefix(scan.used);
    } else if (head.content_length) {
      if (*head.content_length > buffer.size()) break;
      buffer.remove_prefix(static_cast<std::size_t>(*head.content_length));
    }
  }
  return 0;
}
