// ClientSession; see client_session.hpp.
#include "proxy/client_session.hpp"

#include <algorithm>
#include <cstring>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/redirect_error.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

namespace ringleader::proxy {

ClientSession::ClientSession(Socket socket)
    : socket_(std::move(socket)),
      wake_writer_(socket_.get_executor(), asio::steady_timer::time_point::max()),
      wake_reader_(socket_.get_executor(), asio::steady_timer::time_point::max()) {}

void ClientSession::start(stats::PoolCounters& counters, std::size_t max_in_flight) {
  counters_ = &counters;
  max_in_flight_ = max_in_flight;
  counters_->client_connections.add();
  counters_->total_connections.add();
  std::error_code ec;
  socket_.non_blocking(true, ec);
  asio::co_spawn(socket_.get_executor(), [self = shared_from_this()] { return self->read_loop(); },
                 asio::detached);
  asio::co_spawn(socket_.get_executor(), [self = shared_from_this()] { return self->write_loop(); },
                 asio::detached);
}

void ClientSession::enqueue(std::shared_ptr<PendingReply> reply) {
  if (reply->ready()) {
    if (queue_.empty()) wake_writer_.cancel();
  } else {
    reply->set_session(weak_from_this());
  }
  queue_.push_back(std::move(reply));
}

void ClientSession::reply_ready() {
  if (!queue_.empty() && (queue_.front()->ready() || queue_.front()->piece_pending())) wake_writer_.cancel();
  if (paused_) wake_reader_.cancel();  // the reply a stream waits for, maybe
}

bool ClientSession::only_ready_before(const PendingReply& reply) const noexcept {
  if (closed_) return false;
  for (const auto& queued : queue_) {
    if (queued.get() == &reply) return true;
    if (!queued->ready()) return false;
  }
  return false;
}

bool ClientSession::all_answered() const noexcept {
  return std::all_of(queue_.begin(), queue_.end(), [](const auto& reply) { return reply->ready(); });
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
  std::error_code ec;
  socket_.close(ec);
  wake_writer_.cancel();
  wake_reader_.cancel();
  for (const auto& reply : queue_) reply->piece_written();  // a server waiting on the client goes on
  queue_.clear();
}

asio::awaitable<void> ClientSession::read_loop() {
  std::error_code ec;
  std::vector<char> buffer;  // allocated at the first byte, so idle connections cost no buffer
  std::size_t size = 0;
  bool held = false;  // bytes read before a pause wait for consume()
  while (!closing_) {
    // The client is not reading its replies, or the protocol waits: wait for the writer or it.
    if (queue_.size() >= max_in_flight_ || input_paused()) {
      paused_ = queue_.size() < max_in_flight_;
      wake_reader_.expires_at(asio::steady_timer::time_point::max());
      co_await wake_reader_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      paused_ = false;
      held = size > 0;
      continue;
    }
    if (!held) {
      co_await socket_.async_wait(Socket::wait_read, asio::redirect_error(asio::use_awaitable, ec));
      if (ec || closing_) break;
      if (buffer.size() - size < kMinRead) buffer.resize(std::max(buffer.size() * 2, size + kMinRead));
      const std::size_t n = socket_.read_some(asio::buffer(buffer.data() + size, buffer.size() - size), ec);
      if (ec == asio::error::would_block || ec == asio::error::try_again) continue;
      if (ec) break;
      size += n;
    }
    held = false;
    const std::size_t used = consume(std::string_view(buffer.data(), size));
    size -= used;
    if (size > 0 && used > 0) std::memmove(buffer.data(), buffer.data() + used, size);
    if (size == 0) {
      // After a large value, give the memory back rather than keeping it for an idle connection.
      if (buffer.size() > 4 * kMinRead) std::vector<char>().swap(buffer);
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
    std::size_t count = 0;
    bool cut = false;  // a reply cut short: the connection ends after it
    buffers.clear();
    while (count < queue_.size() && count < kMaxWriteBatch && queue_[count]->ready() && !cut) {
      if (queue_[count]->sends()) buffers.push_back(asio::buffer(queue_[count]->bytes()));
      cut = queue_[count]->cut();
      ++count;
    }
    if (count == 0 && !queue_.empty() && queue_.front()->piece_pending()) {
      co_await write_piece(*queue_.front(), ec);
      if (ec) {
        failed_ = true;
        break;
      }
      continue;
    }
    if (count == 0) {
      if (closing_ && queue_.empty()) break;
      wake_writer_.expires_at(asio::steady_timer::time_point::max());
      co_await wake_writer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    if (!buffers.empty()) {
      // Try the write at once; wait for the socket only for what it did not take. Most replies go
      // out in this one writev, without a round through the event loop.
      std::size_t written = socket_.write_some(buffers, ec);
      if (ec == asio::error::would_block || ec == asio::error::try_again) {
        ec = {};
        written = 0;
      }
      if (ec) {
        failed_ = true;
        break;
      }
      if (written < asio::buffer_size(buffers)) {
        std::size_t sent = 0;  // buffers written whole
        while (written >= buffers[sent].size()) written -= buffers[sent++].size();
        buffers.erase(buffers.begin(), buffers.begin() + static_cast<std::ptrdiff_t>(sent));
        buffers.front() += written;
        co_await asio::async_write(socket_, buffers, asio::redirect_error(asio::use_awaitable, ec));
        if (ec) {
          failed_ = true;
          break;
        }
      }
      if (closed_) break;
    }
    const bool was_full = queue_.size() >= max_in_flight_;
    queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(count));
    if (was_full) wake_reader_.cancel();
    if (cut) break;
  }
  close();
}

asio::awaitable<void> ClientSession::write_piece(PendingReply& reply, std::error_code& ec) {
  const auto keep = queue_.front();  // the reply outlives the write even if the queue is cleared
  co_await asio::async_write(socket_, asio::buffer(reply.bytes()), asio::redirect_error(asio::use_awaitable, ec));
  reply.piece_written();
}

}  // namespace ringleader::proxy
