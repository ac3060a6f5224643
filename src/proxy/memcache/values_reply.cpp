// ValuesReply; see values_reply.hpp.
#include "proxy/memcache/values_reply.hpp"

#include "proxy/memcache/reply_parser.hpp"

namespace ringleader::proxy::memcache {

void ValuesReply::on_part(std::uint32_t, std::string_view reply, bool failed) {
  const bool values = !failed && (reply == kEnd || reply.starts_with("VALUE "));
  if (!values) {
    if (error_.empty()) error_.assign(reply);
    return;
  }
  const std::string_view blocks = reply.substr(0, reply.size() - kEnd.size());
  if (keep_reply_buffer()) {
    append_kept(blocks);
  } else {
    append(blocks);
  }
}

void ValuesReply::on_all_parts() {
  if (!error_.empty()) {
    replace(error_);
  } else {
    append(kEnd);
  }
}

}  // namespace ringleader::proxy::memcache
