// Listener; see listener.hpp.
#include "proxy/listener.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <chrono>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

#include "proxy/log.hpp"
#include "proxy/unique_fd.hpp"

namespace ringleader::proxy {
namespace {

// accept4's descriptor is non-blocking and has no duplicate. Asio, given a descriptor (assign),
// assumes neither: it would make it non-blocking again (an ioctl) at its first wait, and take it out
// of epoll (EPOLL_CTL_DEL) before closing it, which closing does anyway. Told, it saves each client
// those two system calls. (Asio's internals, as in Asio 1.22, which Debian 12 ships.)
class AcceptedSocket : public Socket {
 public:
  using Socket::Socket;
  void accepted_by_accept4() noexcept {
    namespace ops = asio::detail::socket_ops;
    auto& state = impl_.get_implementation().state_;
    state = static_cast<ops::state_type>((state & ~ops::possible_dup) | ops::non_blocking);
  }
};

}  // namespace

Listener::Listener(asio::io_context& io, Acceptor acceptor, std::function<const config::Pool&()> pool,
                   stats::PoolStats& stats, stats::PoolCounters& counters)
    : io_(io), acceptor_(std::move(acceptor)), pool_(std::move(pool)), stats_(stats), counters_(counters) {}

void Listener::start(Serve serve) {
  serve_ = std::move(serve);
  asio::co_spawn(io_, accept_loop(), asio::detached);
}

void Listener::close() {
  std::error_code ec;
  acceptor_.close(ec);  // accept_loop() sees operation_aborted and ends
}

asio::awaitable<void> Listener::accept_loop() {
  std::error_code ec;
  asio::steady_timer pause(io_);
  acceptor_.non_blocking(true, ec);
  for (;;) {
    co_await acceptor_.async_wait(Acceptor::wait_read, asio::redirect_error(asio::use_awaitable, ec));
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) co_return;
    // Take the connections waiting, up to kAcceptBatch, before going back to the event loop. One
    // accept per pass (an async_accept each) would make the thousandth client of a burst wait for a
    // thousand passes over every busy client; an unbounded batch would starve the busy clients.
    for (std::size_t i = 0; i < kAcceptBatch; ++i) {
      Socket::endpoint_type peer;
      Socket socket = accept_one(peer, ec);
      if (ec == asio::error::would_block || ec == asio::error::try_again) {  // none left waiting
        ec = {};
        break;
      }
      if (ec == asio::error::connection_aborted) continue;  // the client gave up while queued
      if (ec) break;
      admit(std::move(socket), peer);
    }
    if (ec) {
      // Out of file descriptors, say: keep the listener, and give connections time to close.
      log::warn("cannot accept a client", {{"pool", pool_().name}, {"reason", ec.message()}});
      pause.expires_after(std::chrono::milliseconds(50));
      co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
  }
}

Socket Listener::accept_one(Socket::endpoint_type& peer, std::error_code& ec) {
  // accept4 rather than Asio's accept: the connection comes non-blocking, as Transport needs it,
  // without an ioctl of its own (AcceptedSocket).
  AcceptedSocket socket(io_);
  socklen_t length = static_cast<socklen_t>(peer.capacity());
  UniqueFd fd(::accept4(acceptor_.native_handle(), peer.data(), &length, SOCK_NONBLOCK | SOCK_CLOEXEC));
  if (!fd) {
    ec = std::error_code(errno, asio::error::get_system_category());
    return socket;
  }
  peer.resize(length);
  socket.assign(peer.protocol(), fd.get(), ec);
  if (!ec) {
    fd.release();
    socket.accepted_by_accept4();
  }
  return socket;
}

void Listener::admit(Socket socket, const Socket::endpoint_type& peer) {
  // twemproxy's client_connections: beyond it, a new client is closed at once. The count is over
  // every worker, read without a lock, so a burst of accepts may overshoot by a few.
  const config::Pool& pool = pool_();
  if (pool.client_connections != 0 && stats_.clients() >= pool.client_connections) {
    counters_.client_rejected.add();
    log::debug("client refused: client_connections reached", {{"pool", pool.name}});
    return;  // the socket closes with it
  }
  serve_(std::move(socket), peer);
}

}  // namespace ringleader::proxy
