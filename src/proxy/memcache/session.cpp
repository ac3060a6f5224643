// memcache::Session; see session.hpp.
#include "proxy/memcache/session.hpp"

#include <algorithm>

#include "proxy/buffers.hpp"
#include "proxy/memcache/protocol.hpp"
#include "proxy/memcache/values_reply.hpp"
#include "proxy/route/warm_up.hpp"
#include "proxy/pool_worker.hpp"

namespace ringleader::proxy::memcache {
namespace {

constexpr std::size_t kKeepEntries = 256;  // scratch entries a connection keeps between requests

constexpr std::string_view kVersion = "VERSION ringleader-0.1.0\r\n";
constexpr std::string_view kNoServer = "SERVER_ERROR no server available\r\n";

std::string_view command_name(Command c) {
  switch (c) {
    case Command::gets: return "gets";
    case Command::gat: return "gat";
    case Command::gats: return "gats";
    default: return "get";
  }
}

// The pool's limits (config.hpp); an absent max_value_bytes keeps Limits' own. Values larger than
// kStreamAbove (and within the limit) stream.
Limits limits_of(const config::Pool& pool) {
  Limits limits;
  limits.stream_above = Session::kStreamAbove;
  limits.max_line = pool.max_line_bytes;
  if (pool.max_value_bytes) limits.max_value = *pool.max_value_bytes;
  return limits;
}

}  // namespace

Session::Session(Socket socket, PoolWorker& pool) : ClientSession(std::move(socket)), pool_(pool) {}

Session::~Session() {
  stream_.request.abandon();  // the client left in the middle of a value
}

bool Session::input_paused() const {
  if (stream_waits_) return !all_answered();
  return stream_.request.active() && stream_.request.holds_reader(stream_.left > 0);
}

std::size_t Session::consume(std::string_view input) {
  const Limits limits = limits_of(pool_.pool());
  std::size_t used = 0;
  while (used < input.size()) {
    if (stream_.request.active()) {
      if (input_paused()) return used;
      if (stream_.left == 0) {
        end_stream();
        continue;
      }
      used += stream(input.substr(used));
      continue;
    }
    if (swallow_ > 0) {
      const std::size_t skip = std::min(swallow_, input.size() - used);
      swallow_ -= skip;
      used += skip;
      continue;
    }
    const ParseResult result = parse(input.substr(used), request_, limits);
    switch (result.status) {
      case ParseStatus::need_more:
        return used;
      case ParseStatus::fatal:
        reply_now(result.error_reply);
        close_after_replies();
        return input.size();
      case ParseStatus::error:
        reply_now(result.error_reply);
        used += result.consumed;
        swallow_ = result.swallow;
        break;
      case ParseStatus::complete:
        // A streamed value goes on a connection of its own: the requests before it must be answered
        // first, or it could overtake them (a delete of its key, say). Parsed again then.
        stream_waits_ = request_.streamed > 0 && !all_answered();
        if (stream_waits_) return used;
        used += result.consumed;
        if (request_.command == Command::quit) {
          close_after_replies();
          return input.size();
        }
        handle(request_);
        break;
    }
  }
  return used;
}

void Session::input_drained() {
  // Views into the consumed input: dead now. A request with thousands of keys grew these; the
  // connection keeps room for kKeepEntries.
  clear_and_trim(request_.keys, kKeepEntries);
  clear_and_trim(servers_, kKeepEntries);
  parts_.trim(kKeepEntries);
}

void Session::handle(const Request& request) {
  if (request.command == Command::version) {
    reply_now(kVersion);
    return;
  }
  if (pool_.replicated()) {
    replicate(request);
    return;
  }
  if (!pool_.route(request.keys, servers_)) {
    reply_now(kNoServer);
    swallow_ = request.streamed;  // a streamed value's data is still to come
    return;
  }
  if (pool_.warming() && warm_up(request)) return;
  const bool values = is_retrieval(request.command);
  if (values && std::any_of(servers_.begin(), servers_.end(), [&](auto s) { return s != servers_[0]; })) {
    split_retrieval(request);
    return;
  }
  if (request.streamed > 0) {
    start_stream(request, std::span(servers_).first(1));
    return;
  }
  auto reply = std::make_shared<PassThroughReply>(!request.noreply);
  enqueue(reply);
  const std::string_view data = is_storage(request.command) ? request.data : std::string_view();
  const std::string_view data_end = is_storage(request.command) ? "\r\n" : "";
  pool_.backend(servers_[0]).send({request.forward_line, "\r\n", data, data_end}, std::move(reply), 0,
                                  values ? Reply::values : Reply::one_line);
}

void Session::replicate(const Request& request) {
  if (request.keys.size() > 1) {  // a get of many keys (the only command with more than one)
    auto reply = std::make_shared<ValuesReply>(static_cast<std::uint32_t>(request.keys.size()));
    enqueue(reply);
    const auto request_for = [&](std::size_t k, std::string& out) {
      out.append(command_name(request.command));
      if (!request.exptime.empty()) out.append(" ").append(request.exptime);
      out.append(" ").append(request.keys[k]).append("\r\n");
    };
    FailoverRead::send_each(pool_, reply, request.keys, request_for, Reply::values);
    return;
  }
  pool_.copies(request.keys[0], copies_);
  if (copies_.count == 0) {
    reply_now(kNoServer);
    swallow_ = request.streamed;
    return;
  }
  if (request.streamed > 0) {
    start_stream(request, copies_.servers());
    return;
  }
  request_bytes_.assign(request.forward_line).append("\r\n");
  if (is_storage(request.command)) request_bytes_.append(request.data).append("\r\n");
  if (is_retrieval(request.command)) {
    auto reply = std::make_shared<FailoverRead>(pool_, copies_.servers(), request_bytes_, Reply::values, true);
    enqueue(reply);
    reply->send();
    return;
  }
  auto reply = ReplicatedWrite::make(pool_, static_cast<std::uint32_t>(copies_.count), !request.noreply);
  enqueue(reply);
  ReplicatedWrite::send(reply, pool_, copies_.servers(), request_bytes_, Reply::one_line);
}

bool Session::warm_up(const Request& request) {
  WarmUpCommand command;
  const bool read = request.command == Command::get || request.command == Command::gets;
  command.op = read                              ? WarmUpCommand::Op::read
               : request.command == Command::del ? WarmUpCommand::Op::remove
                                                 : WarmUpCommand::Op::write;
  command.keys = request.keys;
  command.servers = servers_;
  command.one_key = [&](std::size_t k, std::string& out) {
    if (!read) {
      out.append(request.forward_line).append("\r\n");
      return;
    }
    out.append(command_name(request.command)).append(" ").append(request.keys[k]).append("\r\n");
  };
  request_bytes_.clear();
  if (read) command.one_key(0, request_bytes_);
  command.request = request_bytes_;
  command.per_key_reply = [](std::size_t keys) {
    return std::make_shared<ValuesReply>(static_cast<std::uint32_t>(keys));
  };
  command.kind = read ? Reply::values : Reply::one_line;
  command.with_cas = request.command == Command::gets;
  command.sends = !request.noreply;
  return proxy::warm_up(pool_, command, [this](auto reply) { enqueue(std::move(reply)); });
}

void Session::start_stream(const Request& request, std::span<const std::uint32_t> servers) {
  auto reply = StreamedRequest::write_reply(pool_, servers.size(), !request.noreply);
  enqueue(reply);
  request_bytes_.assign(request.forward_line).append("\r\n");
  stream_.request.start(pool_, std::move(reply), servers, request_bytes_, Reply::one_line, reader_waker());
  stream_.left = request.streamed;
}

std::size_t Session::stream(std::string_view input) {
  const std::size_t n = std::min(stream_.left, input.size());
  stream_.request.forward(input.substr(0, n));
  stream_.left -= n;
  if (stream_.left == 0) stream_.request.sent();
  return n;
}

void Session::end_stream() {
  stream_ = {};
}

void Session::split_retrieval(const Request& request) {
  parts_.group(servers_);
  auto reply = std::make_shared<ValuesReply>(parts_.parts());
  pool_.counters().fragments.add(parts_.parts());
  enqueue(reply);
  for (std::uint32_t part = 0; part < parts_.parts(); ++part) {
    request_bytes_.assign(command_name(request.command));
    if (!request.exptime.empty()) request_bytes_.append(" ").append(request.exptime);
    for (const std::uint32_t k : parts_.keys(part)) request_bytes_.append(" ").append(request.keys[k]);
    request_bytes_.append("\r\n");
    pool_.backend(parts_.server(part)).send({request_bytes_}, reply, part, Reply::values);
  }
}

}  // namespace ringleader::proxy::memcache
