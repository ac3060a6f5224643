// Backend: one connection from one worker thread to one server of a pool.
//
// Each worker thread owns its backends, so sessions on that thread use them without locks. Requests
// are appended to an output buffer and written in batches (every request queued while the previous
// write was in flight goes out in the next one); replies come back in request order (a protocol
// served here answers each connection in order), so they are matched to the oldest request in flight.
//
// The reader reads as fast as the server sends: no client's slowness reaches a connection other
// clients share (a reply the client has not written yet is kept by its session, up to its output
// limit). A large reply passed through unchanged (Protocol::frame_reply says which bytes are certain
// before the rest arrives) is read straight into blocks handed to its client as they fill
// (PendingReply::add_piece), so its bytes are copied by the kernel only, and never held whole for a
// client that keeps up. Only a connection that belongs to one request at a time (the protocol's
// ConnectionPolicy::per_request: an HTTP upstream) waits for its client to write those pieces, which bounds
// what a body of any size costs.
//
// Failure handling, as twemproxy does it: if the server cannot be reached, or a reply does not come
// within the pool's `timeout`, or the stream is malformed, the connection is closed and every request
// in flight on it gets an error reply naming the server and the reason. The next request reconnects.
// The pool's protocol (protocol.hpp) frames the replies, writes the error replies, and may give a
// handshake to send first on every new connection (AUTH and SELECT, say), whose replies it judges: a
// refusal it calls the pool's mistake fails the connection without counting against the server.
// Each failure and each good reply is reported to the pool's shared PoolHealth (ejection.hpp), which
// counts consecutive failures across every worker thread and ejects the server at the limit.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <asio/awaitable.hpp>
#include <asio/post.hpp>
#include <asio/generic/stream_protocol.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>

#include "proxy/buffers.hpp"
#include "proxy/ejection.hpp"
#include "proxy/pending_reply.hpp"
#include "proxy/protocol.hpp"
#include "proxy/ring_queue.hpp"
#include "proxy/route/context.hpp"
#include "proxy/stats/counters.hpp"
#include "proxy/transport/transport.hpp"

namespace ringleader::proxy {

struct BackendOptions {
  const Protocol* protocol = nullptr;                // the pool's; lives as long as the process
  std::optional<std::chrono::milliseconds> timeout;  // absent: wait for replies forever
  Handshake handshake;                               // the protocol's, for the pool's settings
  std::vector<Handshake> dialect_handshakes;         // of each further dialect (in_dialect), in order
  bool tcp_keepalive = false;                        // SO_KEEPALIVE on the connection (tcpkeepalive)
  // ConnectionPolicy::per_request (free_connection): the free connections kept open per server and
  // worker (the pool's server_connections), and how many may be open at once (0: no limit;
  // http_max_connections), past which requests wait for one (WaitingRoom).
  std::size_t keep_free = 32;
  std::size_t max_connections = 0;
  std::shared_ptr<tls::PoolTls> tls;  // server_tls: its servers() context, as it is at each connect

  bool operator==(const BackendOptions&) const = default;
};

class Backend;

/// Requests to one server waiting for a free connection, when its per-request connections
/// (ConnectionPolicy::per_request) are all busy and at BackendOptions::max_connections: each goes
/// on the next connection that comes free, in order; one still waiting after the pool's `timeout`
/// gets the protocol's error reply for "no free connection" (HTTP: 503), as nginx's upstream
/// `queue` does.
class WaitingRoom final : public Connection, public std::enable_shared_from_this<WaitingRoom> {
 public:
  WaitingRoom(asio::io_context& io, std::weak_ptr<Backend> server, const BackendOptions& options, std::string name);
  void send(std::initializer_list<std::string_view> request, std::shared_ptr<PendingReply> reply,
            std::uint32_t part, ReplyKind kind = 0) override;
  std::shared_ptr<Connection> shared() override { return shared_from_this(); }
  bool empty() const noexcept { return waiting_.empty(); }
  /// Sends the waiting requests on the connections free now (soon after one came free).
  void dispatch();
  /// Answers every waiting request with `reply` (a reload removed the server).
  void fail_all(std::string_view reply);

 private:
  struct Waiting {
    std::string request;
    std::shared_ptr<PendingReply> reply;
    std::uint32_t part;
    ReplyKind kind;
    std::chrono::steady_clock::time_point deadline;
  };
  void expire();

  std::weak_ptr<Backend> server_;
  const Protocol* protocol_;
  std::optional<std::chrono::milliseconds> timeout_;
  std::string name_;
  std::deque<Waiting> waiting_;
  asio::steady_timer timer_;
};

/// Always owned by a std::shared_ptr: its coroutines hold one, so a backend a reload removed lives
/// until its connection is closed.
class Backend final : public Connection, public std::enable_shared_from_this<Backend> {
 public:
  /// `name` appears in error replies ("... server 10.0.0.1:11211 ...").
  Backend(asio::io_context& io, std::string name, asio::generic::stream_protocol::endpoint endpoint,
          BackendOptions options, stats::ServerCounters& counters);
  ~Backend();
  Backend(const Backend&) = delete;
  Backend& operator=(const Backend&) = delete;

  /// Sends one whole request, whose bytes are `request`'s pieces one after another (a command line
  /// and its value, say): its reply answers part `part` of `reply`, framed by the protocol as a
  /// reply of `kind`. Only the backend touches its buffers.
  void send(std::initializer_list<std::string_view> request, std::shared_ptr<PendingReply> reply,
            std::uint32_t part, ReplyKind kind = 0) override;
  std::shared_ptr<Connection> shared() override { return shared_from_this(); }
  /// More bytes of the last request sent (a value streamed as it arrives from the client). The
  /// request's timeout starts again.
  void send_more(std::string_view bytes);
  /// Bytes appended and not yet written to the server.
  std::size_t unwritten() const noexcept { return output_.size() + writing_.size(); }
  /// Calls `written` after each batch written to the server (a stream's client reads again).
  void on_written(std::function<void()> written) { written_ = std::move(written); }
  /// A second connection to the same server, with the same settings, counters and health.
  std::shared_ptr<Backend> another_connection() const;
  /// A connection of its own for one streamed request (a value streamed from a client), so other
  /// clients' requests never wait behind it, nor land inside it: one an earlier stream to this
  /// server used, if it is idle, else a new one. The stream has it for as long as it holds the
  /// pointer returned (or a copy). Reused because a connection per value costs a connect and
  /// leaves a socket in TIME_WAIT; up to kKeepStreams idle ones stay open, each until no stream
  /// has used it for kStreamIdle (so an idle proxy goes back to its baseline of connections).
  std::shared_ptr<Backend> stream_connection();
  /// All of a stream's request is written to this stream_connection(). An HTTP connection then
  /// closes once answered, as it is not reused: were the server to close it while idle, the next
  /// stream's body could not be sent again (RFC 9112 §9.3.1), as it is not kept.
  void stream_sent() {
    if (exclusive_) retire();
  }
  /// Where the next request goes when the protocol's connections carry one request at a time
  /// (ConnectionPolicy::per_request): this connection if nothing waits on it, else another one
  /// to the same server that is free, made if none is (as nginx's upstream keepalive cache does),
  /// up to BackendOptions::max_connections; past that, the server's WaitingRoom. Up to
  /// BackendOptions::keep_free free ones stay open for the next requests.
  Connection& free_connection();
  /// free_connection()'s connection if one is free or may be opened; null if all are busy at
  /// max_connections.
  Backend* idle_connection();
  /// The connection to this server for clients that speak `dialect` of the protocol (a Redis client
  /// after HELLO 3): this one for dialect 0, else one of its own, made at the first request, with
  /// that dialect's handshake and the same counters and health.
  Backend& in_dialect(Dialect dialect);
  /// This connection and every other free_connection(), in_dialect() or stream_connection() made
  /// are idle.
  bool all_idle() const noexcept;
  /// Closes the connection now; requests in flight are dropped unanswered (their client is gone).
  void abandon();
  /// No reply on this connection times out (a blocking command's: the server keeps the client's own
  /// timeout).
  void wait_forever() noexcept { options_.timeout.reset(); }
  /// This connection is never made again once it closed: a request sent after gets an error at
  /// once (a transaction must not go on, unnoticed, on a new connection that knows nothing of it).
  void connect_once() noexcept { once_ = true; }
  /// Every message the server sends is passed to `message`, none as the reply to a request: a
  /// subscriber's connection (Redis pub/sub), to which the server sends what is published. `lost`
  /// is called once if the connection fails. Empty functions stop both.
  void on_message(std::function<void(std::string_view)> message, std::function<void()> lost) {
    message_ = std::move(message);
    lost_ = std::move(lost);
  }
  /// Sends `request`, whose answers come to on_message() rather than as replies.
  void send_unanswered(std::string_view request);
  /// Connects now rather than at the first request (the pool's `preconnect`).
  void preconnect();

  const std::string& name() const noexcept { return name_; }
  const BackendOptions& options() const noexcept { return options_; }
  const asio::generic::stream_protocol::endpoint& endpoint() const noexcept { return endpoint_; }
  const stats::ServerCounters& counters() const noexcept { return counters_; }

  /// Failures and good replies go to `health` as server `server` (null: reported nowhere, e.g. after
  /// a reload removed the server).
  void report_to(std::shared_ptr<PoolHealth> health, std::uint32_t server) {
    for (const auto& twin : twins_) twin->report_to(health, server);
    for (const auto& other : dialects_) other->report_to(health, server);
    for (const auto& stream : streams_) stream.connection->report_to(health, server);
    health_ = std::move(health);
    server_ = server;
  }
  /// Requests sent (or queued) and not yet answered.
  std::size_t in_flight() const noexcept { return in_flight_.size(); }
  /// Nothing waits to be written or answered.
  bool idle() const noexcept { return in_flight_.empty() && output_.empty() && writing_.empty(); }
  /// A reload removed this server (or changed how it is reached): no new requests will come.
  /// The connection closes once the requests in flight are answered.
  void retire();

 private:
  struct InFlight {
    std::shared_ptr<PendingReply> reply;  // null for a step of the handshake
    std::uint32_t part;                   // with a null reply: the step's index in options_.handshake
    ReplyKind kind;
    std::chrono::steady_clock::time_point deadline;
    std::chrono::steady_clock::time_point sent;  // for the latency histogram
    std::size_t bytes;                           // of the request, for out_queue_bytes
    bool expired = false;  // its client got the timeout error; its reply is dropped when it comes
    bool replayable = false;  // its bytes are in replay_ (replay_front)
  };

  asio::awaitable<void> connect(std::uint64_t generation);
  /// With nothing waiting to be written and the writer idle, writes what the socket takes of
  /// `bytes` now, from the caller's buffer (a value is then not copied into output_); returns the
  /// bytes written.
  std::size_t write_at_once(std::initializer_list<std::string_view> bytes);
  asio::awaitable<void> write_loop(std::uint64_t generation);
  asio::awaitable<void> read_loop(std::uint64_t generation);
  /// Reads what the server sent, into input_ or, inside a piece, into the piece; false when the
  /// connection ended (or was replaced).
  asio::awaitable<bool> read_some(std::uint64_t generation);
  asio::awaitable<void> timeout_loop(std::uint64_t generation);
  /// Hands every complete reply at the start of `input` to its request; returns the bytes used.
  /// A malformed or unexpected reply fails the connection (generation_ changes).
  std::size_t take_replies(std::string_view input);
  /// The front request is answered by `reply` (empty: its pieces were the reply); false if that
  /// ended the connection (a handshake refused, or the server said it closes after this reply).
  /// `buffer`, if not null, holds `reply` and is lent to the reply (PendingReply::complete).
  bool answered(std::string_view reply, Bytes* buffer = nullptr);
  /// Hands input_, which holds a large reply at `reply`, to that reply rather than have it copied
  /// (a merged part keeps it); input_ starts again with the bytes after it, which `input` and
  /// `used` then describe. Returns what answered() does.
  bool answered_in_input(std::string_view reply, std::string_view& input, std::size_t& used);
  /// The front reply goes out in pieces from here: `certain` more bytes of it are known to come.
  /// False if it does not (small, or not passed through unchanged).
  bool start_pieces(std::size_t certain);
  /// Passes what `input` holds of the bytes still to pass on as a piece; returns the bytes used.
  std::size_t pass_piece(std::string_view input);
  /// Hands piece_ (read straight from the socket) to the front reply.
  void hand_piece();
  /// A kept-alive connection closed before any byte of the reply to its one request came: the
  /// server closed it as the request went out (its idle timeout or keep-alive limit), so the
  /// request goes again on a new connection to the same server, once, and counts as no failure
  /// (RFC 9112 §9.3.1; nginx does the same for its cached connections). False if it may not.
  bool replay_front();
  /// A connection that served requests before holds one request and no byte of its reply yet.
  bool unanswered_on_kept_connection() const;
  /// The server closed the connection, which ends the front reply (ReplyFrame::ends_at_close): it
  /// is answered (PendingReply::ended_by_close: its last chunk, or its client's connection closes
  /// after it).
  void answered_by_close();
  /// A connection of an HTTP pool waits for its client to write what it was handed.
  bool waiting_for_client() const noexcept {
    return exclusive_ && in_pieces_ && !in_flight_.empty() && in_flight_.front().reply &&
           in_flight_.front().reply->unwritten_pieces() > kPiece;
  }
  /// Closes the connection and fails every request in flight with `reason`. `server_fault`: counts
  /// towards the server's ejection (false for the pool's own configuration mistakes).
  void fail(std::string_view reason, bool server_fault = true);
  /// Counts a failure of the server towards its ejection.
  void count_failure(std::string_view reason);
  /// Logs a failure: a warning once per outage, debug for the rest.
  void log_failure(std::string_view reason);
  /// The protocol's error reply for `reason`.
  std::string error_reply(std::string_view reason) const;
  /// Answers the requests behind the front whose deadline passed (`now`) with the timeout error.
  void expire_behind_front(std::chrono::steady_clock::time_point now);
  /// The server answered step `step` of the handshake with `reply`; returns whether the connection
  /// goes on (else it is failed).
  bool handshake_answered(std::uint32_t step, std::string_view reply);
  /// Closes the connection; the loops of this connection see the new generation_ and end.
  void close();
  /// The completion token of this backend's coroutines: keeps the backend alive until they end.
  auto keep_alive() {
    return [self = shared_from_this()](const std::exception_ptr&) {};
  }
  /// Publishes in_queue/out_queue (this backend is the only writer of its counters).
  void count_queues() noexcept;

  asio::io_context& io_;
  std::string name_;
  asio::generic::stream_protocol::endpoint endpoint_;
  BackendOptions options_;
  Transport transport_;
  asio::steady_timer wake_writer_;
  asio::steady_timer deadline_timer_;
  asio::steady_timer wake_reader_;  // a client wrote the piece the reader waits on
  enum class State { disconnected, connecting, connected } state_ = State::disconnected;
  std::uint64_t generation_ = 0;  // bumped on every reset, so the old connection's loops stop
  std::string output_;            // requests not yet written
  std::string writing_;           // the batch being written (swapped with output_, both reused)
  RingQueue<InFlight> in_flight_;
  std::function<void()> written_;       // on_written()
  std::function<void(std::string_view)> message_;  // on_message()
  std::function<void()> lost_;
  std::shared_ptr<PoolHealth> health_;  // shared with every worker's backend to this server
  std::uint32_t server_ = 0;             // this server's index in the pool, for health_
  stats::ServerCounters& counters_;
  std::size_t unsent_ = 0;      // requests at the back of in_flight_ still in output_
  std::size_t sent_bytes_ = 0;  // bytes of the written requests in in_flight_
  bool healthy_ = true;         // false from a failure to the next connection: one warning per outage
  bool retired_ = false;
  bool once_ = false;   // connect_once()...
  bool spent_ = false;  // ...and it closed
  std::size_t passing_ = 0;  // bytes of the front reply, passed on in pieces, still to come
  bool in_pieces_ = false;   // the front reply goes out in pieces
  bool pieces_end_ = false;  // ...and ends with the bytes passing_ counts (ReplyFrame::certain_ends)
  bool handshake_refused_ = false;  // the server refused a step of this connection's handshake
  bool exclusive_ = false;          // one request at a time: may wait for its client
  bool server_closes_ = false;      // the front reply's server closes the connection after it
  bool ends_at_close_ = false;      // ...and the reply ends there (ReplyFrame::ends_at_close)
  std::size_t answered_here_ = 0;   // replies on this connection: more than none, it was reused
  std::string replay_;              // the request in flight, kept for replay_front (exclusive_ only)
  Bytes input_;                     // bytes read; [taken_, input_.size()) are not framed yet
  std::size_t taken_ = 0;
  std::size_t expected_ = 0;  // bytes of the front reply known to come (framing said so): room for them
  Bytes piece_;               // read straight from the socket while passing_ > 0 and input_ is framed
  static constexpr std::size_t kPiece = BlockPool::kBlockSize;
  std::vector<std::shared_ptr<Backend>> twins_;  // free_connection()'s
  std::vector<std::shared_ptr<Backend>> dialects_;  // in_dialect()'s: dialects_[d - 1] speaks d
  struct Stream {
    std::shared_ptr<Backend> connection;
    std::weak_ptr<void> lease;  // expired: no stream holds the connection
  };
  std::vector<Stream> streams_;  // stream_connection()'s
  static constexpr std::size_t kKeepStreams = 4;
  static constexpr std::chrono::seconds kStreamIdle{2};
  bool kept_for_streams_ = false;  // a stream_connection() that may be reused
  asio::steady_timer idle_timer_;  // ...closes it once idle for kStreamIdle
  std::shared_ptr<WaitingRoom> waiting_room_;     // free_connection()'s, made at the first wait
  std::weak_ptr<WaitingRoom> room_;              // ...the one this connection tells when it comes free
  /// This connection came free: its server's waiting requests may go on it.
  void came_free();
};

}  // namespace ringleader::proxy
