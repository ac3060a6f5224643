// http::Session; see session.hpp.
#include "proxy/http/session.hpp"

#include <algorithm>
#include <limits>
#include <random>

#include "proxy/backend.hpp"
#include "proxy/buffers.hpp"
#include "proxy/http/request_key.hpp"
#include "proxy/http/response_frame.hpp"
#include "proxy/http/response_head.hpp"
#include "proxy/http/status_reply.hpp"
#include "proxy/pool_worker.hpp"
#include "proxy/recycled.hpp"

namespace ringleader::proxy::http {
namespace {

constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
constexpr std::size_t kKeepFields = 64;  // field entries a connection keeps between requests

/// RFC 9110 §7.6.1: fields for this connection only, not forwarded. Expect is answered here.
/// X-Forwarded-For is rewritten with the client's address appended.
bool dropped(const MessageHead& head, std::string_view name) {
  if (iequals(name, "expect") || iequals(name, "x-forwarded-for") || hop_by_hop(name, {})) return true;
  for (const Field& field : head.fields) {
    if (iequals(field.name, "connection") && hop_by_hop(name, field.value)) return true;
  }
  return false;
}

/// A WebSocket handshake (RFC 6455 §4.1): a GET without a body whose Upgrade names websocket and
/// whose Connection names upgrade. Other upgrades (h2c) are not forwarded: their fields are dropped.
bool websocket_upgrade(const MessageHead& head) {
  const Field* upgrade = head.find("upgrade");
  const Field* connection = head.find("connection");
  return head.method == "GET" && head.version >= 11 && !head.chunked && head.content_length.value_or(0) == 0 &&
         upgrade != nullptr && connection != nullptr && list_has(upgrade->value, "websocket") &&
         list_has(connection->value, "upgrade");
}

}  // namespace

std::size_t Session::Body::take(std::string_view input) {
  if (!chunked) {
    const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(length, input.size()));
    length -= n;
    done = length == 0;
    return n;
  }
  const ChunkedBody::Scan scan = chunks.scan(input);
  done = scan.status == ChunkedBody::Status::complete;
  malformed = scan.status == ChunkedBody::Status::malformed;
  return scan.used;
}

Session::Session(Socket socket, PoolWorker& pool, std::string client)
    : ClientSession(std::move(socket)),
      pool_(pool),
      client_(std::move(client)),
      router_([this](std::shared_ptr<PendingReply> reply) {
        reply->set_head_filter(response_filter(false));  // of the request being handled
        enqueue(std::move(reply));
      }) {
  head_.fields.reserve(16);  // most requests have fewer: one allocation, not one per doubling
  const config::Pool& settings = pool.pool();
  set_timeouts({std::chrono::milliseconds(settings.client_header_timeout_ms),
                std::chrono::milliseconds(settings.client_idle_timeout_ms)});
}

Session::~Session() {
  stream_.request.abandon();  // the client left in the middle of a body
}

bool Session::input_paused() const {
  if (stream_waits_) return !all_answered();
  return stream_.request.active() && stream_.request.holds_reader(!stream_.body.done);
}

void Session::input_drained() {
  clear_and_trim(head_.fields, kKeepFields);
}

std::size_t Session::consume(std::string_view input) {
  std::size_t used = 0;
  while (used < input.size() && !stop_reading_) {
    if (stream_.request.active()) {
      if (input_paused()) return used;
      if (stream_.body.done) {
        end_stream();
        continue;
      }
      const std::size_t n = stream(input.substr(used));
      if (n == 0) return used;  // a chunk-size line not whole yet
      used += n;
      continue;
    }
    if (swallow_ > 0) {
      const auto skip = static_cast<std::size_t>(std::min<std::uint64_t>(swallow_, input.size() - used));
      swallow_ -= skip;
      used += skip;
      continue;
    }
    const std::string_view rest = input.substr(used);
    const HeadParse parse = parse_request_head(rest, pool_.pool().max_line_bytes, head_);
    if (parse.status == HeadStatus::need_more) return used;
    const char* host = parse.status == HeadStatus::complete ? host_problem(head_) : nullptr;
    if (parse.status != HeadStatus::complete || host != nullptr) {
      // The framing of what follows is unknown (or refused), or the request breaks RFC 9112's
      // Host rule (as nginx does): answer, then close.
      reply_now(status_reply(parse.status == HeadStatus::too_large ? 431 : 400, host ? host : parse.reason, true));
      close_after_replies();
      return input.size();
    }
    const std::size_t n = handle(rest);
    if (n == 0) return used;
    used += n;
    continued_ = false;
  }
  return stop_reading_ ? input.size() : used;
}

std::size_t Session::handle(std::string_view input) {
  const config::Pool& pool = pool_.pool();
  Body body;
  body.chunked = head_.chunked;
  body.length = head_.content_length.value_or(0);
  body.done = !body.chunked && body.length == 0;
  std::optional<std::size_t> whole;  // bytes of the request, if all are in `input`
  if (body.chunked) {
    ChunkedBody scanner;
    const ChunkedBody::Scan scan = scanner.scan(input.substr(head_.size));
    if (scan.status == ChunkedBody::Status::malformed) {
      reply_now(status_reply(400, "malformed chunked body", true));
      stop_reading_ = true;
      close_after_replies();
      return input.size();
    }
    if (scan.status == ChunkedBody::Status::complete) whole = head_.size + scan.used;
  } else if (input.size() - head_.size >= body.length) {
    whole = head_.size + static_cast<std::size_t>(body.length);
  }

  const auto found = request_key(head_.target, head_.fields, pool.http_key);
  if (!found && pool.http_key_missing == config::Pool::HttpKeyMissing::reject)
    return refuse(400, "the request has no key (http_key of pool '" + pool.name + "')", input, whole);
  std::string_view key;
  if (found) {
    key = *found;
  } else {
    thread_local std::minstd_rand random(std::random_device{}());
    random_key_ = std::to_string(random());
    key = random_key_;
  }
  if (!pool_.route(std::span(&key, 1), servers_))
    return refuse(503, "no live server in pool '" + pool.name + "'", input, whole);

  if (websocket_upgrade(head_)) {
    // A tunnel to the key's server on a connection of its own, once the requests before it are
    // answered: its "body" is every byte the client sends from now on, and the response (after a
    // 101) every byte the server sends, until either side closes.
    stream_waits_ = !all_answered();
    if (stream_waits_) return 0;
    Body tunnel;
    tunnel.length = std::numeric_limits<std::uint64_t>::max();
    start_stream(std::move(tunnel), true);
    return head_.size;
  }

  if (whole && *whole <= kStreamAbove) {
    forward(key, input.substr(0, *whole));
    return *whole;
  }
  if (!body.chunked && head_.size + body.length <= kStreamAbove) {  // a small body still arriving
    send_continue();
    return 0;
  }
  // A large or chunked body streams on a connection of its own, once the requests before it are
  // answered (it could overtake them otherwise).
  stream_waits_ = !all_answered();
  if (stream_waits_) return 0;
  start_stream(std::move(body));
  return head_.size;
}

std::size_t Session::refuse(unsigned code, std::string_view reason, std::string_view input,
                            std::optional<std::size_t> whole) {
  // The body of a refused request is skipped when its length is known and the client sends it
  // without waiting for 100 Continue; otherwise the connection closes after the answer.
  const bool skippable = whole || (!head_.chunked && !expects_continue());
  const bool close = !head_.keep_alive || !skippable;
  reply_now(status_reply(code, reason, close));
  if (close) {
    stop_reading_ = true;
    close_after_replies();
    return input.size();
  }
  if (whole) return *whole;
  swallow_ = head_.content_length.value_or(0);
  return head_.size;
}

bool Session::expects_continue() const {
  const Field* expect = head_.find("expect");
  return expect != nullptr && iequals(expect->value, "100-continue");
}

void Session::send_continue() {
  if (continued_ || !expects_continue()) return;
  reply_now(kContinue);
  continued_ = true;
}

void Session::write_head(std::string& out, bool upgrade) const {
  // An HTTP/1.0 client's request goes on as HTTP/1.0 (nginx's proxy_http_version 1.0): the server
  // then sends no chunked body, which the client could not read, but a length or a body that ends
  // at its close. Keep-alive is asked for, so a response with a length keeps the connection.
  const bool old = head_.version < 11;
  out.append(head_.method).append(" ").append(head_.target).append(old ? " HTTP/1.0\r\n" : " HTTP/1.1\r\n");
  if (old) out.append("Connection: keep-alive\r\n");
  std::string forwarded_for;
  const bool underscores = pool_.pool().http_underscores_in_headers;
  for (const Field& field : head_.fields) {
    if (iequals(field.name, "x-forwarded-for")) forwarded_for.append(field.value).append(", ");
    if (dropped(head_, field.name)) continue;
    if (!underscores && field.name.find('_') != std::string_view::npos) continue;
    out.append(field.name).append(": ").append(field.value).append("\r\n");
  }
  // An HTTP/1.0 request may come without Host: the server's own address, as nginx sends its
  // upstream's (a server with virtual hosts needs one).
  if (head_.find("host") == nullptr) out.append("Host: ").append(pool_.pool().servers[servers_[0]].address()).append("\r\n");
  if (upgrade) out.append("Connection: upgrade\r\nUpgrade: ").append(head_.find("upgrade")->value).append("\r\n");
  out.append("X-Forwarded-For: ").append(forwarded_for).append(client_).append("\r\n");
  out.append("Via: 1.1 ringleader\r\n\r\n");
}

PendingReply::HeadFilter Session::response_filter(bool upgrade) {
  const AfterResponse after = !head_.keep_alive || upgrade ? AfterResponse::closes
                              : head_.version < 11         ? AfterResponse::kept_alive
                                                           : AfterResponse::stays_open;
  const bool to_head = head_.method == "HEAD";
  if (!upgrade) {
    return [after, to_head](std::string& bytes) {
      static constexpr PendingReply::Frames kChunks{chunk_size_line, "\r\n", kLastChunk};
      return rewrite_response_heads(bytes, after, to_head) ? kChunks : PendingReply::Frames{};
    };
  }
  // A WebSocket handshake is a GET: no response to HEAD.
  return [after, session = weak_from_this()](std::string& bytes) {
    rewrite_response_heads(bytes, after, false);
    if (bytes.starts_with("HTTP/1.1 101 ")) return PendingReply::Frames{};
    // A refused WebSocket handshake: what the client sends next was meant for a tunnel that is not
    // there. Its connection ends after the response (which says so).
    if (const auto self = std::static_pointer_cast<Session>(session.lock())) {
      self->upgrade_refused_ = self->stop_reading_ = true;
      self->close_after_replies();
    }
    return PendingReply::Frames{};
  };
}

void Session::forward(std::string_view key, std::string_view bytes) {
  request_.clear();
  request_.reserve(bytes.size() + client_.size() + 64);  // the fields added: one allocation, not a few
  write_head(request_, false);
  request_.append(bytes.substr(head_.size));
  command_.name = head_.method;
  command_.keys = std::span(&key, 1);
  command_.request = {request_};
  command_.kind = head_.method == "HEAD" ? Reply::response_to_head : Reply::response;
  command_.reads = idempotent(head_.method);
  command_.retries = command_.reads ? pool_.pool().http_retries : 0;
  router_.send_to(pool_, command_, servers_[0]);
  if (!head_.keep_alive) {
    stop_reading_ = true;
    close_after_replies();
  }
}

void Session::start_stream(Body body, bool upgrade) {
  send_continue();
  auto reply = make_recycled<PassThroughReply>();
  reply->set_head_filter(response_filter(upgrade));
  enqueue(reply);
  request_.clear();
  write_head(request_, upgrade);
  const Reply kind = upgrade ? Reply::upgrade : head_.method == "HEAD" ? Reply::response_to_head : Reply::response;
  stream_.request.start(pool_, std::move(reply), std::span(servers_).first(1), request_, kind, reader_waker());
  stream_.body = std::move(body);
  stream_.close_after = !head_.keep_alive;
}

std::size_t Session::stream(std::string_view input) {
  const std::size_t n = stream_.body.take(input);
  if (stream_.body.malformed) {
    // The server has part of a body that cannot end well: it gets no more, the client a 400.
    stream_.request.fail(status_reply(400, "malformed chunked body", true));
    stream_.body.done = true;
    stop_reading_ = true;
    close_after_replies();
    return input.size();
  }
  stream_.request.forward(input.substr(0, n));
  if (stream_.body.done) stream_.request.sent();
  return n;
}

void Session::end_stream() {
  const bool close = stream_.close_after;
  stream_ = {};
  if (close) {
    stop_reading_ = true;
    close_after_replies();
  }
}

}  // namespace ringleader::proxy::http
