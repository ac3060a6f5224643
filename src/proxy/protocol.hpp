// Protocol: what the proxy's core asks of a protocol its clients and servers speak.
//
// The core (server, pool workers, backends, health checks) moves bytes and never reads them; each
// protocol is one folder beside the core whose Protocol says how to serve a client, where a
// server's reply ends, how a failed request is answered, what to send first on a new server
// connection (the handshake) and how to probe an ejected server. In the spirit of twemproxy's
// per-protocol hooks (nc_message.h: parse, reply, auth) behind one table of names: protocols.cpp
// registers every protocol by the name a pool's `protocol:` gives.
//
// A Protocol is stateless and lives as long as the process, so the core keeps plain pointers to it.
// The request path calls it once per request (start of a session aside) and once per reply: never
// per byte.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <asio/generic/stream_protocol.hpp>

#include "proxy/config/config.hpp"
#include "proxy/stats/counters.hpp"

namespace ringleader::proxy {

class PoolWorker;
class WarmUpSteps;
using Socket = asio::generic::stream_protocol::socket;

/// What a request expects back, as its protocol tells the backend that sends it: opaque to the
/// core, handed back to Protocol::frame_reply() with the bytes of the reply (e.g. a read of many
/// keys answered by a list, other commands by one line).
using ReplyKind = std::uint32_t;

/// Where the next whole reply ends in a server's bytes.
struct ReplyFrame {
  enum class Status { complete, need_more, malformed };
  Status status = Status::need_more;
  std::size_t size = 0;     // bytes of the whole reply, when complete
  std::size_t certain = 0;  // need_more: bytes from the start known to be part of the reply (a large
                            // value being read), which may be passed on before the rest arrives
  bool certain_ends = false;       // ...and they end the reply (its length was given up front)
  std::optional<ReplyKind> then;   // ...and the bytes after them are framed as this kind (the rest
                                   // of a body sent in chunks), not as the reply's start
  bool closes = false;  // complete or need_more: the server closes the connection after this reply
                        // (HTTP's "Connection: close"), so no other request may follow it there
  bool ends_at_close = false;  // need_more: the reply ends where the server closes the connection
                               // (an HTTP body without a length); `certain` covers all of it
};

/// A protocol parser's own frame (a status of complete, need_more or malformed, and a size) as a
/// ReplyFrame: the parsers stay free of the core's types, so they are fuzzed and tested alone.
template <class ParserFrame>
ReplyFrame reply_frame_of(const ParserFrame& frame) noexcept {
  using Status = decltype(frame.status);
  if (frame.status == Status::complete) return {ReplyFrame::Status::complete, frame.size, 0, false, std::nullopt};
  if (frame.status == Status::malformed) return {ReplyFrame::Status::malformed, 0, 0, false, std::nullopt};
  if constexpr (requires { frame.certain_ends; })
    return {ReplyFrame::Status::need_more, 0, frame.certain, frame.certain_ends, std::nullopt};
  if constexpr (requires { frame.certain; })
    return {ReplyFrame::Status::need_more, 0, frame.certain, false, std::nullopt};
  return {};
}

/// A version of the protocol that a client chooses and that servers must then speak to it too (Redis's
/// RESP3, which a client asks for with HELLO 3). 0 is the protocol's usual one; each other one has
/// connections of its own to every server (Backend::in_dialect), opened with its own handshake.
using Dialect = std::uint8_t;

/// One command of the handshake, for the protocol's judge_handshake().
struct HandshakeStep {
  std::uint32_t tag = 0;  // the protocol's own name for the step
  std::string command;    // as messages show it, e.g. "SELECT 2"

  bool operator==(const HandshakeStep&) const = default;
};

/// What is sent first on every new connection to a server, before any request.
struct Handshake {
  std::string bytes;                // every command of it, in order
  std::vector<HandshakeStep> steps;  // one per reply those bytes bring, in order

  bool operator==(const Handshake&) const = default;
};

/// A server's answer to one step of the handshake, judged.
struct HandshakeVerdict {
  bool refused = false;  // the server said no (later steps are told)
  std::string failure;   // not empty: the connection fails with this reason, which is the pool's
                         // mistake, not the server's (not counted towards ejection)
};

/// How a server answered a write, for a pool with replicas: the worst copy's reply is the client's
/// (replica_writes: all), or the first success (one). Ordered from best to worst.
enum class WriteOutcome { success, refused, error };

/// One request of the health probe. Its reply is framed by frame_reply(), as traffic's replies are,
/// and judged by its first line.
struct ProbeStep {
  std::string request;
  std::vector<std::string> pass;  // the lines (without "\r\n") that pass...
  bool pass_is_prefix = false;    // ...or their beginnings
  std::string failure;            // the problem otherwise, followed by (the start of) the line
  ReplyKind kind = 0;             // what the request expects back, for frame_reply()

  /// The server's `line` (without "\r\n") passes this step.
  bool passes(std::string_view line) const noexcept;
};

/// A pool's setting its protocol cannot take (Protocol::check).
struct PoolProblem {
  std::string key;
  std::string reason;
};

/// How a protocol's requests use the connections to a server.
enum class ConnectionPolicy {
  /// One connection per server and worker carries every client's requests, pipelined (memcached,
  /// Redis). It never waits for a client: replies are read as fast as the server sends them.
  shared,
  /// A connection carries one request at a time (HTTP/1.1 upstreams): a free kept-alive one, or a
  /// new one (Backend::free_connection). It may wait for its client to write a large reply
  /// (pending_reply.hpp), which bounds the memory of a body of any size.
  per_request,
  // A connection of one client's own (Redis transactions, pub/sub, blocking commands: redis/pinned.hpp;
  // a WebSocket tunnel) is not a policy of the protocol's: its session asks for one
  // (PoolWorker::pinned_connection, own_connection).
};

class Protocol {
 public:
  virtual ~Protocol() = default;

  /// Serves a client just accepted on `pool`'s listener, from address `peer`; the session counts
  /// itself in `counters`.
  virtual void start_session(Socket socket, const Socket::endpoint_type& peer, PoolWorker& pool,
                             stats::PoolCounters& counters) const = 0;
  /// Frames the first reply in `input`, which answers a request sent with `kind`.
  virtual ReplyFrame frame_reply(std::string_view input, ReplyKind kind) const noexcept = 0;
  /// The reply a client gets for a request the server could not answer; `reason` is one line
  /// ("timeout: no reply from 10.0.0.1:11211 within 400 ms").
  virtual std::string error_reply(std::string_view reason) const = 0;
  /// What to send first on every new connection to a server of `pool` that speaks `dialect`
  /// (nothing by default).
  virtual Handshake handshake(const config::Pool& pool, Dialect dialect) const;
  /// The name a TLS client may ask for by ALPN ("http/1.1"); empty: none.
  virtual std::string_view alpn() const noexcept { return {}; }
  /// How many dialects the protocol has (1: only its usual one).
  virtual Dialect dialects() const noexcept { return 1; }
  /// The server answered `step` of the handshake with `reply`; `refused_before`: it refused an
  /// earlier step of this connection. `server` names it in messages.
  virtual HandshakeVerdict judge_handshake(const HandshakeStep& step, std::string_view reply, bool refused_before,
                                           std::string_view server) const;
  /// The health probe of a server of `pool`: each step's request is sent once the previous passed.
  virtual std::vector<ProbeStep> probe(const config::Pool& pool) const = 0;

  /// Replicas (route/replicas.hpp): how good a server's (whole, framed) reply to a write is: a success, a
  /// refusal the server decided (memcached's NOT_STORED, say), or an error.
  virtual WriteOutcome judge_write(std::string_view reply) const noexcept = 0;
  /// Whether a server closing a connection with nothing in flight is routine (an HTTP server's idle
  /// keep-alive timeout) rather than a failure counted towards its ejection.
  virtual bool servers_close_idle() const noexcept { return false; }
  /// Whether `request` (its first bytes) may be sent again on a new connection to the same server
  /// when a kept-alive connection closed before any byte of its reply came: the server closed it
  /// as the request went out (its idle timeout), not because of the request. RFC 9112 §9.3.1
  /// allows it for idempotent methods only.
  virtual bool replayable(std::string_view /*request*/) const noexcept { return false; }
  /// How requests share the connections to a server (ConnectionPolicy).
  virtual ConnectionPolicy connection_policy() const noexcept { return ConnectionPolicy::shared; }

  /// Replicas: whether a reply to a single-key read says the key is not there.
  virtual bool is_miss(std::string_view reply) const noexcept = 0;

  /// What a pool of this protocol can take; config::Config is checked against it (check_protocols),
  /// so config/ reads every key but names no protocol.
  /// The keys only this protocol's pools take: another protocol's pool that gives one is refused.
  virtual std::span<const std::string_view> own_keys() const noexcept { return {}; }
  /// What is wrong with `pool` for this protocol, if anything: the key to blame and why.
  virtual std::optional<PoolProblem> check(const config::Pool& pool) const;
  /// How a moved key is read, answered and copied in a warm-up (route/warm_up.hpp); null if the
  /// protocol has none (its pools refuse warmup_ms and draining servers).
  virtual const WarmUpSteps* warm_up_steps() const noexcept { return nullptr; }
};

}  // namespace ringleader::proxy
