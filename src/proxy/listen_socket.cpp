// Listening sockets; see listen_socket.hpp.
#include "proxy/listen_socket.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <string>

#include <asio/ip/tcp.hpp>

namespace ringleader::proxy {

asio::generic::stream_protocol::endpoint resolve_listen_address(const config::Listen& listen, std::error_code& ec) {
  asio::io_context io;
  asio::ip::tcp::resolver resolver(io);
  auto results = resolver.resolve(listen.host, std::to_string(listen.port), asio::ip::tcp::resolver::passive, ec);
  if (!ec && results.empty()) ec = asio::error::host_not_found;
  if (ec) return {};
  return results.begin()->endpoint();
}

Acceptor open_listener(asio::io_context& io, const asio::generic::stream_protocol::endpoint& endpoint, int backlog, bool share_port, std::error_code& ec) {
  Acceptor acceptor(io);
  acceptor.open(endpoint.protocol(), ec);
  if (ec) return acceptor;
  const int one = 1;
  ::setsockopt(acceptor.native_handle(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (share_port) ::setsockopt(acceptor.native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  // Replies are gathered already, and Nagle would only delay them. Set here, it is set once: Linux
  // gives each accepted connection its listener's TCP_NODELAY, which saves a getsockname and a
  // setsockopt per connection (issue 23: a connection per request).
  if (endpoint.protocol().family() != AF_UNIX)
    ::setsockopt(acceptor.native_handle(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(backlog, ec);
  return acceptor;
}

}  // namespace ringleader::proxy
