// ClientSession; see client_session.hpp.
#include "proxy/client_session.hpp"

#include <algorithm>
#include <cstring>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/post.hpp>
#include <asio/redirect_error.hpp>
#include <asio/use_awaitable.hpp>

#include "proxy/log.hpp"
#include "proxy/route_table.hpp"

namespace ringleader::proxy {

ClientSession::ClientSession(Socket socket)
    : transport_(std::move(socket)),
      wake_writer_(transport_.executor(), asio::steady_timer::time_point::max()),
      wake_reader_(transport_.executor(), asio::steady_timer::time_point::max()),
      soft_timer_(transport_.executor()),
      timeout_timer_(transport_.executor()) {}

void ClientSession::start(stats::PoolCounters& counters, const PoolLayout& layout, std::size_t value_limit) {
  const config::Pool& pool = layout.pool;
  counters_ = &counters;
  max_in_flight_ = pool.max_replies_in_flight;
  limit_ = pool.output_limit(value_limit);
  counters_->client_connections.add();
  counters_->total_connections.add();
  if (const auto tls = layout.tls ? layout.tls->clients() : nullptr) {
    transport_.use_tls(*tls);
    handshake_timeout_ = std::chrono::milliseconds(pool.tls.handshake_timeout_ms);
  }
  asio::co_spawn(transport_.executor(), [self = shared_from_this()] { return self->read_loop(); },
                 asio::detached);
  asio::co_spawn(transport_.executor(), [self = shared_from_this()] { return self->write_loop(); },
                 asio::detached);
}

void ClientSession::enqueue(std::shared_ptr<PendingReply> reply) {
  if (reply->ready()) {
    if (queue_.empty()) wake_writer_.cancel();
    if (reply->sends()) keep(reply->bytes().size());
  } else {
    reply->set_session(weak_from_this());
  }
  queue_.push_back(std::move(reply));
}

void ClientSession::reply_ready() {
  wake_writer_.cancel();
  if (paused_) wake_reader_.cancel();  // the reply a stream waits for, maybe
}

void ClientSession::keep(std::size_t bytes) {
  kept_ += bytes;
  if (blocked_) check_output_limit();
}

void ClientSession::check_output_limit() {
  if (closed_ || failed_) return;
  if (limit_.hard > 0 && kept_ > limit_.hard) return close_over_limit("hard");
  if (limit_.soft == 0 || kept_ <= limit_.soft || over_soft_) return;
  // Above the soft limit: closed if still above it soft_for from now (the writer cancels the timer
  // when it gets below).
  over_soft_ = true;
  soft_timer_.expires_after(limit_.soft_for);
  soft_timer_.async_wait([session = weak_from_this()](const std::error_code& ec) {
    const auto self = session.lock();
    if (!ec && self && self->over_soft_) self->close_over_limit("soft");
  });
}

void ClientSession::below_soft_limit() {
  if (!over_soft_ || kept_ > limit_.soft) return;
  over_soft_ = false;
  soft_timer_.cancel();
}

void ClientSession::close_over_limit(std::string_view which) {
  if (closed_ || failed_) return;
  failed_ = closing_ = true;  // no more requests; nothing more is kept (add_piece sees closed())
  counters_->client_output_limit_closed.add();
  log::warn("client closed: past its output limit",
            {{"limit", std::string(which)}, {"kept_bytes", std::to_string(kept_)},
             {"hard", std::to_string(limit_.hard)}, {"soft", std::to_string(limit_.soft)}});
  asio::post(transport_.executor(), [self = shared_from_this()] { self->close(); });
}

bool ClientSession::all_answered() const noexcept {
  for (std::size_t i = 0; i < queue_.size(); ++i) {
    if (!queue_[i]->ready()) return false;
  }
  return true;
}

void ClientSession::close_after_replies() {
  closing_ = true;
  wake_writer_.cancel();
}

void ClientSession::close() {
  if (closed_) return;
  closed_ = closing_ = true;
  counters_->client_connections.sub();
  (failed_ ? counters_->client_err : counters_->client_eof).add();
  transport_.close();
  wake_writer_.cancel();
  wake_reader_.cancel();
  soft_timer_.cancel();
  timeout_timer_.cancel();
  for (std::size_t i = 0; i < queue_.size(); ++i) queue_[i]->abandon();
  queue_.clear();
  kept_ = 0;
}

asio::awaitable<bool> ClientSession::handshake() {
  // Bounded on its own: a client that never finishes it holds a connection and an SSL object.
  timeout_timer_.expires_after(handshake_timeout_);
  timeout_timer_.async_wait([session = weak_from_this()](const std::error_code& ec) {
    const auto self = session.lock();
    if (ec || !self || self->closing_) return;
    log::info("client closed: its TLS handshake did not finish in time",
              {{"timeout_ms", std::to_string(self->handshake_timeout_.count())}});
    self->failed_ = true;
    self->close();
  });
  std::error_code ec;
  co_await transport_.handshake(ec);
  timeout_timer_.cancel();
  if (!ec || closed_) co_return !closed_;
  // A plaintext client on a TLS port, a wrong or missing certificate: the client's mistake, logged
  // (as nginx logs SSL_do_handshake() failures) and closed, disturbing no one else.
  log::info("client closed: TLS handshake failed", {{"reason", ec.message()}});
  failed_ = true;
  close();
  co_return false;
}

asio::awaitable<void> ClientSession::read_loop() {
  if (transport_.encrypted() && !co_await handshake()) co_return;
  std::error_code ec;
  Bytes buffer;           // allocated at the first byte, so idle connections cost no buffer
  std::size_t taken = 0;  // bytes of buffer consumed
  bool held = false;      // bytes read before a pause wait for consume()
  while (!closing_) {
    // The client is not reading its replies, or the protocol waits: wait for the writer or it.
    if (queue_.size() >= max_in_flight_ || input_paused()) {
      paused_ = queue_.size() < max_in_flight_;
      wake_reader_.expires_at(asio::steady_timer::time_point::max());
      co_await wake_reader_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      paused_ = false;
      held = buffer.size() > taken;
      continue;
    }
    if (!held) {
      arm_timeout();
      if (!transport_.read_first()) {
        co_await transport_.wait_readable(ec);
        if (ec || closing_) break;
      }
      make_room(buffer, taken, buffer.size() - taken + (input_streaming() ? kStreamRead : kMinRead));
      const std::size_t n = transport_.read_now(asio::buffer(buffer.tail(), buffer.room()), ec);
      if (ec == asio::error::would_block || ec == asio::error::try_again) continue;
      if (ec) break;
      buffer.filled(n);
    }
    held = false;
    taken += consume(buffer.view().substr(taken));
    // Bytes left unconsumed, with the protocol not pausing: a request not whole yet.
    if (taken == buffer.size() || input_paused()) {
      request_begun_.reset();
    } else if (!request_begun_) {
      request_begun_ = std::chrono::steady_clock::now();
    }
    if (taken == buffer.size()) {
      taken = 0;
      buffer.clear();
      // After a large value, give the memory back rather than keeping it for an idle connection.
      if (buffer.capacity() > 4 * kMinRead && !input_streaming()) buffer = Bytes();
      input_drained();
    }
  }
  if (!closed_) {
    // End of input (or quit): the replies already owed are still sent, then the socket closes;
    // unless the input ended inside a request already sent on, which can never be answered.
    if (ec && ec != asio::error::eof) {
      failed_ = true;
      close();
    } else if (input_cut_short()) {
      close();
    } else {
      close_after_replies();
    }
  }
}

asio::awaitable<void> ClientSession::write_loop() {
  std::error_code ec;
  std::vector<asio::const_buffer> buffers;
  while (!closed_) {
    std::size_t count = 0;     // ready replies gathered whole
    PendingReply* partial = nullptr;  // and the pieces so far of the next one
    std::size_t bytes = 0;
    bool cut = false;  // a reply cut short: the connection ends after it
    buffers.clear();
    while (count < queue_.size() && count < kMaxWriteBatch && !cut) {
      PendingReply& reply = *queue_[count];
      bytes += reply.gather(buffers);
      if (!reply.ready()) {
        partial = &reply;
        break;
      }
      cut = reply.cut();
      ++count;
    }
    if (bytes == 0 && count == 0) {
      if (closing_ && queue_.empty()) break;
      wake_writer_.expires_at(asio::steady_timer::time_point::max());
      co_await wake_writer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    const auto held = partial ? queue_[count] : nullptr;  // outlives the write if the queue is cleared
    if (!buffers.empty() && !co_await write_all(buffers)) {
      failed_ = true;
      break;
    }
    if (closed_) break;
    kept_ -= std::min(kept_, bytes);
    below_soft_limit();
    if (partial) partial->gathered_written();
    const bool was_full = queue_.size() >= max_in_flight_;
    for (std::size_t i = 0; i < count; ++i) queue_.pop_front();
    if (was_full) wake_reader_.cancel();
    if (queue_.empty()) arm_timeout();  // owed nothing now: the idle clock starts
    if (cut) break;
  }
  close();
}

void ClientSession::arm_timeout() {
  if (closing_ || (timeouts_.request.count() == 0 && timeouts_.idle.count() == 0)) return;
  std::optional<std::chrono::steady_clock::time_point> at;
  if (request_begun_ && timeouts_.request.count() > 0) {
    at = *request_begun_ + timeouts_.request;
  } else if (!request_begun_ && queue_.empty() && timeouts_.idle.count() > 0) {
    at = std::chrono::steady_clock::now() + timeouts_.idle;
  }
  // Otherwise replies are owed: the servers' timeout bounds the wait.
  timeout_timer_.expires_at(at.value_or(std::chrono::steady_clock::time_point::max()));
  if (!at) return;
  timeout_timer_.async_wait([session = weak_from_this()](const std::error_code& ec) {
    const auto self = session.lock();
    if (!ec && self) self->timed_out();
  });
}

void ClientSession::timed_out() {
  if (closing_) return;
  // A request begun and not finished is the client's fault (logged, as nginx does); an idle
  // kept-alive connection closing is routine.
  if (request_begun_) log::info("client closed: its request did not arrive in time",
                                {{"timeout_ms", std::to_string(timeouts_.request.count())}});
  failed_ = request_begun_.has_value();
  close();
}

asio::awaitable<bool> ClientSession::write_all(std::vector<asio::const_buffer>& buffers) {
  // Try the write at once; wait for the socket only for what it did not take. Most replies go out
  // in this one writev, without a round through the event loop.
  std::error_code ec;
  std::size_t written = transport_.write_now(buffers, ec);
  if (ec) co_return false;
  if (written == asio::buffer_size(buffers)) co_return true;
  std::size_t sent = 0;  // buffers written whole
  while (written >= buffers[sent].size()) written -= buffers[sent++].size();
  buffers.erase(buffers.begin(), buffers.begin() + static_cast<std::ptrdiff_t>(sent));
  buffers.front() += written;
  // The client is not taking what it was sent: from now until the socket takes it all, what it
  // keeps counts against its limits.
  blocked_ = true;
  check_output_limit();
  co_await transport_.write_all(buffers, ec);
  blocked_ = false;
  co_return !ec;
}

}  // namespace ringleader::proxy
