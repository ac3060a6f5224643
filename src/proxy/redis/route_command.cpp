// redis::RouteCommand; see route_command.hpp.
#include "proxy/redis/route_command.hpp"

#include <vector>

#include "proxy/redis/merged_replies.hpp"
#include "proxy/redis/resp.hpp"

namespace ringleader::proxy::redis {

void RouteCommand::describe(const CommandSpec& spec, const Request& request, std::span<const std::string_view> keys,
                            std::string& scratch, const ConnectionState& connection) {
  spec_ = &spec;
  request_ = &request;
  name = spec.name;
  this->keys = keys;
  // RESP as the client sent it; an inline command is rewritten (inline cannot carry binary).
  std::string_view whole = request.raw;
  if (request.inline_form) {
    scratch.clear();
    append_command(scratch, request.args);
    whole = scratch;
  }
  this->request = {whole, {}, {}, {}};
  dialect = connection.dialect();
  reads = spec.reads;
  splits = spec.splits();
  counts = spec.routing != Routing::split_values;
  effect = spec.reads                                   ? Effect::read
           : spec.name == "DEL" || spec.name == "UNLINK" ? Effect::remove
                                                        : Effect::write;
}

void RouteCommand::one_key(std::size_t k, std::string& out) const {
  const std::string_view one[] = {request_->args[0], keys[k]};
  append_command(out, one);
}

std::shared_ptr<PendingReply> RouteCommand::per_key_reply(std::size_t keys) const {
  if (spec_->routing != Routing::split_values) return std::make_shared<SumReply>(static_cast<std::uint32_t>(keys));
  // MGET asked key by key: key k's value is part k.
  std::vector<std::vector<std::uint32_t>> positions(keys);
  for (std::uint32_t k = 0; k < keys; ++k) positions[k] = {k};
  return std::make_shared<ValuesInOrderReply>(keys, std::move(positions));
}

void RouteCommand::split_request(std::span<const std::uint32_t> part_keys, std::string& out) const {
  const std::size_t per_key = spec_->routing == Routing::split_pairs ? 2 : 1;
  append_array_head(out, 1 + per_key * part_keys.size());
  append_bulk(out, request_->args[0]);
  for (const std::uint32_t k : part_keys) {
    // keys[k] is args[1 + per_key * k]; for MSET its value follows it.
    append_bulk(out, request_->args[1 + per_key * k]);
    if (per_key == 2) append_bulk(out, request_->args[2 + per_key * k]);
  }
}

std::shared_ptr<PendingReply> RouteCommand::split_reply(const KeysByServer& parts) const {
  switch (spec_->routing) {
    case Routing::split_values: {
      std::vector<std::vector<std::uint32_t>> positions(parts.parts());
      for (std::uint32_t part = 0; part < parts.parts(); ++part)
        positions[part].assign(parts.keys(part).begin(), parts.keys(part).end());
      return std::make_shared<ValuesInOrderReply>(keys.size(), std::move(positions));
    }
    case Routing::split_count:
      return std::make_shared<SumReply>(parts.parts());
    default:
      return std::make_shared<AllOkReply>(parts.parts());
  }
}

}  // namespace ringleader::proxy::redis
