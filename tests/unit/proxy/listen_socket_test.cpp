// A client connection is accepted with TCP_NODELAY already set (from its listener), since the
// session no longer sets it: Nagle would hold a small reply back for up to 40 ms. And it is accepted
// non-blocking and close-on-exec, with its address, ready for Transport's reads without a wait.
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>

#include <optional>
#include <string_view>

#include <gtest/gtest.h>

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/write.hpp>

#include "proxy/listen_socket.hpp"
#include "proxy/listener.hpp"
#include "proxy/transport/transport.hpp"

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

TEST(Listener, AcceptsNonBlockingCloseOnExecWithThePeersAddress) {
  asio::io_context io;
  std::error_code ec;
  Acceptor acceptor = open_listener(io, asio::ip::tcp::endpoint(asio::ip::address_v4::loopback(), 0), 16, false, ec);
  ASSERT_FALSE(ec) << ec.message();
  const auto listening = acceptor.local_endpoint();
  config::Pool pool;
  stats::PoolStats stats("p", 1);
  Listener listener(io, std::move(acceptor), [&pool]() -> const config::Pool& { return pool; }, stats, stats.worker(0));

  asio::generic::stream_protocol::socket client(io);
  client.connect(listening, ec);
  ASSERT_FALSE(ec) << ec.message();
  asio::write(client, asio::buffer(std::string_view("hello")), ec);
  ASSERT_FALSE(ec) << ec.message();

  std::optional<Socket> accepted;
  Socket::endpoint_type peer;
  listener.start([&](Socket socket, const Socket::endpoint_type& from) {
    accepted.emplace(std::move(socket));
    peer = from;
    io.stop();
  });
  io.run();
  ASSERT_TRUE(accepted);
  EXPECT_TRUE(peer == client.local_endpoint());
  const int fd = accepted->native_handle();
  EXPECT_NE(::fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);
  ASSERT_NE(::fcntl(fd, F_GETFL) & O_NONBLOCK, 0) << "not non-blocking: a read below would block";

  // The request sent before the accept is read at once; then the socket is empty, not blocking.
  Transport transport(std::move(*accepted));
  EXPECT_TRUE(transport.read_first());
  EXPECT_FALSE(transport.read_first());
  char bytes[16];
  EXPECT_EQ(transport.read_now(asio::buffer(bytes), ec), 5u);
  EXPECT_FALSE(ec) << ec.message();
  EXPECT_EQ(std::string_view(bytes, 5), "hello");
  transport.read_now(asio::buffer(bytes), ec);
  EXPECT_EQ(ec, asio::error::would_block);
  client.close();
  // The peer's close, once it has arrived, reads as the end of the input.
  pollfd readable{fd, POLLIN, 0};
  ASSERT_EQ(::poll(&readable, 1, 10'000), 1);
  EXPECT_EQ(transport.read_now(asio::buffer(bytes), ec), 0u);
  EXPECT_EQ(ec, asio::error::eof);
}

}  // namespace
}  // namespace ringleader::proxy
