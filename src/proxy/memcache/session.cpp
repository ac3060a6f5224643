// memcache::Session; see session.hpp.
#include "proxy/memcache/session.hpp"

#include <algorithm>

#include "proxy/buffers.hpp"
#include "proxy/memcache/protocol.hpp"
#include "proxy/pool_worker.hpp"

namespace ringleader::proxy::memcache {
namespace {

constexpr std::size_t kKeepEntries = 256;  // scratch entries a connection keeps between requests

constexpr std::string_view kVersion = "VERSION ringleader-0.1.0\r\n";

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

Session::Session(Socket socket, PoolWorker& pool)
    : ClientSession(std::move(socket)), pool_(pool), router_(enqueuer()) {}

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
  router_.trim(kKeepEntries);
}

void Session::handle(const Request& request) {
  if (request.command == Command::version) {
    reply_now(kVersion);
    return;
  }
  command_.describe(request);
  if (request.streamed > 0) {
    start_stream(request);
    return;
  }
  router_.send(pool_, command_);
}

void Session::start_stream(const Request& request) {
  const std::span<const std::uint32_t> servers = router_.stream_to(pool_, command_);
  if (servers.empty()) {
    swallow_ = request.streamed;  // refused: its data block is dropped as it comes
    return;
  }
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

}  // namespace ringleader::proxy::memcache
