// ValuesReply: a get/gets/gat/gats whose keys were split over several servers, merged back into one
// reply: every server's VALUE blocks, then a single END.
//
// If any server answered with an error (or could not be reached), the whole request gets that error
// instead: a client cannot tell a partial answer from misses, and memcached itself never answers
// part of a multi-get.
#pragma once

#include <string>

#include "proxy/pending_reply.hpp"

namespace ringleader::proxy::memcache {

class ValuesReply final : public PendingReply {
 public:
  explicit ValuesReply(std::uint32_t parts) : PendingReply(parts) {}

 protected:
  void on_part(std::uint32_t part, std::string_view reply, bool failed) override;
  void on_all_parts() override;

 private:
  std::string error_;
};

}  // namespace ringleader::proxy::memcache
