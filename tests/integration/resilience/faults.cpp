// Resilience test helpers; see faults.hpp.
#include "faults.hpp"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>

namespace ringleader::test {

std::string memcache(Connection& c, const std::string& request, bool values) {
  c.send(request);
  return c.receive([values](std::string_view in) -> std::size_t {
    if (!values || in.starts_with("SERVER_ERROR") || in.starts_with("ERROR") || in.starts_with("CLIENT_ERROR")) {
      const auto end = in.find("\r\n");
      return end == std::string_view::npos ? 0 : end + 2;
    }
    const auto end = in.find("END\r\n");
    return end == std::string_view::npos ? 0 : end + 5;
  });
}

std::string memcache_pool(std::uint16_t listen, const std::vector<std::uint16_t>& servers, const std::string& options) {
  std::string text = "cache:\n  listen: 127.0.0.1:" + std::to_string(listen) + "\n" + options + "  servers:\n";
  for (auto port : servers) text += "   - 127.0.0.1:" + std::to_string(port) + ":1\n";
  return text;
}

std::string memcache_pool(std::uint16_t listen, const std::vector<std::uint16_t>& servers,
                          const std::vector<std::string>& names, const std::string& options) {
  std::string text = "cache:\n  listen: 127.0.0.1:" + std::to_string(listen) + "\n" + options + "  servers:\n";
  for (std::size_t i = 0; i < servers.size(); ++i)
    text += "   - 127.0.0.1:" + std::to_string(servers[i]) + ":1 " + names.at(i) + "\n";
  return text;
}

bool wait_for_log(const Process& process, const std::string& text, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (process.log().find(text) != std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

int count_in_log(const Process& process, const std::string& text) {
  const std::string log = process.log();
  int count = 0;
  for (auto at = log.find(text); at != std::string::npos; at = log.find(text, at + text.size())) ++count;
  return count;
}

bool wait_for_log_count(const Process& process, const std::string& text, int count, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (count_in_log(process, text) >= count) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

std::string last_log_line(const Process& process, const std::string& text) {
  const std::string log = process.log();
  const auto at = log.rfind(text);
  if (at == std::string::npos) return "";
  const auto begin = log.rfind('\n', at);
  const auto end = log.find('\n', at);
  const auto first = begin == std::string::npos ? 0 : begin + 1;
  return log.substr(first, end == std::string::npos ? std::string::npos : end - first);
}

GarbageServer::GarbageServer(std::uint16_t port) {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  const int one = 1;
  ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port);
  if (::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 || ::listen(fd_, 16) != 0) {
    ::close(fd_);
    throw std::runtime_error("garbage server cannot listen on " + std::to_string(port));
  }
  thread_ = std::thread([this] {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      const int client = ::accept(fd_, nullptr, nullptr);
      if (client < 0) continue;
      ++accepted_;
      static constexpr char kGarbage[] = "HELLO I AM NOT MEMCACHED\r\n";
      (void)::send(client, kGarbage, sizeof kGarbage - 1, MSG_NOSIGNAL);
      ::close(client);
    }
  });
}

GarbageServer::~GarbageServer() {
  stop_ = true;
  thread_.join();
  ::close(fd_);
}

}  // namespace ringleader::test
