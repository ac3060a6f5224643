// redis::RouteCommand: a Redis command as the route layer sees it (route/command.hpp), per its
// entry in the commands table (commands.hpp): MGET, EXISTS, DEL, UNLINK, TOUCH and MSET split over
// servers and merge (merged_replies.hpp); reads fail over between copies and are warmed (EXISTS's
// count is not); DEL and UNLINK are removes; the rest write.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "proxy/redis/commands.hpp"
#include "proxy/redis/connection_commands.hpp"
#include "proxy/redis/request_parser.hpp"
#include "proxy/route/command.hpp"

namespace ringleader::proxy::redis {

class RouteCommand final : public route::Command {
 public:
  /// Describes `request`, a `spec` command with `keys`, which must stay as they are while it is
  /// routed, from a client whose connection is `connection` (servers answer in its RESP version);
  /// an inline command is written as RESP into `scratch`.
  void describe(const CommandSpec& spec, const Request& request, std::span<const std::string_view> keys,
                std::string& scratch, const ConnectionState& connection);

  void one_key(std::size_t k, std::string& out) const override;
  std::shared_ptr<PendingReply> per_key_reply(std::size_t keys) const override;
  void split_request(std::span<const std::uint32_t> keys, std::string& out) const override;
  std::shared_ptr<PendingReply> split_reply(const KeysByServer& parts) const override;

 private:
  const CommandSpec* spec_ = nullptr;
  const Request* request_ = nullptr;
};

}  // namespace ringleader::proxy::redis
