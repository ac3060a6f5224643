// Fuzzes the memcached request parser: any bytes, parsed request by request as the proxy does.
#include <cstdint>

#include "check.hpp"
#include "proxy/memcache/request_parser.hpp"

using namespace ringleader::proxy::memcache;
using ringleader::fuzz::check;
using ringleader::fuzz::inside;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view buffer(reinterpret_cast<const char*>(data), size);
  Request request;
  Limits limits;
  limits.max_value = 4096;  // small limits reach the "too large" paths with small inputs
  limits.max_line = 512;
  while (!buffer.empty()) {
    ParseResult r = parse(buffer, request, limits);
    check(r.consumed <= buffer.size());
    if (r.status == ParseStatus::need_more || r.status == ParseStatus::fatal) break;
    if (r.status == ParseStatus::complete) {
      check(r.consumed > 0);
      for (auto key : request.keys) check(inside(key, buffer) && !key.empty() && key.size() <= limits.max_key);
      check(inside(request.data, buffer) && inside(request.line, buffer) && inside(request.forward_line, buffer));
    } else {
      check(!r.error_reply.empty() && r.error_reply.ends_with("\r\n"));
    }
    std::size_t skip = r.consumed + r.swallow;
    if (skip == 0 || skip > buffer.size()) break;
    buffer.remove_prefix(skip);
  }
  return 0;
}
