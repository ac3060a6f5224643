// redis::Pinned; see pinned.hpp.
#include "proxy/redis/pinned.hpp"

#include <algorithm>

#include "proxy/pool_worker.hpp"
#include "proxy/recycled.hpp"
#include "proxy/redis/resp.hpp"

namespace ringleader::proxy::redis {
namespace {

const std::string kMulti = command({"MULTI"});
const std::string kDiscard = command({"DISCARD"});

}  // namespace

std::string no_pinned_connection(const config::Pool& pool) {
  return error_reply("redis_pinned_connections (" + std::to_string(pool.redis_pinned_connections) +
               " per worker thread) reached: no connection of its own for this client's transaction, blocking "
               "command or subscription");
}

Pinned::~Pinned() {
  // The client is gone: a transaction it left open, or a pop it waits for, must not run for nobody.
  if (pinned_) pinned_->abandon();
  for (const auto& weak : blocked_) {
    if (const auto connection = weak.lock()) connection->abandon();
  }
}

void Pinned::run(const CommandSpec& spec, const Request& request, std::span<const std::string_view> keys,
                 Dialect dialect) {
  if (spec.routing == Routing::transaction) return transaction_command(spec, request, keys, dialect);
  if (multi_) {  // queued by the server, or refused here
    if (keys.empty()) {
      aborted_ = true;
      return reply(error_reply("command '" + std::string(spec.name) + "' inside MULTI is not supported by proxy"));
    }
    send_pinned(spec, request, keys, dialect);
    return;
  }
  block(spec, request, keys, dialect);
}

void Pinned::transaction_command(const CommandSpec& spec, const Request& request,
                                 std::span<const std::string_view> keys, Dialect dialect) {
  const std::string_view name = spec.name;
  if ((name == "MULTI" || name == "WATCH") && pool_.replicated())
    return reply(error_reply(std::string(name) + " is not supported by proxy on a pool with replicas"));
  if (name == "MULTI") {
    if (multi_) return reply(error_reply("MULTI calls can not be nested"));
    multi_ = true;
    multi_sent_ = aborted_ = false;
    return reply("+OK\r\n");
  }
  if (name == "WATCH") {
    if (multi_) return reply(error_reply("WATCH inside MULTI is not allowed"));
    send_pinned(spec, request, keys, dialect);
    return;
  }
  if (name == "UNWATCH") {
    if (multi_) {
      aborted_ = true;
      return reply(error_reply("UNWATCH inside MULTI is not supported by proxy"));
    }
    if (!pinned_) return reply("+OK\r\n");
    send(*pinned_, command({"UNWATCH"}), true);
    return unpin();
  }
  if (!multi_) return reply(error_reply(std::string(name) + " without MULTI"));
  multi_ = false;
  if (name == "DISCARD") {
    if (multi_sent_) {
      send(*pinned_, kDiscard, true);
    } else {
      reply("+OK\r\n");
    }
    return unpin();
  }
  // EXEC
  if (aborted_) {
    if (multi_sent_) send(*pinned_, kDiscard, false);
    reply("-EXECABORT Transaction discarded because of previous errors.\r\n");
    return unpin();
  }
  if (!pinned_) return reply("*0\r\n");  // nothing queued and nothing watched
  if (!multi_sent_) send(*pinned_, kMulti, false);  // only WATCH: the server says if a key changed
  send(*pinned_, command({"EXEC"}), true);
  unpin();
}

void Pinned::block(const CommandSpec& spec, const Request& request, std::span<const std::string_view> keys,
                   Dialect dialect) {
  if (pool_.replicated()) return reply(error_reply(std::string(spec.name) + " is not supported by proxy on a pool with replicas"));
  std::uint32_t server = 0;
  if (!one_server(spec, keys, server)) return;
  auto connection = pool_.pinned_connection(server, dialect);
  if (!connection) return reply(no_pinned_connection(pool_.pool()));
  connection->wait_forever();  // the server answers at the client's own timeout
  std::erase_if(blocked_, [](const auto& weak) { return weak.expired(); });
  blocked_.push_back(connection);
  send(*connection, as_resp(request), true);
  connection->retire();  // closes once answered
}

bool Pinned::send_pinned(const CommandSpec& spec, const Request& request, std::span<const std::string_view> keys,
                         Dialect dialect) {
  std::uint32_t server = 0;
  if (!one_server(spec, keys, server)) {
    aborted_ = multi_;
    return false;
  }
  if (!pinned_) {
    pinned_ = pool_.pinned_connection(server, dialect);
    if (!pinned_) {
      aborted_ = multi_;
      reply(no_pinned_connection(pool_.pool()));
      return false;
    }
    pinned_->connect_once();
    layout_ = pool_.layout();
    server_ = server;
  } else if (server != server_ || layout_ != pool_.layout()) {
    aborted_ = multi_;
    reply(error_reply("keys of '" + std::string(spec.name) +
                "' live on another server than the transaction's; use hash tags to keep them on one server"));
    return false;
  }
  if (multi_ && !multi_sent_) {
    send(*pinned_, kMulti, false);
    multi_sent_ = true;
  }
  send(*pinned_, as_resp(request), true);
  return true;
}

std::string_view Pinned::as_resp(const Request& request) {
  if (!request.inline_form) return request.raw;
  scratch_.clear();
  append_command(scratch_, request.args);
  return scratch_;
}

bool Pinned::one_server(const CommandSpec& spec, std::span<const std::string_view> keys, std::uint32_t& server) {
  if (!pool_.route(keys, servers_)) {
    reply(error_reply("no server available"));
    return false;
  }
  if (!std::all_of(servers_.begin(), servers_.end(), [&](std::uint32_t s) { return s == servers_[0]; })) {
    reply(error_reply("keys of '" + std::string(spec.name) +
                "' live on different servers; use hash tags to keep them on one server"));
    return false;
  }
  server = servers_[0];
  return true;
}

void Pinned::send(Backend& connection, std::string_view request, bool sends) {
  auto reply = make_recycled<PassThroughReply>(sends);
  if (sends) enqueue_(reply);
  connection.send({request}, std::move(reply), 0);
}

void Pinned::reply(std::string_view bytes) { enqueue_(PendingReply::local(bytes)); }

void Pinned::unpin() {
  if (pinned_) pinned_->retire();  // closes once its replies are in
  pinned_.reset();
  layout_.reset();
  multi_ = multi_sent_ = aborted_ = false;
}

}  // namespace ringleader::proxy::redis
