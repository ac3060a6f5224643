// memcache::RouteCommand; see route_command.hpp.
#include "proxy/memcache/route_command.hpp"

#include "proxy/memcache/protocol.hpp"
#include "proxy/memcache/values_reply.hpp"

namespace ringleader::proxy::memcache {

void RouteCommand::describe(const Request& request) {
  request_ = &request;
  const bool storage = is_storage(request.command);
  const bool retrieval = is_retrieval(request.command);
  keys = request.keys;
  this->request = {request.forward_line, "\r\n", storage ? request.data : "", storage ? "\r\n" : ""};
  kind = retrieval ? Reply::values : Reply::one_line;
  reads = splits = retrieval;
  effect = request.command == memcache::Command::get || request.command == memcache::Command::gets ? Effect::read
           : request.command == memcache::Command::del                                   ? Effect::remove
                                                                               : Effect::write;
  with_cas = request.command == memcache::Command::gets;
  sends = !request.noreply;
}

void RouteCommand::retrieval_head(std::string& out) const {
  switch (request_->command) {
    case memcache::Command::gets: out.append("gets"); break;
    case memcache::Command::gat: out.append("gat"); break;
    case memcache::Command::gats: out.append("gats"); break;
    default: out.append("get"); break;
  }
  if (!request_->exptime.empty()) out.append(" ").append(request_->exptime);
}

void RouteCommand::one_key(std::size_t k, std::string& out) const {
  if (effect == Effect::remove) {
    out.append(request_->forward_line).append("\r\n");
    return;
  }
  retrieval_head(out);
  out.append(" ").append(request_->keys[k]).append("\r\n");
}

std::shared_ptr<PendingReply> RouteCommand::per_key_reply(std::size_t keys) const {
  return std::make_shared<ValuesReply>(static_cast<std::uint32_t>(keys));
}

void RouteCommand::split_request(std::span<const std::uint32_t> keys, std::string& out) const {
  retrieval_head(out);
  for (const std::uint32_t k : keys) out.append(" ").append(request_->keys[k]);
  out.append("\r\n");
}

std::shared_ptr<PendingReply> RouteCommand::split_reply(const KeysByServer& parts) const {
  return std::make_shared<ValuesReply>(parts.parts());
}

}  // namespace ringleader::proxy::memcache
