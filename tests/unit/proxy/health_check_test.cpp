// The health probe must not lose a descriptor on any path: an ejected server that is down is probed
// every server_retry_timeout for as long as it is down (days, maybe), so one fd lost per probe
// takes the whole proxy down once the fd limit is reached.
#include <netinet/in.h>
#include <sys/socket.h>

#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include <asio/ip/tcp.hpp>

#include "proxy/health_check.hpp"
#include "proxy/unique_fd.hpp"

namespace ringleader::proxy {
namespace {

using Endpoint = asio::generic::stream_protocol::endpoint;

std::size_t open_fds() {
  std::size_t count = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) ++count;
  return count;
}

// A loopback socket bound to a port and listening (or not): connecting to it is refused when it
// does not listen, and accepted by the kernel (but never answered) when it does.
struct LoopbackPort {
  explicit LoopbackPort(bool listen) : fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    socklen_t size = sizeof address;
    ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&address), &size);
    port = ntohs(address.sin_port);
    if (listen) {
      EXPECT_EQ(::listen(fd.get(), 512), 0);
    }
  }
  Endpoint endpoint() const { return Endpoint(asio::ip::tcp::endpoint(asio::ip::address_v4::loopback(), port)); }

  UniqueFd fd;
  std::uint16_t port = 0;
};

TEST(HealthProbe, RefusedConnectionsLoseNoDescriptor) {
  const LoopbackPort dead(false);  // bound, not listening: every connect is refused
  config::Pool pool;
  pool.timeout_ms = 200;
  const std::size_t before = open_fds();
  for (int i = 0; i < 200; ++i) {
    const std::string problem = probe_server(pool, dead.endpoint());
    ASSERT_NE(problem.find("connect"), std::string::npos) << problem;
  }
  EXPECT_EQ(open_fds(), before);
}

TEST(HealthProbe, SilentServerTimesOutAndLosesNoDescriptor) {
  const LoopbackPort silent(true);  // the kernel accepts; nobody ever answers
  config::Pool pool;
  pool.timeout_ms = 20;
  const std::size_t before = open_fds();
  for (int i = 0; i < 20; ++i) {
    const std::string problem = probe_server(pool, silent.endpoint());
    ASSERT_NE(problem.find("timed out"), std::string::npos) << problem;
  }
  EXPECT_EQ(open_fds(), before);
}

TEST(HealthProbe, RedisProbeOfARefusedServerLosesNoDescriptor) {
  const LoopbackPort dead(false);
  config::Pool pool;
  pool.protocol = "redis";
  pool.redis_auth = "secret";
  pool.timeout_ms = 200;
  const std::size_t before = open_fds();
  for (int i = 0; i < 50; ++i) EXPECT_FALSE(probe_server(pool, dead.endpoint()).empty());
  EXPECT_EQ(open_fds(), before);
}

}  // namespace
}  // namespace ringleader::proxy
