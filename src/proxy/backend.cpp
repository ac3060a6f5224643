// Backend; see backend.hpp.
#include "proxy/backend.hpp"

#include <algorithm>
#include <ctime>
#include <utility>

#include <asio/co_spawn.hpp>
#include <asio/redirect_error.hpp>
#include <asio/use_awaitable.hpp>

#include "proxy/buffers.hpp"
#include "proxy/log.hpp"

namespace ringleader::proxy {
namespace {

constexpr std::size_t kMinRead = 16 * 1024;
// The largest buffer a backend keeps while idle. A batch or a reply larger than this (large values)
// gets its own allocation, given back once it is written or answered: a backend lives as long as the
// process, so whatever capacity it keeps, it keeps for days.
constexpr std::size_t kKeepBuffer = 64 * 1024;
// A reply passed through whose certain part is larger than this goes to its client in pieces read
// straight from the socket (pending_reply.hpp): smaller ones cost less as one copy out of input_.
constexpr std::size_t kPiecesAbove = 32 * 1024;
// A whole reply larger than this is handed to its request in the buffer it was read into, which a
// merged reply keeps rather than copy (PendingReply::keep_reply_buffer). A buffer this large is not
// kept for the next reads anyway (kKeepBuffer).
constexpr std::size_t kLendAbove = kKeepBuffer;
using Clock = std::chrono::steady_clock;

// The host of a server's "host:port" name, whose certificate names it (TLS); empty for a unix socket.
std::string host_of(const std::string& name) {
  if (name.find('/') != std::string::npos) return "";
  std::string host = name.substr(0, name.rfind(':'));
  if (host.size() > 1 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  return host;
}

}  // namespace

Backend::Backend(asio::io_context& io, std::string name, asio::generic::stream_protocol::endpoint endpoint,
                 BackendOptions options, stats::ServerCounters& counters)
    : io_(io),
      name_(std::move(name)),
      endpoint_(endpoint),
      options_(std::move(options)),
      transport_(io.get_executor()),
      wake_writer_(io, asio::steady_timer::time_point::max()),
      deadline_timer_(io, asio::steady_timer::time_point::max()),
      wake_reader_(io, asio::steady_timer::time_point::max()),
      counters_(counters),
      exclusive_(options_.protocol->connection_policy() == ConnectionPolicy::per_request),
      idle_timer_(io) {}

Backend::~Backend() { transport_.close(); }

void Backend::retire() {
  for (const auto& twin : twins_) twin->retire();  // each closes once its reply is in
  for (const auto& other : dialects_) other->retire();
  for (const auto& stream : streams_) stream.connection->retire();
  if (waiting_room_) waiting_room_->fail_all(error_reply(name_ + " was removed from the pool"));
  retired_ = true;
  health_.reset();  // the server is no longer in the pool it would report to
  if (idle()) close();
}

void Backend::close() {
  spent_ = once_;
  if (state_ == State::connected) counters_.server_connections.sub();
  ++generation_;
  state_ = State::disconnected;
  transport_.close();
  wake_writer_.cancel();
  deadline_timer_.cancel();
  wake_reader_.cancel();
  passing_ = expected_ = taken_ = answered_here_ = 0;
  in_pieces_ = pieces_end_ = server_closes_ = ends_at_close_ = false;
  input_ = Bytes();
  piece_ = Bytes();
}

void Backend::send(std::initializer_list<std::string_view> request, std::shared_ptr<PendingReply> reply,
                   std::uint32_t part, ReplyKind kind) {
  if (spent_) {
    reply->complete(part, error_reply("connection to " + name_ + " lost, and what the client began on it with it"), true);
    return;
  }
  std::size_t bytes = 0;
  for (const std::string_view piece : request) bytes += piece.size();
  // Small requests wait for the writer, which sends those of many clients in one write; a value
  // goes out now from the client's buffer if it can (copying 100 KB values into output_ took a
  // quarter of the proxy's CPU: issue 28).
  const std::size_t sent_now = bytes > kKeepBuffer ? write_at_once(request) : 0;
  for (std::size_t skip = sent_now; const std::string_view piece : request) {
    output_.append(piece.substr(std::min(skip, piece.size())));
    skip -= std::min(skip, piece.size());
  }
  const auto now = Clock::now();
  const auto deadline = options_.timeout ? now + *options_.timeout : Clock::time_point::max();
  const bool was_idle = in_flight_.empty();
  // One request at a time here: keep its bytes to send again if the server closed the connection
  // as it went out (replay_front). Small requests only; a streamed body cannot be sent again.
  const bool replayable = exclusive_ && was_idle && bytes <= kKeepBuffer && request.size() > 0 &&
                          options_.protocol->replayable(*request.begin());
  replay_.clear();
  if (replayable) {
    for (const std::string_view piece : request) replay_.append(piece);
  }
  in_flight_.push_back({std::move(reply), part, kind, deadline, now, bytes, false, replayable});
  if (sent_now < bytes) {
    ++unsent_;
  } else {
    sent_bytes_ += bytes;
  }
  counters_.requests.add();
  counters_.request_bytes.add(bytes);
  count_queues();
  switch (state_) {
    case State::disconnected:
      preconnect();
      break;
    case State::connecting:
      break;
    case State::connected:
      if (!output_.empty()) wake_writer_.cancel();
      break;
  }
  if (was_idle) deadline_timer_.cancel();  // the timeout loop was waiting for work
}

std::size_t Backend::write_at_once(std::initializer_list<std::string_view> bytes) {
  if (state_ != State::connected || unsent_ > 0 || !output_.empty() || !writing_.empty()) return 0;
  std::vector<asio::const_buffer> buffers;
  for (const std::string_view piece : bytes) buffers.push_back(asio::buffer(piece));
  std::error_code ec;
  const std::size_t written = transport_.write_now(buffers, ec);
  return ec ? 0 : written;  // an error: the writer meets it again and fails the request
}

void Backend::send_unanswered(std::string_view request) {
  output_.append(request);
  counters_.requests.add();
  counters_.request_bytes.add(request.size());
  if (state_ == State::disconnected) preconnect();
  if (state_ == State::connected) wake_writer_.cancel();
}

void Backend::send_more(std::string_view bytes) {
  if (in_flight_.empty()) {
    // The request failed, or was answered before all of it came (memcached's "object too large"):
    // its client swallows the rest. The server may still wait for it: the connection closes.
    retire();
    return;
  }
  InFlight& request = in_flight_.back();
  request.bytes += bytes.size();
  request.replayable = false;
  if (unsent_ == 0) sent_bytes_ += bytes.size();  // its head is written already
  if (options_.timeout) request.deadline = Clock::now() + *options_.timeout;
  counters_.request_bytes.add(bytes.size());
  bytes.remove_prefix(write_at_once({bytes}));  // copied only where the socket does not take it
  output_.append(bytes);
  count_queues();
  if (state_ == State::connected && !bytes.empty()) wake_writer_.cancel();
}

std::shared_ptr<Backend> Backend::another_connection() const {
  auto twin = std::make_shared<Backend>(io_, name_, endpoint_, options_, counters_);
  twin->report_to(health_, server_);
  return twin;
}

std::shared_ptr<Backend> Backend::stream_connection() {
  // Forgotten: retired ones that are closed (or close once answered, which all_idle() waits for).
  // Retired: idle ones beyond kKeepStreams, and any a reload retired this server's with.
  std::size_t kept = 0;
  std::erase_if(streams_, [&](const Stream& stream) {
    Backend& connection = *stream.connection;
    if (!stream.lease.expired()) return false;
    if (!connection.retired_ && connection.idle() && (exclusive_ || ++kept > kKeepStreams)) connection.retire();
    return connection.retired_ && connection.idle();
  });
  const auto free = std::find_if(streams_.begin(), streams_.end(), [this](const Stream& stream) {
    return !exclusive_ && stream.lease.expired() && !stream.connection->retired_ && stream.connection->idle();
  });
  Stream& stream = free != streams_.end() ? *free : streams_.emplace_back(Stream{another_connection(), {}});
  stream.connection->kept_for_streams_ = !exclusive_;
  // The stream's pointer shares ownership with `lease`: when the last copy goes, the lease expires.
  auto lease = std::make_shared<std::shared_ptr<Backend>>(stream.connection);
  stream.lease = lease;
  return std::shared_ptr<Backend>(lease, lease->get());
}

Connection& Backend::free_connection() {
  // Requests already waiting go first (WaitingRoom::dispatch runs once a connection came free).
  if (waiting_room_ && !waiting_room_->empty()) return *waiting_room_;
  if (Backend* free = idle_connection()) return *free;
  if (!waiting_room_) {
    waiting_room_ = std::make_shared<WaitingRoom>(io_, weak_from_this(), options_, name_);
    room_ = waiting_room_;
    for (const auto& twin : twins_) twin->room_ = waiting_room_;
  }
  return *waiting_room_;
}

Backend* Backend::idle_connection() {
  if (idle()) return this;
  Backend* free = nullptr;
  std::size_t spare = 0;  // free ones besides the one taken
  std::erase_if(twins_, [&](const std::shared_ptr<Backend>& twin) {
    if (!twin->idle()) return false;
    if (free == nullptr) {
      free = twin.get();
      return false;
    }
    if (++spare <= options_.keep_free) return false;
    twin->retire();  // a burst is over: fewer connections stay open
    return true;
  });
  if (free != nullptr) return free;
  if (options_.max_connections > 0 && 1 + twins_.size() >= options_.max_connections) return nullptr;
  twins_.push_back(another_connection());
  twins_.back()->room_ = waiting_room_;
  return twins_.back().get();
}

Backend& Backend::in_dialect(Dialect dialect) {
  if (dialect == 0) return *this;
  if (dialects_.size() < dialect) dialects_.resize(dialect);
  auto& other = dialects_[dialect - 1];
  if (!other) {
    BackendOptions options = options_;
    options.handshake = options_.dialect_handshakes.at(dialect - 1);
    options.dialect_handshakes.clear();
    other = std::make_shared<Backend>(io_, name_, endpoint_, std::move(options), counters_);
    other->report_to(health_, server_);
  }
  return *other;
}

bool Backend::all_idle() const noexcept {
  const auto idle = [](const auto& backend) { return !backend || backend->all_idle(); };
  return this->idle() && (!waiting_room_ || waiting_room_->empty()) && std::all_of(twins_.begin(), twins_.end(), idle) &&
         std::all_of(dialects_.begin(), dialects_.end(), idle) &&
         std::all_of(streams_.begin(), streams_.end(), [&](const Stream& stream) { return idle(stream.connection); });
}

void Backend::came_free() {
  if (const auto room = room_.lock(); room && !room->empty() && idle())
    asio::post(io_, [room] { room->dispatch(); });
  if (kept_for_streams_ && idle()) {
    idle_timer_.expires_after(kStreamIdle);
    idle_timer_.async_wait([connection = weak_from_this()](const std::error_code& ec) {
      const auto self = connection.lock();
      if (!ec && self && self->idle()) self->retire();
    });
  }
}

WaitingRoom::WaitingRoom(asio::io_context& io, std::weak_ptr<Backend> server, const BackendOptions& options,
                         std::string name)
    : server_(std::move(server)),
      protocol_(options.protocol),
      timeout_(options.timeout),
      name_(std::move(name)),
      timer_(io) {}

void WaitingRoom::send(std::initializer_list<std::string_view> request, std::shared_ptr<PendingReply> reply,
                       std::uint32_t part, ReplyKind kind) {
  std::string bytes;
  for (const std::string_view piece : request) bytes.append(piece);
  const auto deadline = timeout_ ? Clock::now() + *timeout_ : Clock::time_point::max();
  waiting_.push_back({std::move(bytes), std::move(reply), part, kind, deadline});
  if (waiting_.size() == 1) expire();  // arms the timer for it
}

void WaitingRoom::dispatch() {
  const auto server = server_.lock();
  while (server && !waiting_.empty()) {
    Backend* free = server->idle_connection();
    if (free == nullptr) break;
    Waiting next = std::move(waiting_.front());
    waiting_.pop_front();
    free->send({next.request}, std::move(next.reply), next.part, next.kind);
  }
  expire();
}

void WaitingRoom::expire() {
  const auto now = Clock::now();
  while (!waiting_.empty() && waiting_.front().deadline <= now) {
    Waiting late = std::move(waiting_.front());
    waiting_.pop_front();
    late.reply->complete(late.part, protocol_->error_reply("no free connection to " + name_ + " within " +
                                                           std::to_string(timeout_->count()) + " ms"), true);
  }
  if (waiting_.empty() || !timeout_) return;
  timer_.expires_at(waiting_.front().deadline);
  timer_.async_wait([room = weak_from_this()](const std::error_code& ec) {
    if (const auto self = room.lock(); self && !ec) self->expire();
  });
}

void WaitingRoom::fail_all(std::string_view reply) {
  auto waiting = std::move(waiting_);
  waiting_.clear();
  timer_.cancel();
  for (Waiting& request : waiting) request.reply->complete(request.part, reply, true);
}

void Backend::abandon() {
  close();
  clear_and_trim(output_, kKeepBuffer);
  clear_and_trim(writing_, kKeepBuffer);
  in_flight_.clear();
  unsent_ = sent_bytes_ = 0;
  count_queues();
  came_free();
}

void Backend::preconnect() {
  if (state_ != State::disconnected) return;
  state_ = State::connecting;
  asio::co_spawn(io_, connect(generation_), keep_alive());
  if (options_.timeout) asio::co_spawn(io_, timeout_loop(generation_), keep_alive());
}

asio::awaitable<void> Backend::connect(std::uint64_t generation) {
  std::error_code ec;
  co_await transport_.connect(endpoint_, {.keepalive = options_.tcp_keepalive}, ec);
  if (generation != generation_) co_return;
  if (ec) {
    counters_.server_err.add();
    fail("cannot connect to " + name_ + ": " + ec.message());
    co_return;
  }
  if (const auto tls = options_.tls ? options_.tls->servers() : nullptr) {
    transport_.use_tls(*tls, host_of(name_), name_);
    co_await transport_.handshake(ec);
    if (generation != generation_) co_return;
    if (ec) {
      counters_.server_err.add();
      fail("TLS handshake with " + name_ + " failed: " + ec.message());
      co_return;
    }
    log::debug(transport_.resumed() ? "TLS session resumed" : "TLS session started", {{"server", name_}});
  }
  counters_.server_connections.add();
  if (!healthy_) log::info("server reachable again", {{"server", name_}});
  healthy_ = true;
  // The handshake goes first; its replies are checked like any other, by null entries in front.
  if (const Handshake& hello = options_.handshake; !hello.bytes.empty()) {
    output_.insert(0, hello.bytes);
    const auto deadline = in_flight_.empty() ? Clock::time_point::max() : in_flight_.front().deadline;
    // In front of the requests, in the order sent (the last step is pushed to the front first).
    for (auto step = static_cast<std::uint32_t>(hello.steps.size()); step-- > 0;)
      in_flight_.push_front({nullptr, step, 0, deadline, Clock::now(), 0});
  }
  handshake_refused_ = false;
  state_ = State::connected;
  asio::co_spawn(io_, read_loop(generation), keep_alive());
  asio::co_spawn(io_, write_loop(generation), keep_alive());
}

asio::awaitable<void> Backend::write_loop(std::uint64_t generation) {
  std::error_code ec;
  for (;;) {
    if (output_.empty()) {
      wake_writer_.expires_at(asio::steady_timer::time_point::max());
      co_await wake_writer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      if (generation != generation_) co_return;
      continue;
    }
    writing_.swap(output_);
    for (std::size_t i = in_flight_.size() - unsent_; i < in_flight_.size(); ++i) sent_bytes_ += in_flight_[i].bytes;
    unsent_ = 0;
    count_queues();
    // Try the write at once; wait for the socket only for what it did not take.
    const std::size_t written = transport_.write_now(asio::buffer(writing_), ec);
    if (!ec && written < writing_.size()) co_await transport_.write_all(asio::buffer(writing_) + written, ec);
    if (generation != generation_) co_return;
    if (ec) {
      counters_.server_err.add();
      if (!replay_front()) fail("cannot write to " + name_ + ": " + ec.message());
      co_return;
    }
    clear_and_trim(writing_, kKeepBuffer);  // a batch of large values is not kept for the idle hours
    if (written_) written_();
  }
}

asio::awaitable<void> Backend::read_loop(std::uint64_t generation) {
  std::error_code ec;
  for (;;) {
    if (waiting_for_client()) {  // an HTTP upstream's body: its client writes what it has first
      wake_reader_.expires_at(asio::steady_timer::time_point::max());
      co_await wake_reader_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      if (generation != generation_) co_return;
      if (waiting_for_client()) continue;
      // Frame what is here first: the reply may be whole already.
    } else if (!co_await read_some(generation)) {
      co_return;
    }
    const std::size_t used = take_replies(input_.view().substr(taken_));
    if (generation != generation_) co_return;  // failed: input_ belongs to the next connection
    taken_ += used;
    if (taken_ == input_.size()) {
      taken_ = 0;
      input_.clear();
      // After a large reply, give the memory back: a backend lives as long as the process.
      if (input_.capacity() > kKeepBuffer) input_ = Bytes();
    }
  }
}

asio::awaitable<bool> Backend::read_some(std::uint64_t generation) {
  std::error_code ec;
  // Wait for readability, then read: a read attempted at once (async_read_some) would mostly find
  // the reply not there yet and cost a wasted system call per round trip.
  co_await transport_.wait_readable(ec);
  if (generation != generation_) co_return false;
  // Inside a piece with every byte before it framed: read into the piece itself.
  const bool into_piece = passing_ > 0 && taken_ == input_.size();
  if (into_piece && piece_.capacity() == 0) piece_ = Bytes(std::min(passing_, kPiece));
  // Room for the rest of a reply of known size at once.
  if (!into_piece) make_room(input_, taken_, std::max(input_.size() - taken_, expected_) + kMinRead);
  Bytes& to = into_piece ? piece_ : input_;
  std::size_t n = 0;
  if (!ec) n = transport_.read_now(asio::buffer(to.tail(), into_piece ? std::min(to.room(), passing_) : to.room()), ec);
  if (ec == asio::error::would_block || ec == asio::error::try_again) co_return true;
  if (ec) {
    (ec == asio::error::eof ? counters_.server_eof : counters_.server_err).add();
    if (ec == asio::error::eof && idle() && options_.protocol->servers_close_idle()) {
      close();  // the next request connects again
      co_return false;
    }
    if (ec == asio::error::eof && ends_at_close_) {
      answered_by_close();
      co_return false;
    }
    // A kept-alive connection the server closed before replying (its keep-alive limit or idle
    // timeout): no fault of the server's, also when the request may not go again (a POST: 502).
    const bool closed_idle = ec == asio::error::eof && options_.protocol->servers_close_idle() &&
                             unanswered_on_kept_connection();
    if (!replay_front()) fail("connection to " + name_ + " lost: " + ec.message(), !closed_idle);
    co_return false;
  }
  to.filled(n);
  if (into_piece) {
    passing_ -= n;
    counters_.response_bytes.add(n);
    if (options_.timeout) in_flight_.front().deadline = Clock::now() + *options_.timeout;  // the value is moving
    // A shared connection hands over full blocks (the server sends them at once); one that waits
    // for its client hands over what came, so a body that trickles in reaches it as it comes.
    if (piece_.room() == 0 || passing_ == 0 || exclusive_) hand_piece();
  }
  co_return true;
}

std::size_t Backend::take_replies(std::string_view input) {
  std::size_t used = 0;
  for (;;) {
    if (waiting_for_client()) break;
    // Every byte of a reply whose length was known went out in pieces: it is answered.
    if (in_pieces_ && pieces_end_ && passing_ == 0) {
      if (!answered({})) return used;
      continue;
    }
    if (used >= input.size()) break;
    const std::string_view rest = input.substr(used);
    if (in_flight_.empty()) {
      if (!message_) {
        counters_.server_err.add();
        fail("unexpected reply from " + name_);
        return used;
      }
      const ReplyFrame frame = options_.protocol->frame_reply(rest, 0);
      if (frame.status == ReplyFrame::Status::need_more) {
        expected_ = frame.certain;
        break;
      }
      if (frame.status == ReplyFrame::Status::malformed) {
        counters_.server_err.add();
        fail("malformed message from " + name_);
        return used;
      }
      used += frame.size;
      const std::uint64_t generation = generation_;
      const auto message = message_;  // the call may replace message_
      message(rest.substr(0, frame.size));
      if (generation != generation_) return used;  // abandoned by whom it told: input_ is gone
      continue;
    }
    if (passing_ > 0) {  // inside a reply going out in pieces: these bytes are its, unframed
      used += pass_piece(rest);
      continue;
    }
    const ReplyFrame frame = options_.protocol->frame_reply(rest, in_flight_.front().kind);
    if (frame.status == ReplyFrame::Status::need_more) {
      const bool in_pieces = frame.certain > 0 && start_pieces(frame.certain);
      if (!in_pieces && frame.ends_at_close) {  // its client left or timed out: nobody takes it
        fail("a response of " + name_ + " that ends at its close has no client left", false);
        return used;
      }
      if (!in_pieces) {
        expected_ = frame.certain;  // the rest comes into input_: room for all of it at once
        break;
      }
      if (frame.then) in_flight_.front().kind = *frame.then;
      pieces_end_ = frame.certain_ends;
      server_closes_ = frame.closes;
      ends_at_close_ = frame.ends_at_close;
      used += pass_piece(rest);
      continue;
    }
    expected_ = 0;
    server_closes_ = server_closes_ || frame.closes;
    const std::size_t size = frame.size;
    if (frame.status == ReplyFrame::Status::malformed) {
      counters_.server_err.add();
      fail("malformed reply from " + name_);
      return used;
    }
    counters_.response_bytes.add(size);
    if (size > kLendAbove) {
      if (!answered_in_input(rest.substr(0, size), input, used)) return used;
      continue;
    }
    used += size;
    if (!answered(rest.substr(0, size))) return used;
  }
  if (retired_ && idle()) close();
  return used;
}

bool Backend::answered_in_input(std::string_view reply, std::string_view& input, std::size_t& used) {
  Bytes buffer = std::exchange(input_, Bytes());  // keeps `reply` where it is
  const std::string_view after = input.substr(used + reply.size());
  input_ = Bytes::copy_of(after, kMinRead);
  taken_ = 0;  // read_loop adds what is used of the new input_
  input = input_.view();
  used = 0;
  return answered(reply, &buffer);
}

bool Backend::answered(std::string_view reply, Bytes* buffer) {
  InFlight done = std::move(in_flight_.front());
  in_flight_.pop_front();
  in_pieces_ = pieces_end_ = false;
  sent_bytes_ -= done.bytes;
  counters_.responses.add();
  counters_.latency.observe(Clock::now() - done.sent);
  count_queues();
  if (health_) health_->success(server_);
  ++answered_here_;
  if (exclusive_) clear_and_trim(replay_, kKeepBuffer / 16);
  if (done.reply && !done.expired) done.reply->complete(done.part, reply, false, buffer);
  if (!done.reply && !handshake_answered(done.part, reply)) return false;
  if (std::exchange(server_closes_, false) && in_flight_.empty()) {
    close();  // the server closes it (Connection: close): the next request opens a new one
    came_free();
    return false;
  }
  came_free();
  return true;
}

void Backend::answered_by_close() {
  hand_piece();
  InFlight done = std::move(in_flight_.front());
  in_flight_.pop_front();
  sent_bytes_ -= done.bytes;
  counters_.responses.add();
  counters_.latency.observe(Clock::now() - done.sent);
  if (health_) health_->success(server_);
  close();
  count_queues();
  if (done.reply && !done.expired) done.reply->ended_by_close(done.part);
  came_free();
}

bool Backend::unanswered_on_kept_connection() const {
  return answered_here_ > 0 && in_flight_.size() == 1 && !in_pieces_ && taken_ == input_.size();
}

bool Backend::replay_front() {
  if (!unanswered_on_kept_connection()) return false;
  InFlight& front = in_flight_.front();
  if (!front.replayable || !front.reply || front.expired) return false;
  log::debug("request sent again on a new connection",
             {{"server", name_}, {"reason", "the server closed a kept-alive connection before replying"}});
  std::string request = std::move(replay_);
  close();
  clear_and_trim(writing_, kKeepBuffer);
  output_ = std::move(request);
  front.replayable = false;  // once
  front.sent = Clock::now();
  if (options_.timeout) front.deadline = front.sent + *options_.timeout;
  unsent_ = 1;
  sent_bytes_ = 0;
  count_queues();
  preconnect();
  return true;
}

bool Backend::start_pieces(std::size_t certain) {
  InFlight& front = in_flight_.front();
  if (!in_pieces_) {
    if (certain <= kPiecesAbove || !front.reply || front.expired || !front.reply->can_take_pieces()) return false;
    in_pieces_ = true;
    if (exclusive_) {
      front.reply->on_written([self = weak_from_this()] {
        if (auto backend = self.lock()) backend->wake_reader_.cancel();
      });
    }
  }
  passing_ = certain;
  expected_ = 0;
  return true;
}

std::size_t Backend::pass_piece(std::string_view input) {
  const std::size_t n = std::min(passing_, input.size());
  Bytes piece = Bytes::copy_of(input.substr(0, n));
  passing_ -= n;
  counters_.response_bytes.add(n);
  InFlight& front = in_flight_.front();
  if (options_.timeout) front.deadline = Clock::now() + *options_.timeout;  // the value is moving
  front.reply->add_piece(std::move(piece));
  return n;
}

void Backend::hand_piece() {
  if (piece_.empty()) return;
  in_flight_.front().reply->add_piece(std::move(piece_));
  piece_ = Bytes();
}

bool Backend::handshake_answered(std::uint32_t step, std::string_view reply) {
  const HandshakeVerdict verdict =
      options_.protocol->judge_handshake(options_.handshake.steps[step], reply, handshake_refused_, name_);
  handshake_refused_ = handshake_refused_ || verdict.refused;
  if (verdict.failure.empty()) return true;
  fail(verdict.failure, false);
  return false;
}

asio::awaitable<void> Backend::timeout_loop(std::uint64_t generation) {
  std::error_code ec;
  // Deadlines grow in the order requests were sent, but the front's moves while its value arrives;
  // the requests behind it must not wait past their own for that.
  const auto earliest = [this] {
    if (in_flight_.empty()) return Clock::time_point::max();
    for (std::size_t i = 1; i < in_flight_.size(); ++i) {
      if (!in_flight_[i].expired) return std::min(in_flight_[0].deadline, in_flight_[i].deadline);
    }
    return in_flight_[0].deadline;
  };
  while (generation == generation_) {
    deadline_timer_.expires_at(earliest());
    co_await deadline_timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (generation != generation_) co_return;
    if (earliest() <= Clock::now()) {
      if (waiting_for_client()) {  // a slow client of an HTTP upstream is not the server's fault
        in_flight_.front().deadline = Clock::now() + *options_.timeout;
        continue;
      }
      if (in_flight_.front().deadline > Clock::now()) {
        // The front's value is still arriving: the requests that waited too long behind it get the
        // timeout error now, and it goes on (failing the connection would cut it short).
        expire_behind_front(Clock::now());
        continue;
      }
      counters_.server_timedout.add();
      // Inside a reply that ends at the close (a WebSocket tunnel), silence is idleness, not a
      // server's failure: the connection closes without counting towards ejection.
      fail("timeout: no reply from " + name_ + " within " + std::to_string(options_.timeout->count()) + " ms",
           !(ends_at_close_ && in_pieces_));
      co_return;
    }
  }
}

void Backend::count_queues() noexcept {
  counters_.in_queue.set(unsent_);
  counters_.in_queue_bytes.set(output_.size());
  counters_.out_queue.set(in_flight_.size() - unsent_);
  counters_.out_queue_bytes.set(sent_bytes_);
}

void Backend::count_failure(std::string_view reason) {
  if (health_) {
    // The thread whose failure ejects the server counts the ejection (twemproxy's server_ejects and
    // server_ejected_at). Two threads failing at the same instant may both see the change and
    // count it twice; ejections are rare enough for that to be noise.
    const bool was_ejected = health_->ejected(server_);
    health_->failure(server_, reason);
    if (!was_ejected && health_->ejected(server_)) {
      counters_.server_ejects.add();
      counters_.server_ejected_at.set(static_cast<std::uint64_t>(std::time(nullptr)));
    }
  }
}

void Backend::log_failure(std::string_view reason) {
  // One warning per outage; the retries that follow (one per request while it lasts) are debug.
  if (healthy_) {
    log::warn("server failed", {{"server", name_}, {"reason", std::string(reason)}});
  } else {
    log::debug("server still failing", {{"server", name_}, {"reason", std::string(reason)}});
  }
  healthy_ = false;
}

std::string Backend::error_reply(std::string_view reason) const {
  std::string line(reason);  // a reply line cannot hold a line break
  std::replace_if(line.begin(), line.end(), [](char c) { return c == '\r' || c == '\n'; }, ' ');
  return options_.protocol->error_reply(line);
}

void Backend::fail(std::string_view reason, bool server_fault) {
  if (auto lost = std::exchange(lost_, nullptr)) lost();
  if (server_fault) count_failure(reason);
  log_failure(reason);
  close();
  clear_and_trim(output_, kKeepBuffer);
  clear_and_trim(writing_, kKeepBuffer);
  const std::string reply = error_reply(reason);
  auto failed = std::move(in_flight_);
  in_flight_.clear();
  unsent_ = sent_bytes_ = 0;
  count_queues();
  for (std::size_t i = 0; i < failed.size(); ++i) {
    InFlight& request = failed[i];
    if (!request.reply || request.expired) continue;
    counters_.forward_error.add();
    request.reply->complete(request.part, reply, true);
  }
  came_free();
}

void Backend::expire_behind_front(Clock::time_point now) {
  const std::string reason = "timeout: no reply from " + name_ + " within " + std::to_string(options_.timeout->count()) + " ms";
  count_failure(reason);
  log_failure(reason);
  const std::string reply = error_reply(reason);
  for (std::size_t i = 1; i < in_flight_.size() && in_flight_[i].deadline <= now; ++i) {
    InFlight& request = in_flight_[i];
    if (request.expired || !request.reply) continue;
    request.expired = true;
    counters_.server_timedout.add();
    counters_.forward_error.add();
    request.reply->complete(request.part, reply, true);
  }
}

}  // namespace ringleader::proxy
