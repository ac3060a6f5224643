// Connection; see connection.hpp.
#include "harness/connection.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <utility>

#include "support/ports.hpp"

namespace ringleader::test {

Connection::Connection(std::uint16_t port, std::chrono::milliseconds timeout)
    : fd_(support::connect_loopback(port).release()), timeout_(timeout) {
  const int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

Connection::Connection(const std::string& unix_path, std::chrono::milliseconds timeout) : timeout_(timeout) {
  fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, unix_path.c_str(), sizeof address.sun_path - 1);
  if (fd_ < 0 || ::connect(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    const std::string error = std::strerror(errno);
    if (fd_ >= 0) ::close(fd_);
    throw std::runtime_error("cannot connect to " + unix_path + ": " + error);
  }
}

Connection::Connection(Connection&& other) noexcept
    : fd_(other.fd_), timeout_(other.timeout_), buffer_(std::move(other.buffer_)), eof_(other.eof_) {
  other.fd_ = -1;
}

Connection::~Connection() {
  if (fd_ >= 0) ::close(fd_);
}

void Connection::send(std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw std::runtime_error(std::string("send failed: ") + std::strerror(errno));
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
}

bool Connection::fill() {
  if (eof_) return false;
  pollfd p{fd_, POLLIN, 0};
  const int ready = ::poll(&p, 1, static_cast<int>(timeout_.count()));
  if (ready <= 0) return false;
  char chunk[64 * 1024];
  const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
  if (n <= 0) {
    eof_ = true;
    return false;
  }
  buffer_.append(chunk, static_cast<std::size_t>(n));
  return true;
}

std::string Connection::receive(const std::function<std::size_t(std::string_view)>& frame) {
  for (;;) {
    if (const std::size_t size = frame(buffer_); size > 0) {
      std::string message = buffer_.substr(0, size);
      buffer_.erase(0, size);
      return message;
    }
    if (!fill()) {
      throw std::runtime_error((eof_ ? "connection closed" : "timeout") +
                               std::string(" waiting for a reply; unread: ") + buffer_.substr(0, 200));
    }
  }
}

std::string Connection::receive_until_closed() {
  while (fill()) {
  }
  return std::exchange(buffer_, {});
}

bool Connection::closed_by_peer() {
  while (fill()) {
  }
  return eof_;
}

}  // namespace ringleader::test
