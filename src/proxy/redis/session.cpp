// redis::Session; see session.hpp.
#include "proxy/redis/session.hpp"

#include <algorithm>
#include <cctype>

#include "proxy/buffers.hpp"
#include "proxy/pool_worker.hpp"
#include "proxy/redis/merged_replies.hpp"
#include "proxy/redis/resp.hpp"
#include "proxy/route/warm_up.hpp"

namespace ringleader::proxy::redis {
namespace {

constexpr std::size_t kKeepEntries = 256;  // scratch entries a connection keeps between requests

constexpr std::string_view kNoServer = "-ERR no server available\r\n";

// A client-supplied name, safe to put in a one-line error reply.
std::string printable(std::string_view text) {
  std::string out;
  for (unsigned char c : text.substr(0, 64)) out += std::isprint(c) ? static_cast<char>(c) : '?';
  return out;
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The request as servers get it: RESP as the client sent it, or an inline command rewritten into
// `scratch` (inline cannot carry binary).
std::string_view as_sent(const Request& request, std::string& scratch) {
  if (!request.inline_form) return request.raw;
  scratch.clear();
  append_command(scratch, request.args);
  return scratch;
}

// Why a command whose keys must live together is refused.
std::string keys_apart(const CommandSpec& spec) {
  return "keys of '" + std::string(spec.name) + "' live on different servers; use hash tags to keep them on one server";
}

// MGET's reply when each of its `keys` is asked on its own: key k's value is part k.
std::shared_ptr<ValuesInOrderReply> values_key_by_key(std::size_t keys) {
  std::vector<std::vector<std::uint32_t>> positions(keys);
  for (std::uint32_t k = 0; k < keys; ++k) positions[k] = {k};
  return std::make_shared<ValuesInOrderReply>(keys, std::move(positions));
}

// The pool's limits (config.hpp); an absent max_value_bytes keeps Limits' own. Arguments larger
// than kStreamAbove stream.
Limits limits_of(const config::Pool& pool) {
  Limits limits;
  limits.max_inline = pool.max_line_bytes;
  if (pool.max_value_bytes) limits.max_bulk = *pool.max_value_bytes;
  limits.stream_above = Session::kStreamAbove;
  return limits;
}

}  // namespace

Session::Session(Socket socket, PoolWorker& pool)
    : ClientSession(std::move(socket)), pool_(pool), authenticated_(pool.pool().redis_auth.empty()) {}

Session::~Session() {
  stream_.abandon();  // the client left in the middle of a value
}

bool Session::input_paused() const {
  if (stream_waits_) return !all_answered();
  return stream_.active() && stream_.holds_reader(!rest_.done());
}

void Session::reply_error(std::string_view message) {
  std::string reply;
  reply.append("-ERR ").append(message).append("\r\n");
  reply_now(reply);
}

std::size_t Session::consume(std::string_view input) {
  const Limits limits = limits_of(pool_.pool());
  std::size_t used = 0;
  while (used < input.size()) {
    if (stream_.active() || !rest_.done()) {
      if (input_paused()) return used;
      if (rest_.done()) {
        stream_ = {};  // answered: the next commands go on
        continue;
      }
      const std::size_t n = forward_rest(input.substr(used), limits);
      if (n == 0) return used;
      used += n;
      continue;
    }
    ParseResult result = parse(input.substr(used), request_, limits);
    const CommandSpec* stream_spec = nullptr;
    if (result.status == ParseStatus::complete && !request_.streamed.done()) {
      stream_spec = streamable(request_);
      if (stream_spec == nullptr) {  // held whole, and handled as usual
        Limits whole = limits;
        whole.stream_above = SIZE_MAX;
        result = parse(input.substr(used), request_, whole);
      }
    }
    if (result.status == ParseStatus::need_more) break;
    if (result.status == ParseStatus::fatal) {
      reply_now(result.error_reply);
      close_after_replies();
      return input.size();
    }
    if (stream_spec != nullptr) {
      // On a connection of its own, it must not overtake the commands before it: parsed again
      // once they are answered.
      stream_waits_ = !all_answered();
      if (stream_waits_) return used;
      used += result.consumed;
      start_stream(*stream_spec, request_);
      continue;
    }
    used += result.consumed;
    if (request_.args.empty()) continue;  // an empty line or "*0": Redis ignores it too
    if (!handle(request_)) {
      close_after_replies();
      return input.size();
    }
  }
  return used;
}

void Session::input_drained() {
  // Views into the consumed input: dead now. A request with thousands of keys grew these; the
  // connection keeps room for kKeepEntries.
  clear_and_trim(request_.args, kKeepEntries);
  clear_and_trim(keys_, kKeepEntries);
  clear_and_trim(servers_, kKeepEntries);
  parts_.trim(kKeepEntries);
}

bool Session::handle(const Request& request) {
  const std::string_view name = request.args[0];
  const CommandSpec* spec = find_command(name);
  if (spec == nullptr) {
    reply_error("unknown command '" + printable(name) + "', or not supported by proxy");
    return true;
  }
  if (spec->routing == Routing::quit) {
    reply_now("+OK\r\n");
    return false;
  }
  if (!authenticated_ && spec->routing != Routing::auth) {
    reply_now("-NOAUTH Authentication required.\r\n");
    return true;
  }
  switch (spec->routing) {
    case Routing::ping:
    case Routing::echo:
    case Routing::auth:
      answer_locally(*spec, request);
      return true;
    case Routing::unsupported:
      reply_error("command '" + std::string(spec->name) + "' is not supported by proxy");
      return true;
    default:
      break;
  }
  keys_.clear();
  if (!command_keys(*spec, request.args, keys_)) {
    reply_error("wrong number of arguments for '" + lower(name) + "' command");
    return true;
  }
  if (keys_.empty()) {
    reply_error("command '" + std::string(spec->name) + "' without keys is not supported by proxy");
    return true;
  }
  if (pool_.replicated()) {
    replicate(*spec, request);
    return true;
  }
  if (!pool_.route(keys_, servers_)) {
    reply_now(kNoServer);
    return true;
  }
  if (pool_.warming() && warm_up(*spec, request)) return true;
  const bool one_server = std::all_of(servers_.begin(), servers_.end(), [&](auto s) { return s == servers_[0]; });
  if (one_server) {
    forward(request, servers_[0]);
  } else if (spec->splits()) {
    split(*spec, request);
  } else {
    reply_error(keys_apart(*spec));
  }
  return true;
}

void Session::replicate(const CommandSpec& spec, const Request& request) {
  if (spec.splits() && spec.reads && keys_.size() > 1) {  // MGET, EXISTS: key by key, each failing over
    std::shared_ptr<PendingReply> reply;
    if (spec.routing == Routing::split_values) {
      reply = values_key_by_key(keys_.size());
    } else {
      reply = std::make_shared<SumReply>(static_cast<std::uint32_t>(keys_.size()));
    }
    enqueue(reply);
    const auto request_for = [&](std::size_t k, std::string& out) {
      append_array_head(out, 2);
      append_bulk(out, request.args[0]);
      append_bulk(out, keys_[k]);
    };
    FailoverRead::send_each(pool_, reply, keys_, request_for, 0);
    return;
  }
  copies_.resize(keys_.size());
  for (std::size_t k = 0; k < keys_.size(); ++k) {
    pool_.copies(keys_[k], copies_[k]);
    if (copies_[k].count == 0) {
      reply_now(kNoServer);
      return;
    }
  }
  const bool together = std::all_of(copies_.begin(), copies_.end(), [&](const Copies& c) { return c == copies_[0]; });
  if (!together) {
    if (spec.splits()) {
      split_to_copies(spec, request);
    } else {
      reply_error(keys_apart(spec));
    }
    return;
  }
  const std::string_view bytes = as_sent(request, request_bytes_);
  if (spec.reads) {
    auto reply = std::make_shared<FailoverRead>(pool_, copies_[0].servers(), bytes, 0, true);
    enqueue(reply);
    reply->send();
    return;
  }
  auto reply = ReplicatedWrite::make(pool_, static_cast<std::uint32_t>(copies_[0].count), true);
  enqueue(reply);
  ReplicatedWrite::send(reply, pool_, copies_[0].servers(), bytes, 0);
}

// One split per copy: round c sends each key to its c-th copy, and its merged reply is part c of
// the whole, so the client gets the first copy's count (or the worst error) once.
void Session::split_to_copies(const CommandSpec& spec, const Request& request) {
  std::size_t rounds = 0;
  for (const Copies& c : copies_) rounds = std::max(rounds, c.count);
  auto whole = ReplicatedWrite::make(pool_, static_cast<std::uint32_t>(rounds), true);
  enqueue(whole);
  for (std::uint32_t round = 0; round < rounds; ++round) {
    servers_.clear();
    for (const Copies& c : copies_) servers_.push_back(c.server[std::min<std::size_t>(round, c.count - 1)]);
    send_split(spec, request)->answer_into(whole, round);
  }
}

bool Session::warm_up(const CommandSpec& spec, const Request& request) {
  WarmUpCommand command;
  command.op = spec.reads                                   ? WarmUpCommand::Op::read
               : spec.name == "DEL" || spec.name == "UNLINK" ? WarmUpCommand::Op::remove
                                                            : WarmUpCommand::Op::write;
  command.keys = keys_;
  command.servers = servers_;
  command.request = as_sent(request, request_bytes_);
  command.one_key = [&](std::size_t k, std::string& out) {
    const std::string_view one[] = {request.args[0], keys_[k]};
    append_command(out, one);
  };
  if (spec.routing == Routing::split_values) command.per_key_reply = values_key_by_key;  // not EXISTS's counts
  return proxy::warm_up(pool_, command, [this](auto reply) { enqueue(std::move(reply)); });
}

void Session::answer_locally(const CommandSpec& spec, const Request& request) {
  const auto& args = request.args;
  std::string reply;
  switch (spec.routing) {
    case Routing::ping:
      if (args.size() > 2) break;
      if (args.size() == 1) {
        reply_now("+PONG\r\n");
      } else {
        append_bulk(reply, args[1]);
        reply_now(reply);
      }
      return;
    case Routing::echo:
      if (args.size() != 2) break;
      append_bulk(reply, args[1]);
      reply_now(reply);
      return;
    case Routing::auth: {
      const auto& password = pool_.pool().redis_auth;
      if (password.empty()) {
        reply_error("AUTH <password> called without any password configured for the default user. "
                    "Are you sure your configuration is correct?");
        return;
      }
      // AUTH <password>, or Redis 6's AUTH default <password>.
      const bool ok = (args.size() == 2 && args[1] == password) ||
                      (args.size() == 3 && args[1] == "default" && args[2] == password);
      if (args.size() != 2 && args.size() != 3) break;
      authenticated_ = ok;
      reply_now(ok ? "+OK\r\n" : "-WRONGPASS invalid username-password pair or user is disabled.\r\n");
      return;
    }
    default:
      break;
  }
  reply_error("wrong number of arguments for '" + lower(args[0]) + "' command");
}

const CommandSpec* Session::streamable(const Request& request) const {
  const CommandSpec* spec = find_command(request.args[0]);
  if (spec == nullptr || !authenticated_ || spec->routing != Routing::keys || spec->reads || spec->step != 1 ||
      spec->last < 0 || static_cast<std::size_t>(spec->last) >= request.args.size())
    return nullptr;
  return spec;
}

void Session::start_stream(const CommandSpec& spec, const Request& request) {
  keys_.clear();
  command_keys(spec, request.args, keys_);
  rest_ = request.streamed;
  // Not sent: the client gets why, and the rest of the command is dropped as it comes.
  std::span<const std::uint32_t> servers;
  if (pool_.replicated()) {
    copies_.resize(keys_.size());
    for (std::size_t k = 0; k < keys_.size(); ++k) pool_.copies(keys_[k], copies_[k]);
    if (copies_[0].count == 0) return reply_now(kNoServer);
    if (!std::all_of(copies_.begin(), copies_.end(), [&](const Copies& c) { return c == copies_[0]; }))
      return reply_error(keys_apart(spec));
    servers = copies_[0].servers();
  } else {
    if (!pool_.route(keys_, servers_)) return reply_now(kNoServer);
    if (!std::all_of(servers_.begin(), servers_.end(), [&](auto s) { return s == servers_[0]; }))
      return reply_error(keys_apart(spec));
    if (pool_.warming()) warm_up(spec, request);  // notes the write, which goes to the new owner
    servers = std::span(servers_).first(1);
  }
  auto reply = StreamedRequest::write_reply(pool_, servers.size(), true);
  enqueue(reply);
  stream_.start(pool_, std::move(reply), servers, request.raw, 0, reader_waker());
}

std::size_t Session::forward_rest(std::string_view input, const Limits& limits) {
  const ParseResult part = frame_rest(input, rest_, limits);
  if (part.status == ParseStatus::fatal) {
    if (stream_.active()) {
      stream_.fail(part.error_reply);
    } else {
      reply_now(part.error_reply);
    }
    rest_ = {};
    close_after_replies();
    return input.size();
  }
  stream_.forward(input.substr(0, part.consumed));
  if (rest_.done()) stream_.sent();
  return part.consumed;
}

void Session::forward(const Request& request, std::uint32_t server) {
  auto reply = std::make_shared<PassThroughReply>();
  enqueue(reply);
  pool_.backend(server).send({as_sent(request, request_bytes_)}, std::move(reply), 0);
}

void Session::split(const CommandSpec& spec, const Request& request) {
  enqueue(send_split(spec, request));
}

std::shared_ptr<PendingReply> Session::send_split(const CommandSpec& spec, const Request& request) {
  parts_.group(servers_);
  const std::uint32_t parts = parts_.parts();
  if (parts > 1) pool_.counters().fragments.add(parts);
  std::shared_ptr<PendingReply> reply;
  switch (spec.routing) {
    case Routing::split_values: {
      std::vector<std::vector<std::uint32_t>> positions(parts);
      for (std::uint32_t part = 0; part < parts; ++part)
        positions[part].assign(parts_.keys(part).begin(), parts_.keys(part).end());
      reply = std::make_shared<ValuesInOrderReply>(keys_.size(), std::move(positions));
      break;
    }
    case Routing::split_count:
      reply = std::make_shared<SumReply>(parts);
      break;
    default:
      reply = std::make_shared<AllOkReply>(parts);
      break;
  }
  const std::size_t per_key = spec.routing == Routing::split_pairs ? 2 : 1;
  for (std::uint32_t part = 0; part < parts; ++part) {
    std::string& out = request_bytes_;
    out.clear();
    append_array_head(out, 1 + per_key * parts_.keys(part).size());
    append_bulk(out, request.args[0]);
    for (const std::uint32_t k : parts_.keys(part)) {
      // keys_[k] is args[1 + per_key * k]; for MSET its value follows it.
      append_bulk(out, request.args[1 + per_key * k]);
      if (per_key == 2) append_bulk(out, request.args[2 + per_key * k]);
    }
    pool_.backend(parts_.server(part)).send({out}, reply, part);
  }
  return reply;
}

}  // namespace ringleader::proxy::redis
