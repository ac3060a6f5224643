// Transport; see transport.hpp.
#include "proxy/transport/transport.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <array>
#include <cerrno>

namespace ringleader::proxy {

namespace {

void no_delay(Transport::Socket& socket) {
  const int one = 1;
  ::setsockopt(socket.native_handle(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

}  // namespace

asio::awaitable<void> Transport::connect(const Endpoint& to, ConnectOptions options, std::error_code& ec) {
  close();
  co_await socket_.async_connect(to, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return;
  if (to.protocol().family() != AF_UNIX) {
    no_delay(socket_);
    const int one = 1;
    if (options.keepalive) ::setsockopt(socket_.native_handle(), SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
  }
}

std::size_t Transport::receive(asio::mutable_buffer into, std::error_code& ec) {
  const ssize_t n = ::recv(socket_.native_handle(), into.data(), into.size(), 0);
  if (n < 0) {
    ec = std::error_code(errno, asio::error::get_system_category());
    return 0;
  }
  ec = n == 0 && into.size() > 0 ? asio::error::eof : std::error_code();
  return static_cast<std::size_t>(n);
}

std::size_t Transport::write_now(const asio::const_buffer* buffers, std::size_t count, std::error_code& ec) {
  if (tls_) return tls_.write(buffers, count, ec);
  // As Asio's write_some: up to 64 buffers per call; the caller writes the rest later.
  std::array<iovec, 64> iov;
  std::size_t used = 0;
  for (std::size_t i = 0; i < count && used < iov.size(); ++i) {
    if (buffers[i].size() > 0) iov[used++] = {const_cast<void*>(buffers[i].data()), buffers[i].size()};
  }
  ec = {};
  if (used == 0) return 0;
  msghdr message{};
  message.msg_iov = iov.data();
  message.msg_iovlen = used;
  const ssize_t n = ::sendmsg(socket_.native_handle(), &message, MSG_NOSIGNAL);
  if (n >= 0) return static_cast<std::size_t>(n);
  if (errno != EAGAIN && errno != EWOULDBLOCK) ec = std::error_code(errno, asio::error::get_system_category());
  return 0;  // a full socket is not an error
}

asio::awaitable<void> Transport::handshake(std::error_code& ec) {
  ec = {};
  if (!tls_) co_return;
  for (;;) {
    const tls::Session::Want want = tls_.handshake(ec);
    if (ec || want == tls::Session::Want::nothing) co_return;
    co_await socket_.async_wait(want == tls::Session::Want::read ? Socket::wait_read : Socket::wait_write,
                                asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;
    if (!tls_) {  // closed meanwhile
      ec = asio::error::operation_aborted;
      co_return;
    }
  }
}

asio::awaitable<std::size_t> Transport::write_all_tls(std::vector<asio::const_buffer> buffers, std::error_code& ec) {
  std::size_t total = 0;
  std::size_t first = 0;  // buffers[first] is the first with bytes unwritten
  for (;;) {
    std::size_t n = tls_.write(buffers.data() + first, buffers.size() - first, ec);
    total += n;
    while (first < buffers.size() && n >= buffers[first].size()) n -= buffers[first++].size();
    if (first < buffers.size()) buffers[first] += n;
    if (ec || first == buffers.size()) co_return total;
    const bool read = tls_.write_wants() == tls::Session::Want::read;
    co_await socket_.async_wait(read ? Socket::wait_read : Socket::wait_write, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return total;
    if (!tls_) {
      ec = asio::error::operation_aborted;
      co_return total;
    }
  }
}

}  // namespace ringleader::proxy
