// Fuzzes the RESP request parser (arrays of bulk strings and inline commands).
#include <cstdint>

#include "check.hpp"
#include "proxy/redis/request_parser.hpp"

using namespace ringleader::proxy::redis;
using ringleader::fuzz::check;
using ringleader::fuzz::inside;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view buffer(reinterpret_cast<const char*>(data), size);
  Request request;
  Limits limits;
  limits.max_inline = 512;  // small limits reach the "too large" paths with small inputs
  limits.max_args = 64;
  limits.max_bulk = 4096;
  limits.stream_above = 16;  // longer arguments stream: frame_rest() takes the rest of the command
  while (!buffer.empty()) {
    ParseResult r = parse(buffer, request, limits);
    check(r.consumed <= buffer.size());
    if (r.status != ParseStatus::complete) {
      if (r.status == ParseStatus::fatal) check(r.error_reply.starts_with("-ERR"));
      break;
    }
    check(r.consumed > 0 && request.raw.size() == r.consumed && inside(request.raw, buffer));
    for (auto arg : request.args) check(inside(arg, buffer));
    buffer.remove_prefix(r.consumed);
    if (request.streamed.done()) continue;
    StreamedRest rest = request.streamed;
    r = frame_rest(buffer, rest, limits);
    check(r.consumed <= buffer.size());
    if (r.status != ParseStatus::complete) {
      if (r.status == ParseStatus::fatal) check(r.error_reply.starts_with("-ERR"));
      break;
    }
    check(rest.done());
    buffer.remove_prefix(r.consumed);
  }
  return 0;
}
