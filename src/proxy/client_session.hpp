// ClientSession: one client connection; each protocol's session derives from it.
//
// The reader takes bytes off the socket and hands them to the protocol (consume()), which queues one
// PendingReply per request and sends its parts to backends; the writer sends ready replies in queue
// order, gathering as many as are ready (and the pieces of a large one as they come) into one
// writev. Many requests are in flight at once (pipelining); reading pauses while the pool's
// max_replies_in_flight replies wait, and while the protocol says so (a value it streams waits for
// its server: input_paused()), so a large value sent is never held whole.
//
// A client's slowness never reaches a server connection other clients share: backends read every
// reply as fast as their server sends it, and the replies a client has not written yet are kept
// here, counted against its output limit (like Redis's client-output-buffer-limit): past the hard
// limit, or above the soft limit for longer than its time, the client is closed, with a log line and
// client_output_limit_closed counted. The limits apply while the client is not reading (its socket
// took less than it was given): a deep pipeline's replies arrive in one burst before the writer
// runs, and a client that reads them is not a slow one.
//
// A protocol may give its clients timeouts (set_timeouts; HTTP's client_header_timeout and
// client_idle_timeout): a client that began a request and did not finish it in time (a slowloris),
// or one that owes no request and is owed no reply for too long, is closed.
//
// Memory per idle connection stays small: no read buffer until the first byte arrives (the reader
// waits for readability first), and buffers are reused across requests.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <asio/awaitable.hpp>
#include <asio/generic/stream_protocol.hpp>
#include <asio/steady_timer.hpp>

#include "proxy/buffers.hpp"
#include "proxy/config/config.hpp"
#include "proxy/pending_reply.hpp"
#include "proxy/recycled.hpp"
#include "proxy/ring_queue.hpp"
#include "proxy/stats/counters.hpp"
#include "proxy/transport/transport.hpp"

namespace ringleader::proxy {

struct PoolLayout;  // route_table.hpp

using Socket = Transport::Socket;

class ClientSession : public std::enable_shared_from_this<ClientSession> {
 public:
  explicit ClientSession(Socket socket);
  virtual ~ClientSession() = default;
  ClientSession(const ClientSession&) = delete;
  ClientSession& operator=(const ClientSession&) = delete;

  /// Starts the reader and the writer on the socket's executor; the session counts itself in
  /// `counters` (client_connections, client_eof, client_err) until it closes, reads no more
  /// requests while the pool's max_replies_in_flight replies wait, and keeps replies up to the
  /// pool's output limits (config::Pool::output_limit for `value_limit`, the protocol's largest
  /// value). Both are kept for the session's life: a reload applies to clients that connect after.
  /// With the pool's TLS to clients, the handshake comes first (within tls_handshake_timeout).
  void start(stats::PoolCounters& counters, const PoolLayout& pool, std::size_t value_limit);

  /// Called by a PendingReply of this session when it becomes ready (or has a piece to write).
  void reply_ready();
  /// `bytes` more of a reply wait for the client to write them: counted against its output limit.
  void keep(std::size_t bytes);
  bool closed() const noexcept { return closed_; }
  /// Has the reader look at input_paused() again (a server took more of a streamed value).
  void wake_reader() { wake_reader_.cancel(); }
  /// wake_reader() for as long as the session lives: what a streamed request's connection calls
  /// each time it has written (Backend::on_written), so a paused reader reads on.
  std::function<void()> reader_waker() {
    return [session = weak_from_this()] {
      if (auto self = session.lock()) self->wake_reader();
    };
  }

  /// A request body larger than this is not held whole: it streams to its server on a connection
  /// of its own (every protocol's session does the same), and reading from the client pauses
  /// while more than kStreamBuffer of it waits to be written.
  static constexpr std::size_t kStreamAbove = 256 * 1024;
  static constexpr std::size_t kStreamBuffer = 64 * 1024;

 protected:
  /// How long a client may take (zero: forever), set before start().
  struct Timeouts {
    std::chrono::milliseconds request{0};  // from the first byte of a request to its last byte consumed
    std::chrono::milliseconds idle{0};     // with no request begun and no reply owed
  };
  void set_timeouts(Timeouts timeouts) noexcept { timeouts_ = timeouts; }

  /// Parses and dispatches as many whole requests as `input` holds; returns the bytes used.
  virtual std::size_t consume(std::string_view input) = 0;
  /// Every byte read so far is consumed: a protocol frees what one large request grew (scratch
  /// vectors reused between requests keep their capacity otherwise).
  virtual void input_drained() {}
  /// True while the protocol takes no more input (a value streamed to a server waits for it to
  /// write, or for its reply): the reader waits for wake_reader(), then offers the bytes it holds.
  virtual bool input_paused() const { return false; }
  /// The input ended inside a request the protocol has begun to send on (a streamed value): its
  /// reply will never come, so the connection closes without waiting for it.
  virtual bool input_cut_short() const { return false; }
  /// A streamed request's body is coming (StreamedRequest): the reader reads it in kStreamRead
  /// bytes at a time rather than kMinRead, so a large value costs a read and a write per 256 KiB.
  virtual bool input_streaming() const { return false; }

  /// Queues a reply slot (in request order).
  void enqueue(std::shared_ptr<PendingReply> reply);
  /// enqueue() as a function, for what queues replies on the session's behalf (its router).
  auto enqueuer() {
    return [this](std::shared_ptr<PendingReply> reply) { enqueue(std::move(reply)); };
  }
  /// Every reply queued is ready (every request sent has been answered).
  bool all_answered() const noexcept;
  /// Queues a reply the proxy makes itself.
  void reply_now(std::string_view bytes) { enqueue(PendingReply::local(bytes)); }
  /// Stop reading; close once every queued reply is sent (quit, or a framing error).
  void close_after_replies();

 private:
  asio::awaitable<void> read_loop();
  /// The TLS handshake with the client; false if it failed or timed out (the session is closed).
  asio::awaitable<bool> handshake();
  asio::awaitable<void> write_loop();
  /// Writes `buffers` whole; false on a socket error.
  asio::awaitable<bool> write_all(std::vector<asio::const_buffer>& buffers);
  void close();
  /// Past the output limit: closed, logged and counted (once the current handler is done, so the
  /// reply or backend that added the bytes is not torn down under itself).
  void close_over_limit(std::string_view which);
  /// The writer brought kept_ down: the soft limit's clock stops if it is below it again.
  void below_soft_limit();
  /// Closes the client past its hard limit, or starts the soft limit's clock.
  void check_output_limit();
  /// Sets the client's clock for what it is doing now (set_timeouts): finishing the request it
  /// began, or, owed nothing, sending another.
  void arm_timeout();
  void timed_out();

  static constexpr std::size_t kMinRead = ReadBlocks::kSize;
  static constexpr std::size_t kStreamRead = BlockPool::kBlockSize;
  static constexpr std::size_t kMaxWriteBatch = 256;

  Transport transport_;
  asio::steady_timer wake_writer_;
  asio::steady_timer wake_reader_;
  RingQueue<std::shared_ptr<PendingReply>> queue_;
  std::string input_;          // bytes read and not yet consumed
  bool closing_ = false;       // no more requests are read
  bool paused_ = false;        // the reader waits for input_paused() to change
  bool closed_ = false;
  bool failed_ = false;        // closed on a socket error rather than the client's end of input
  stats::PoolCounters* counters_ = nullptr;
  std::size_t max_in_flight_ = 0;
  config::OutputLimit limit_;
  std::size_t kept_ = 0;     // bytes of replies waiting to be written (keep())
  bool over_soft_ = false;   // kept_ went over limit_.soft and soft_timer_ runs
  bool blocked_ = false;     // the writer waits for the client to take what it was sent
  asio::steady_timer soft_timer_;
  Timeouts timeouts_;
  std::chrono::milliseconds handshake_timeout_{0};
  std::optional<std::chrono::steady_clock::time_point> request_begun_;  // bytes of a request wait for more
  asio::steady_timer timeout_timer_;
};

/// A protocol's session, made for a client that connected. Its memory is recycled (recycled.hpp):
/// a client that connects for one request (HTTP without keep-alive) costs no malloc of its session,
/// which is larger than glibc's per-thread cache takes. Up to 64 are kept per worker.
template <class Session, class... Args>
std::shared_ptr<Session> make_session(Args&&... args) {
  return make_recycled<Session, 64>(std::forward<Args>(args)...);
}

}  // namespace ringleader::proxy
