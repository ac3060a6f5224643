// Transport; see transport.hpp.
#include "proxy/transport/transport.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

namespace ringleader::proxy {

namespace {

void no_delay(Transport::Socket& socket) {
  const int one = 1;
  ::setsockopt(socket.native_handle(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

}  // namespace

void Transport::start(std::error_code& ec) { socket_.non_blocking(true, ec); }

asio::awaitable<void> Transport::connect(const Endpoint& to, ConnectOptions options, std::error_code& ec) {
  close();
  co_await socket_.async_connect(to, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return;
  if (to.protocol().family() != AF_UNIX) {
    no_delay(socket_);
    const int one = 1;
    if (options.keepalive) ::setsockopt(socket_.native_handle(), SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
  }
  socket_.non_blocking(true, ec);
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
