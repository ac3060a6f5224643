// http::Session: a client speaking HTTP/1.1 to a pool (docs/operations.md, "HTTP pools").
//
// Each request is placed by its key (request_key.hpp) and forwarded with its hop-by-hop fields
// removed and X-Forwarded-For and Via added (RFC 9110 §7.6); the server's response comes back
// unchanged. Requests are read as they arrive (pipelining), answered in order (the session's reply
// queue). A server connection carries one request at a time and is kept alive for the next one
// (ConnectionPolicy::per_request).
//
// A request whose body is whole in what was read and at most kStreamAbove bytes goes to its server
// through the route layer; an idempotent one (GET, HEAD, PUT, DELETE, OPTIONS) is sent to the key's
// next server if its server fails before answering, up to the pool's http_retries times
// (Command::retries, route/router.hpp). A larger body, or a chunked one not yet whole, streams to its server
// on a connection of its own, as memcache::Session streams a large value: it starts once the
// requests before it are answered, reading pauses while kStreamBuffer of it waits to be written, and
// it is never retried (its bytes are not kept).
//
// The proxy answers 100 Continue itself to `Expect: 100-continue` (once it has decided to forward
// the request), 400 and closes on a request it cannot frame safely (message_head.hpp), 431 on a
// head over max_line_bytes, 400 on a request without a key under http_key_missing: reject, and 503
// when no server of the pool is live.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "proxy/client_session.hpp"
#include "proxy/http/chunked.hpp"
#include "proxy/http/message_head.hpp"
#include "proxy/route/command.hpp"
#include "proxy/route/router.hpp"
#include "proxy/streamed_request.hpp"

namespace ringleader::proxy {
class Backend;
class PoolWorker;
}

namespace ringleader::proxy::http {

class Session final : public ClientSession {
 public:
  /// `client`: the client's address, for X-Forwarded-For.
  Session(Socket socket, PoolWorker& pool, std::string client);
  ~Session() override;

 protected:
  std::size_t consume(std::string_view input) override;
  void input_drained() override;
  bool input_paused() const override;
  bool input_cut_short() const override { return input_streaming() && !upgrade_refused_; }
  bool input_streaming() const override { return stream_.request.active() && !stream_.body.done; }

 private:
  /// What is left of the body of the request being read.
  struct Body {
    bool chunked = false;
    std::uint64_t length = 0;  // Content-Length bytes still to come
    ChunkedBody chunks;
    bool done = false;
    bool malformed = false;

    /// The bytes of `input` that belong to the body.
    std::size_t take(std::string_view input);
  };

  /// The request whose head head_ holds, at the start of `input`: routed, forwarded or refused.
  /// Returns the bytes used, 0 if it waits (for more of its body, or for the requests before it).
  std::size_t handle(std::string_view input);
  /// Answers the request itself with `code`; `whole`: the request's bytes if all are in.
  std::size_t refuse(unsigned code, std::string_view reason, std::string_view input, std::optional<std::size_t> whole);
  /// The request head as its server gets it, into `out`; `upgrade`: with the fields that ask for
  /// the WebSocket protocol.
  void write_head(std::string& out, bool upgrade) const;
  /// Sends the whole request `bytes` to the routed server (or the key's next ones).
  void forward(std::string_view key, std::string_view bytes);
  /// Rewrites the response to the request being handled as its client must see it; `upgrade`: the
  /// request asked for WebSocket, and a response other than 101 ends the client's connection.
  PendingReply::HeadFilter response_filter(bool upgrade);
  /// Sends the head to the routed server on a connection of its own; its body follows as it comes.
  /// `upgrade`: a WebSocket handshake, whose "body" is the client's side of the tunnel.
  void start_stream(Body body, bool upgrade = false);
  /// Forwards what `input` holds of the streamed body; returns the bytes used.
  std::size_t stream(std::string_view input);
  void end_stream();
  bool expects_continue() const;
  void send_continue();

  PoolWorker& pool_;
  std::string client_;
  MessageHead head_;         // of the request being read: views into the input
  std::string request_;      // a request as its server gets it (reused)
  std::string random_key_;   // http_key_missing: random
  std::vector<std::uint32_t> servers_;
  route::Command command_;   // the request being forwarded, for router_
  route::Router router_;     // sends it (retries included)
  std::uint64_t swallow_ = 0;  // body bytes of a refused request still to discard
  bool continued_ = false;     // 100 Continue is sent for the request being read
  bool stream_waits_ = false;  // a streamed request waits for the requests before it
  bool stop_reading_ = false;  // close after the replies owed: the rest of the input is ignored
  bool upgrade_refused_ = false;  // the server answered a WebSocket handshake with no 101
  struct Stream {
    StreamedRequest request;  // on its own connection to the key's server
    Body body;
    bool close_after = false;  // the client asked to close after this request
  } stream_;
};

}  // namespace ringleader::proxy::http
