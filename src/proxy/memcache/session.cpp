// memcache::Session; see session.hpp.
#include "proxy/memcache/session.hpp"

#include <algorithm>

#include "proxy/buffers.hpp"
#include "proxy/memcache/protocol.hpp"
#include "proxy/memcache/values_reply.hpp"
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

// The pool's limits (config.hpp); an absent max_value_bytes keeps Limits' own.
Limits limits_of(const config::Pool& pool) {
  Limits limits;
  limits.max_line = pool.max_line_bytes;
  if (pool.max_value_bytes) limits.max_value = *pool.max_value_bytes;
  return limits;
}

}  // namespace

Session::Session(Socket socket, PoolWorker& pool) : ClientSession(std::move(socket)), pool_(pool) {}

std::size_t Session::consume(std::string_view input) {
  const Limits limits = limits_of(pool_.pool());
  std::size_t used = 0;
  while (used < input.size()) {
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
  if (!pool_.route(request.keys, servers_)) {
    reply_now(kNoServer);
    return;
  }
  const bool values = is_retrieval(request.command);
  if (values && std::any_of(servers_.begin(), servers_.end(), [&](auto s) { return s != servers_[0]; })) {
    split_retrieval(request);
    return;
  }
  auto reply = std::make_shared<PassThroughReply>(!request.noreply);
  enqueue(reply);
  Backend& backend = pool_.backend(servers_[0]);
  std::string& out = backend.output();
  out.append(request.forward_line).append("\r\n");
  if (is_storage(request.command)) out.append(request.data).append("\r\n");
  backend.send(std::move(reply), 0, values ? Reply::values : Reply::one_line);
}

void Session::split_retrieval(const Request& request) {
  parts_.group(servers_);
  auto reply = std::make_shared<ValuesReply>(parts_.parts());
  pool_.counters().fragments.add(parts_.parts());
  enqueue(reply);
  for (std::uint32_t part = 0; part < parts_.parts(); ++part) {
    Backend& backend = pool_.backend(parts_.server(part));
    std::string& out = backend.output();
    out.append(command_name(request.command));
    if (!request.exptime.empty()) out.append(" ").append(request.exptime);
    for (const std::uint32_t k : parts_.keys(part)) out.append(" ").append(request.keys[k]);
    out.append("\r\n");
    backend.send(reply, part, Reply::values);
  }
}

}  // namespace ringleader::proxy::memcache
