// Loopback ports; see ports.hpp.
#include "support/ports.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <string>
#include <system_error>
#include <thread>

#include "support/unique_fd.hpp"

namespace ringleader::support {
namespace {

sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return address;
}

// A connection to 127.0.0.1:port, or an empty UniqueFd with errno set.
UniqueFd try_connect(std::uint16_t port) {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  const auto address = loopback(port);
  if (fd && ::connect(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    const int error = errno;  // close() may change it
    fd.reset();
    errno = error;
  }
  return fd;
}

}  // namespace

std::uint16_t free_port() {
  const UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  auto address = loopback(0);
  socklen_t size = sizeof address;
  if (!fd || ::bind(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&address), &size) != 0) {
    throw std::system_error(errno, std::generic_category(), "cannot find a free port on 127.0.0.1");
  }
  return ntohs(address.sin_port);
}

bool accepting(std::uint16_t port) { return static_cast<bool>(try_connect(port)); }

bool wait_until_accepting(std::uint16_t port, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!accepting(port)) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

UniqueFd connect_loopback(std::uint16_t port) {
  UniqueFd fd = try_connect(port);
  if (!fd) throw std::system_error(errno, std::generic_category(), "cannot connect to 127.0.0.1:" + std::to_string(port));
  return fd;
}

}  // namespace ringleader::support
