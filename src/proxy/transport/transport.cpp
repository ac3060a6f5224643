// Transport; see transport.hpp.
#include "proxy/transport/transport.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

namespace ringleader::proxy {

asio::awaitable<void> Transport::connect(const Endpoint& to, ConnectOptions options, std::error_code& ec) {
  close();
  co_await socket_.async_connect(to, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return;
  if (to.protocol().family() != AF_UNIX) {
    const int one = 1;
    ::setsockopt(socket_.native_handle(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (options.keepalive) ::setsockopt(socket_.native_handle(), SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
  }
  socket_.non_blocking(true, ec);
}

}  // namespace ringleader::proxy
