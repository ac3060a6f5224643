// Health checks; see health_check.hpp.
#include "proxy/health_check.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <unordered_map>

#include "proxy/protocols.hpp"
#include "proxy/unique_fd.hpp"

namespace ringleader::proxy {
namespace {

using Clock = std::chrono::steady_clock;

// A blocking socket whose every step is bounded by one deadline. The descriptor is owned by a member
// from the moment it exists: the constructor throws when the server cannot be reached (a dead server
// is probed every server_retry_timeout), and a throwing constructor never runs its destructor.
class ProbeSocket {
 public:
  ProbeSocket(const asio::generic::stream_protocol::endpoint& endpoint, Clock::time_point deadline)
      : fd_(::socket(endpoint.protocol().family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)),
        deadline_(deadline) {
    if (!fd_) throw_error("socket");
    if (::connect(fd_.get(), endpoint.data(), static_cast<socklen_t>(endpoint.size())) != 0) {
      if (errno != EINPROGRESS) throw_error("connect");
      wait(POLLOUT, "connect");
      int error = 0;
      socklen_t size = sizeof error;
      ::getsockopt(fd_.get(), SOL_SOCKET, SO_ERROR, &error, &size);
      if (error != 0) throw std::runtime_error(std::string("connect: ") + std::strerror(error));
    }
  }
  /// The TLS handshake, within the same deadline.
  void start_tls(const tls::Context& context, const std::string& peer) {
    tls_ = tls::Session(context, fd_.get(), peer);
    const std::error_code ec = tls_.handshake_polled(
        [&](tls::Session::Want want) { wait(want == tls::Session::Want::read ? POLLIN : POLLOUT, "TLS handshake"); });
    if (ec) throw std::runtime_error("TLS handshake: " + ec.message());
  }
  void send(std::string_view bytes) {
    while (!bytes.empty()) {
      if (tls_) {
        std::error_code ec;
        const asio::const_buffer buffer(bytes.data(), bytes.size());
        bytes.remove_prefix(tls_.write(&buffer, 1, ec));
        if (ec) throw std::runtime_error("write: " + ec.message());
        if (!bytes.empty()) wait(tls_.write_wants() == tls::Session::Want::read ? POLLIN : POLLOUT, "write");
        continue;
      }
      wait(POLLOUT, "write");
      const ssize_t n = ::send(fd_.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n < 0 && errno != EAGAIN) throw_error("write");
      if (n > 0) bytes.remove_prefix(static_cast<std::size_t>(n));
    }
  }

  /// The first line (without its "\r\n") of the next reply, once `protocol` frames it as traffic is
  /// framed (Protocol::frame_reply): whole, or begun (an HTTP head whose body is still coming). A
  /// reply the framing refuses is returned too, to fail the step with what the server said.
  std::string reply_line(const Protocol& protocol, ReplyKind kind) {
    for (;;) {
      const ReplyFrame frame = protocol.frame_reply(buffer_, kind);
      const auto end = buffer_.find("\r\n");
      const bool framed = frame.status == ReplyFrame::Status::complete || frame.certain > 0;
      if (end != std::string::npos && (framed || frame.status == ReplyFrame::Status::malformed)) {
        std::string line = buffer_.substr(0, end);
        buffer_.erase(0, frame.status == ReplyFrame::Status::complete ? frame.size : buffer_.size());
        return line;
      }
      if (buffer_.size() > kMaxReply) throw std::runtime_error("reply too long");
      char chunk[4096];
      const ssize_t n = receive(chunk, sizeof chunk);
      if (n == 0) {
        // A reply that ends at the close (an HTTP body without a length) is judged by its first line.
        if (end == std::string::npos) throw std::runtime_error("connection closed");
        return buffer_.substr(0, end);
      }
      if (n > 0) buffer_.append(chunk, static_cast<std::size_t>(n));
    }
  }

 private:
  // Bytes read (waiting for them first if none are there), or 0 at the end.
  ssize_t receive(char* into, std::size_t size) {
    for (;;) {
      if (tls_) {  // bytes decrypted already are read before the socket is waited for
        std::error_code ec;
        const std::size_t n = tls_.read(asio::buffer(into, size), ec);
        if (ec == asio::error::eof) return 0;
        if (!ec) return static_cast<ssize_t>(n);
        if (ec != asio::error::would_block) throw std::runtime_error("read: " + ec.message());
      } else {
        const ssize_t n = ::recv(fd_.get(), into, size, 0);
        if (n >= 0) return n;
        if (errno != EAGAIN) throw_error("read");
      }
      wait(POLLIN, "read");
    }
  }
  [[noreturn]] static void throw_error(const char* what) {
    throw std::runtime_error(std::string(what) + ": " + std::strerror(errno));
  }
  void wait(short events, const char* what) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - Clock::now()).count();
    pollfd p{fd_.get(), events, 0};
    if (left <= 0 || ::poll(&p, 1, static_cast<int>(left)) <= 0)
      throw std::runtime_error(std::string(what) + ": timed out");
  }

  static constexpr std::size_t kMaxReply = 64 * 1024;  // before the framing says where the reply ends

  UniqueFd fd_;
  Clock::time_point deadline_;
  std::string buffer_;
  tls::Session tls_;  // after fd_: freed before the descriptor closes
};

}  // namespace

std::string probe_server(const config::Pool& pool, const asio::generic::stream_protocol::endpoint& endpoint,
                         const tls::Context* tls, const std::string& peer) {
  const auto timeout = std::chrono::milliseconds(pool.timeout_ms.value_or(1000));
  try {
    const Protocol& protocol = protocol_of(pool);
    const std::vector<ProbeStep> steps = protocol.probe(pool);
    ProbeSocket socket(endpoint, Clock::now() + timeout);
    if (tls != nullptr) socket.start_tls(*tls, peer);
    for (const ProbeStep& step : steps) {
      socket.send(step.request);
      const std::string reply = socket.reply_line(protocol, step.kind);
      if (!step.passes(reply)) return step.failure + reply.substr(0, 80);
    }
    return "";
  } catch (const std::exception& e) {
    return e.what();
  }
}

HealthChecker::HealthChecker() : thread_([this] { loop(); }) {}

HealthChecker::~HealthChecker() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void HealthChecker::watch(std::shared_ptr<PoolHealth> health) {
  {
    std::lock_guard lock(mutex_);
    std::erase_if(pools_, [&](const auto& watched) { return watched->pool().name == health->pool().name; });
    pools_.push_back(std::move(health));
  }
  wake_.notify_all();  // the loop may be waiting for a longer interval than this pool's
}

void HealthChecker::unwatch(const std::string& pool) {
  std::lock_guard lock(mutex_);
  std::erase_if(pools_, [&](const auto& watched) { return watched->pool().name == pool; });
}

void HealthChecker::loop() {
  std::unordered_map<std::string, Clock::time_point> next_check;  // by pool name
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    auto wake_at = Clock::now() + std::chrono::seconds(1);  // a bound, not a schedule: watch() wakes it
    for (const auto& health : pools_) {
      const auto interval = std::chrono::milliseconds(health->pool().health_check_interval_ms);
      wake_at = std::min(wake_at, next_check.try_emplace(health->pool().name, Clock::now() + interval).first->second);
    }
    wake_.wait_until(lock, wake_at);
    if (stopping_) return;
    const auto pools = pools_;  // probe without the lock: watch() must not wait on a probe
    lock.unlock();
    for (const auto& health : pools) {
      auto& next = next_check[health->pool().name];
      if (Clock::now() < next) continue;
      next = Clock::now() + std::chrono::milliseconds(health->pool().health_check_interval_ms);
      for (const std::uint32_t server : health->due_for_check(Clock::now())) {
        const PoolLayout& layout = health->layout();
        const auto tls = layout.tls ? layout.tls->servers() : nullptr;
        const std::string problem =
            probe_server(layout.pool, layout.endpoints[server], tls.get(), layout.pool.servers[server].host);
        if (problem.empty()) {
          health->restore(server);
        } else {
          health->check_failed(server, problem);
        }
      }
    }
    lock.lock();
  }
}

}  // namespace ringleader::proxy
