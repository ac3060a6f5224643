// Fuzzes the framing of memcached replies coming back from a backend.
#include <cstdint>

#include "check.hpp"
#include "proxy/memcache/reply_parser.hpp"

using namespace ringleader::proxy::memcache;
using ringleader::fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const bool retrieval = data[0] & 1;
  std::string_view buffer(reinterpret_cast<const char*>(data) + 1, size - 1);
  ReplyFrame frame = frame_reply(buffer, retrieval);
  check(frame.size <= buffer.size());
  return 0;
}
