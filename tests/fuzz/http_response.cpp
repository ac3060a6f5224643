// Fuzzes the HTTP response framing (where a server's response ends): any bytes, framed response by
// response as a Backend does, the kind taken from the first byte.
#include <cstdint>

#include "check.hpp"
#include "proxy/http/response_frame.hpp"

using namespace ringleader::proxy::http;
using ringleader::fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const auto kind = static_cast<Reply>(data[0] % 4);
  std::string_view buffer(reinterpret_cast<const char*>(data) + 1, size - 1);
  while (!buffer.empty()) {
    const ResponseFrame frame = frame_response(buffer, kind, 2048);
    if (frame.status != ResponseFrame::Status::complete) {
      // A length known up front that ends the response: the response is not all there.
      check(frame.status == ResponseFrame::Status::malformed || !frame.certain_ends || frame.certain > buffer.size());
      // A body that ends at the close is certain past any input, and ends nothing else.
      check(!frame.ends_at_close || (frame.certain == kUntilClose && frame.closes && !frame.certain_ends));
      break;
    }
    check(frame.size > 0 && frame.size <= buffer.size());
    buffer.remove_prefix(frame.size);
  }
  return 0;
}
