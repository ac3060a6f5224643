// Fuzzes the framing and splitting of RESP replies coming back from a backend.
#include <cstdint>
#include <vector>

#include "check.hpp"
#include "proxy/redis/reply_parser.hpp"

using namespace ringleader::proxy::redis;
using ringleader::fuzz::check;
using ringleader::fuzz::inside;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view buffer(reinterpret_cast<const char*>(data), size);
  ReplyFrame frame = frame_reply(buffer);
  check(frame.size <= buffer.size());
  std::vector<std::string_view> elements;
  if (split_array(buffer, elements))
    for (auto e : elements) check(inside(e, buffer));
  long long value = 0;
  integer_value(buffer, value);
  return 0;
}
