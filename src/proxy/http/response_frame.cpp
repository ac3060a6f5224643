// frame_response; see response_frame.hpp.
#include "proxy/http/response_frame.hpp"

#include "proxy/http/chunked.hpp"
#include "proxy/http/message_head.hpp"

namespace ringleader::proxy::http {
namespace {

using Status = ResponseFrame::Status;

ResponseFrame complete(std::size_t size, bool closes) { return {Status::complete, size, 0, false, false, closes}; }
ResponseFrame malformed() { return {Status::malformed, 0, 0, false, false, false}; }

/// A chunked body at `offset` of `input`.
ResponseFrame frame_chunks(std::string_view input, std::size_t offset, bool closes) {
  ChunkedBody body;
  const ChunkedBody::Scan scan = body.scan(input.substr(offset));
  if (scan.status == ChunkedBody::Status::complete) return complete(offset + scan.used, closes);
  if (scan.status == ChunkedBody::Status::malformed) return malformed();
  // In the trailer section the end is near: wait for it rather than pass on a part of it.
  if (body.in_trailer()) return {Status::need_more, 0, 0, false, false, false};
  return {Status::need_more, 0, offset + scan.used + body.certain_ahead(), false, true, closes};
}

}  // namespace

ResponseFrame frame_response(std::string_view input, Reply kind, std::size_t max_head) {
  if (kind == Reply::chunks) return frame_chunks(input, 0, false);
  thread_local MessageHead head;  // reused: its field list keeps its capacity
  std::size_t offset = 0;         // past the interim responses
  for (;;) {
    const HeadParse parse = parse_response_head(input.substr(offset), kind == Reply::response_to_head, max_head, head);
    if (parse.status == HeadStatus::need_more) return {Status::need_more, 0, 0, false, false, false};
    if (parse.status != HeadStatus::complete) return malformed();
    if (head.status == 101) {
      if (kind != Reply::upgrade) return malformed();
      return {Status::need_more, 0, kUntilClose, false, false, true, true};  // the tunnel, to the close
    }
    if (head.status >= 200) break;
    offset += head.size;
  }
  const std::size_t body = offset + head.size;
  const bool closes = !head.keep_alive;
  if (kind == Reply::response_to_head || head.status == 204 || head.status == 304) return complete(body, closes);
  if (head.chunked) return frame_chunks(input, body, closes);
  if (head.until_close) return {Status::need_more, 0, kUntilClose, false, false, true, true};
  const std::uint64_t end = body + head.content_length.value_or(0);
  if (end <= input.size()) return complete(static_cast<std::size_t>(end), closes);
  return {Status::need_more, 0, end, true, false, closes};
}

}  // namespace ringleader::proxy::http
