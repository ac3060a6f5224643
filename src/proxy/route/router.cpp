// route::Router; see router.hpp.
#include "proxy/route/router.hpp"

#include <algorithm>

#include "proxy/buffers.hpp"
#include "proxy/recycled.hpp"
#include "proxy/route/replicas.hpp"
#include "proxy/route/warm_up.hpp"

namespace ringleader::proxy::route {

void Router::send(RouteContext& pool, const Command& command) {
  if (pool.pool().replicas > 1) return replicate(pool, command);
  if (!pool.route(command.keys, servers_)) return refuse(pool, "no server available");
  if (pool.warming() && warm_up(pool, command, servers_, enqueue_)) return;
  if (one_server()) return send_to(pool, command, servers_[0]);
  if (!command.splits) return refuse_keys_apart(pool, command);
  enqueue_(split(pool, command));
}

void Router::send_to(RouteContext& pool, const Command& command, std::uint32_t server) {
  if (command.retries > 0) return fail_over(pool, command, server);
  auto reply = make_recycled<PassThroughReply>(command.sends);
  enqueue_(reply);
  const auto& r = command.request;
  pool.connection(server, command.dialect).send({r[0], r[1], r[2], r[3]}, std::move(reply), 0, command.kind);
}

void Router::fail_over(RouteContext& pool, const Command& command, std::uint32_t server) {
  // The routed server first (bounded loads may have chosen it), then the key's next ones.
  Copies next;
  pool.copies(command.keys[0], next, std::size_t{1} + command.retries);
  Copies order;
  order.server[order.count++] = server;
  for (const std::uint32_t other : next.servers()) {
    if (other != server && order.count <= command.retries && order.count < kMaxReplicas)
      order.server[order.count++] = other;
  }
  scratch_.clear();
  command.one_key(0, scratch_);
  auto reply = make_recycled<FailoverRead>(pool, order.servers(), scratch_, command.kind, command.sends,
                                              command.dialect);
  enqueue_(reply);
  reply->send();
}

std::span<const std::uint32_t> Router::stream_to(RouteContext& pool, const Command& command) {
  if (pool.pool().replicas > 1) {
    if (!place_copies(pool, command)) return {};
    if (!copies_together()) {
      refuse_keys_apart(pool, command);
      return {};
    }
    return copies_[0].servers();
  }
  if (!pool.route(command.keys, servers_)) {
    refuse(pool, "no server available");
    return {};
  }
  if (!one_server()) {
    refuse_keys_apart(pool, command);
    return {};
  }
  if (pool.warming()) warm_up(pool, command, servers_, enqueue_);  // a write: noted, and sent as usual
  return std::span(servers_).first(1);
}

void Router::trim(std::size_t keep) {
  clear_and_trim(servers_, keep);
  clear_and_trim(copies_, keep);
  parts_.trim(keep);
}

void Router::replicate(RouteContext& pool, const Command& command) {
  if (command.reads && command.splits && command.keys.size() > 1) {  // key by key, each failing over
    auto reply = command.per_key_reply(command.keys.size());
    enqueue_(reply);
    const auto one_key = [&](std::size_t k, std::string& out) { command.one_key(k, out); };
    FailoverRead::send_each(pool, reply, command.keys, one_key, command.kind, command.dialect);
    return;
  }
  if (!place_copies(pool, command)) return;
  if (!copies_together()) {
    if (!command.splits) return refuse_keys_apart(pool, command);
    return split_to_copies(pool, command);
  }
  // Kept whole: a read sends it again to the next copy.
  scratch_.clear();
  for (const std::string_view piece : command.request) scratch_.append(piece);
  const std::span<const std::uint32_t> copies = copies_[0].servers();
  if (command.reads) {
    auto reply = make_recycled<FailoverRead>(pool, copies, scratch_, command.kind, command.sends, command.dialect);
    enqueue_(reply);
    reply->send();
    return;
  }
  auto reply = ReplicatedWrite::make(pool, static_cast<std::uint32_t>(copies.size()), command.sends);
  enqueue_(reply);
  ReplicatedWrite::send(reply, pool, copies, scratch_, command.kind, command.dialect);
}

// One split per copy: round c sends each key to its c-th copy, and its merged reply is part c of
// the whole, so the client gets the first copy's count (or the worst error) once.
void Router::split_to_copies(RouteContext& pool, const Command& command) {
  std::size_t rounds = 0;
  for (const Copies& c : copies_) rounds = std::max(rounds, c.count);
  auto whole = ReplicatedWrite::make(pool, static_cast<std::uint32_t>(rounds), command.sends);
  enqueue_(whole);
  for (std::uint32_t round = 0; round < rounds; ++round) {
    servers_.clear();
    for (const Copies& c : copies_) servers_.push_back(c.server[std::min<std::size_t>(round, c.count - 1)]);
    split(pool, command)->answer_into(whole, round);
  }
}

std::shared_ptr<PendingReply> Router::split(RouteContext& pool, const Command& command) {
  parts_.group(servers_);
  if (parts_.parts() > 1) pool.counters().fragments.add(parts_.parts());
  auto reply = command.split_reply(parts_);
  for (std::uint32_t part = 0; part < parts_.parts(); ++part) {
    scratch_.clear();
    command.split_request(parts_.keys(part), scratch_);
    pool.connection(parts_.server(part), command.dialect).send({scratch_}, reply, part, command.kind);
  }
  return reply;
}

bool Router::place_copies(RouteContext& pool, const Command& command) {
  copies_.resize(command.keys.size());
  for (std::size_t k = 0; k < command.keys.size(); ++k) {
    pool.copies(command.keys[k], copies_[k]);
    if (copies_[k].count == 0) {
      refuse(pool, "no server available");
      return false;
    }
  }
  return true;
}

bool Router::copies_together() const {
  return std::all_of(copies_.begin(), copies_.end(), [&](const Copies& c) { return c == copies_[0]; });
}

bool Router::one_server() const {
  return std::all_of(servers_.begin(), servers_.end(), [&](std::uint32_t s) { return s == servers_[0]; });
}

void Router::refuse(RouteContext& pool, std::string_view reason) {
  enqueue_(PendingReply::local(pool.protocol().error_reply(reason)));
}

void Router::refuse_keys_apart(RouteContext& pool, const Command& command) {
  refuse(pool, "keys of '" + std::string(command.name) +
                   "' live on different servers; use hash tags to keep them on one server");
}

}  // namespace ringleader::proxy::route
