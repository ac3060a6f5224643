// ClientSession: one client connection; each protocol's session derives from it.
//
// The reader takes bytes off the socket and hands them to the protocol (consume()), which queues one
// PendingReply per request and sends its parts to backends; the writer sends ready replies in queue
// order, gathering as many as are ready into one writev. Many requests are in flight at once
// (pipelining); reading pauses while the pool's max_replies_in_flight replies wait, so a client that
// never reads its replies cannot grow the proxy's memory without bound, and while the protocol says
// so (a value it streams waits for its server: input_paused()), so a large value is never held whole.
//
// Memory per idle connection stays small: no read buffer until the first byte arrives (the reader
// waits for readability first), and buffers are reused across requests.
#pragma once

#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <asio/awaitable.hpp>
#include <asio/generic/stream_protocol.hpp>
#include <asio/steady_timer.hpp>

#include "proxy/pending_reply.hpp"
#include "proxy/stats/counters.hpp"

namespace ringleader::proxy {

using Socket = asio::generic::stream_protocol::socket;

class ClientSession : public std::enable_shared_from_this<ClientSession> {
 public:
  explicit ClientSession(Socket socket);
  virtual ~ClientSession() = default;
  ClientSession(const ClientSession&) = delete;
  ClientSession& operator=(const ClientSession&) = delete;

  /// Starts the reader and the writer on the socket's executor; the session counts itself in
  /// `counters` (client_connections, client_eof, client_err) until it closes, and reads no more
  /// requests while `max_in_flight` replies wait (kept for the session's life: a reload that
  /// changes it applies to clients that connect afterwards).
  void start(stats::PoolCounters& counters, std::size_t max_in_flight);

  /// Called by a PendingReply of this session when it becomes ready (or has a piece to write).
  void reply_ready();
  /// The session still writes, and every reply queued before `reply` is ready: nothing but the
  /// client's socket stands between `reply` and the client.
  bool only_ready_before(const PendingReply& reply) const noexcept;
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

  /// Queues a reply slot (in request order).
  void enqueue(std::shared_ptr<PendingReply> reply);
  /// Every reply queued is ready (every request sent has been answered).
  bool all_answered() const noexcept;
  /// Queues a reply the proxy makes itself.
  void reply_now(std::string_view bytes) { enqueue(PendingReply::local(bytes)); }
  /// Stop reading; close once every queued reply is sent (quit, or a framing error).
  void close_after_replies();

 private:
  asio::awaitable<void> read_loop();
  asio::awaitable<void> write_loop();
  /// Writes the piece `reply` holds (the head of the queue) and tells its server.
  asio::awaitable<void> write_piece(PendingReply& reply, std::error_code& ec);
  void close();

  static constexpr std::size_t kMinRead = 16 * 1024;
  static constexpr std::size_t kMaxWriteBatch = 256;

  Socket socket_;
  asio::steady_timer wake_writer_;
  asio::steady_timer wake_reader_;
  std::deque<std::shared_ptr<PendingReply>> queue_;
  std::string input_;          // bytes read and not yet consumed
  bool closing_ = false;       // no more requests are read
  bool paused_ = false;        // the reader waits for input_paused() to change
  bool closed_ = false;
  bool failed_ = false;        // closed on a socket error rather than the client's end of input
  stats::PoolCounters* counters_ = nullptr;
  std::size_t max_in_flight_ = 0;
};

}  // namespace ringleader::proxy
