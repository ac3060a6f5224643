// A client connection is accepted with TCP_NODELAY already set (from its listener), since the
// session no longer sets it: Nagle would hold a small reply back for up to 40 ms.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <gtest/gtest.h>

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>

#include "proxy/listen_socket.hpp"

namespace ringleader::proxy {
namespace {

TEST(OpenListener, AcceptsTcpConnectionsWithNoDelay) {
  asio::io_context io;
  std::error_code ec;
  Acceptor acceptor = open_listener(io, asio::ip::tcp::endpoint(asio::ip::address_v4::loopback(), 0), 16, false, ec);
  ASSERT_FALSE(ec) << ec.message();
  asio::generic::stream_protocol::socket client(io);
  client.connect(acceptor.local_endpoint(), ec);
  ASSERT_FALSE(ec) << ec.message();
  asio::generic::stream_protocol::socket accepted(io);
  acceptor.accept(accepted, ec);
  ASSERT_FALSE(ec) << ec.message();
  int no_delay = 0;
  socklen_t size = sizeof no_delay;
  ASSERT_EQ(::getsockopt(accepted.native_handle(), IPPROTO_TCP, TCP_NODELAY, &no_delay, &size), 0);
  EXPECT_EQ(no_delay, 1);
}

}  // namespace
}  // namespace ringleader::proxy
