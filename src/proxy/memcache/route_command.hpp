// memcache::RouteCommand: a memcached request as the route layer sees it (route/command.hpp).
// get/gets/gat/gats read and split over servers, their parts merged by ValuesReply; get and gets
// are warmed (a gat also touches, so it counts as a write); delete is a remove; the rest write.
#pragma once

#include "proxy/memcache/request_parser.hpp"
#include "proxy/route/command.hpp"

namespace ringleader::proxy::memcache {

class RouteCommand final : public route::Command {
 public:
  /// Describes `request`, which must stay as it is while the command is routed.
  void describe(const Request& request);

  void one_key(std::size_t k, std::string& out) const override;
  std::shared_ptr<PendingReply> per_key_reply(std::size_t keys) const override;
  void split_request(std::span<const std::uint32_t> keys, std::string& out) const override;
  std::shared_ptr<PendingReply> split_reply(const KeysByServer& parts) const override;

 private:
  /// "get", "gets", "gat <exptime>" or "gats <exptime>".
  void retrieval_head(std::string& out) const;

  const Request* request_ = nullptr;
};

}  // namespace ringleader::proxy::memcache
