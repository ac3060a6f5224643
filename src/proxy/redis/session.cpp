// redis::Session; see session.hpp.
#include "proxy/redis/session.hpp"

#include <algorithm>
#include <cctype>

#include "proxy/buffers.hpp"
#include "proxy/pool_worker.hpp"
#include "proxy/redis/fan_out.hpp"
#include "proxy/redis/resp.hpp"

namespace ringleader::proxy::redis {
namespace {

constexpr std::size_t kKeepEntries = 256;  // scratch entries a connection keeps between requests

// A client-supplied name, safe to put in a one-line error reply.
std::string printable(std::string_view text) {
  std::string out;
  for (unsigned char c : text.substr(0, 64)) out += std::isprint(c) ? static_cast<char>(c) : '?';
  return out;
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
    : ClientSession(std::move(socket)),
      pool_(pool),
      connection_(pool.pool()),
      router_(enqueuer()),
      pinned_(pool, enqueuer()),
      subscriber_(pool, enqueuer(), [this] { close_after_replies(); }) {}

Session::~Session() {
  stream_.abandon();  // the client left in the middle of a value
}

bool Session::input_paused() const {
  if (stream_waits_) return !all_answered();
  return stream_.active() && stream_.holds_reader(!rest_.done());
}

void Session::reply_error(std::string_view message) { reply_now(error_reply(message)); }

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
  router_.trim(kKeepEntries);
}

bool Session::handle(const Request& request) {
  const std::string_view name = request.args[0];
  const CommandSpec* spec = find_command(name);
  if (spec == nullptr) {
    pinned_.refused();
    reply_error("unknown command '" + printable(name) + "', or not supported by proxy");
    return true;
  }
  if (spec->routing == Routing::quit) {
    reply_now("+OK\r\n");
    return false;
  }
  // As in Redis, AUTH, HELLO (with its AUTH option) and RESET need no authentication.
  if (!connection_.authenticated && spec->routing != Routing::auth && spec->routing != Routing::hello &&
      spec->routing != Routing::reset) {
    reply_now("-NOAUTH Authentication required.\r\n");
    return true;
  }
  if (spec->routing == Routing::reset && request.args.size() == 1) {
    pinned_.reset();
    subscriber_.reset(answer_connection_command(*spec, request.args, pool_.pool(), connection_));
    return true;
  }
  // A RESP2 client with subscriptions only reads what is published (RESP3 ones may do anything).
  if (subscriber_.subscribed() && connection_.resp == 2) {
    if (spec->routing == Routing::ping && request.args.size() <= 2) {
      std::string pong = "*2\r\n$4\r\npong\r\n";
      append_bulk(pong, request.args.size() == 2 ? request.args[1] : std::string_view());
      reply_now(pong);
      return true;
    }
    if (spec->routing != Routing::pubsub && spec->routing != Routing::reset) {
      reply_error("Can't execute '" + lower(spec->name) +
                  "': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context");
      return true;
    }
  }
  if (spec->routing == Routing::pubsub && !pinned_.takes(*spec, request.args)) {
    subscriber_.run(spec->name, request.args, connection_.dialect());
    return true;
  }
  if (pinned_.takes(*spec, request.args)) {
    keys_.clear();
    if (!command_keys(*spec, request.args, keys_)) {
      pinned_.refused();
      reply_now(wrong_arguments(name));
      return true;
    }
    pinned_.run(*spec, request, keys_, connection_.dialect());
    return true;
  }
  switch (spec->routing) {
    case Routing::ping:
    case Routing::echo:
    case Routing::auth:
    case Routing::hello:
    case Routing::client:
    case Routing::select:
    case Routing::reset:
    case Routing::info:
      reply_now(answer_connection_command(*spec, request.args, pool_.pool(), connection_));
      return true;
    case Routing::fan_out:
      fan_out(pool_, spec->name, request.args, connection_.dialect(), enqueuer());
      return true;
    case Routing::unsupported:
      reply_error("command '" + std::string(spec->name) + "' is not supported by proxy");
      return true;
    default:
      break;
  }
  keys_.clear();
  if (!command_keys(*spec, request.args, keys_)) {
    reply_now(wrong_arguments(name));
    return true;
  }
  if (keys_.empty()) {
    reply_error("command '" + std::string(spec->name) + "' without keys is not supported by proxy");
    return true;
  }
  command_.describe(*spec, request, keys_, request_bytes_, connection_);
  router_.send(pool_, command_);
  return true;
}

const CommandSpec* Session::streamable(const Request& request) const {
  const CommandSpec* spec = find_command(request.args[0]);
  if (spec == nullptr || !connection_.authenticated || pinned_.takes(*spec, request.args) || spec->routing != Routing::keys ||
      spec->reads || spec->step != 1 ||
      spec->last < 0 || static_cast<std::size_t>(spec->last) >= request.args.size())
    return nullptr;
  return spec;
}

void Session::start_stream(const CommandSpec& spec, const Request& request) {
  keys_.clear();
  command_keys(spec, request.args, keys_);
  rest_ = request.streamed;
  command_.describe(spec, request, keys_, request_bytes_, connection_);
  const std::span<const std::uint32_t> servers = router_.stream_to(pool_, command_);
  if (servers.empty()) return;  // refused: the client has why, and the rest is dropped as it comes
  auto reply = StreamedRequest::write_reply(pool_, servers.size(), true);
  enqueue(reply);
  stream_.start(pool_, std::move(reply), servers, request.raw, 0, reader_waker(), connection_.dialect());
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

}  // namespace ringleader::proxy::redis
