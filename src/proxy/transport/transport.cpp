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

void Transport::start(std::error_code& ec) {
  if (socket_.local_endpoint(ec).protocol().family() != AF_UNIX && !ec) no_delay(socket_);
  socket_.non_blocking(true, ec);
}

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

}  // namespace ringleader::proxy
