#include "cli/memcache_client.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <stdexcept>
#include <unordered_map>

#include "support/ports.hpp"

namespace ringleader::cli {
namespace {
constexpr std::size_t kSetBatch = 500;   // requests written before reading their replies
constexpr std::size_t kKeysPerGet = 100;
constexpr std::size_t kGetBatch = 20;    // multi-key gets in flight
}  // namespace

MemcacheClient::MemcacheClient(std::uint16_t port) : fd_(support::connect_loopback(port).release()) {
  int one = 1;
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  timeval tv{10, 0};  // a stuck server fails the demo instead of hanging it
  setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

MemcacheClient::~MemcacheClient() {
  if (fd_ >= 0) close(fd_);
}

void MemcacheClient::send_all(std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0) throw std::runtime_error("memcached connection: " + std::string(std::strerror(errno)));
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
}

std::string_view MemcacheClient::read_line() {
  for (;;) {
    std::size_t end = in_.find("\r\n", pos_);
    if (end != std::string::npos) {
      std::string_view line(in_.data() + pos_, end - pos_);
      pos_ = end + 2;
      return line;
    }
    in_.erase(0, pos_);
    pos_ = 0;
    char buf[65536];
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) throw std::runtime_error(n == 0 ? "memcached connection closed" : "memcached connection: timed out");
    in_.append(buf, static_cast<std::size_t>(n));
  }
}

void MemcacheClient::skip_bytes(std::size_t n) {
  while (in_.size() - pos_ < n) {
    char buf[65536];
    ssize_t got = ::recv(fd_, buf, sizeof buf, 0);
    if (got <= 0) throw std::runtime_error("memcached connection closed in a value");
    in_.append(buf, static_cast<std::size_t>(got));
  }
  pos_ += n;
}

std::size_t MemcacheClient::set_many(std::span<const std::string> keys, std::string_view value) {
  std::size_t stored = 0;
  std::string out;
  for (std::size_t start = 0; start < keys.size(); start += kSetBatch) {
    std::size_t end = std::min(keys.size(), start + kSetBatch);
    out.clear();
    for (std::size_t i = start; i < end; ++i) {
      out.append("set ").append(keys[i]).append(" 0 0 ").append(std::to_string(value.size())).append("\r\n");
      out.append(value).append("\r\n");
    }
    send_all(out);
    for (std::size_t i = start; i < end; ++i) stored += read_line() == "STORED";
  }
  return stored;
}

std::vector<bool> MemcacheClient::present(std::span<const std::string> keys) {
  std::vector<bool> found(keys.size(), false);
  std::unordered_map<std::string_view, std::size_t> index;
  for (std::size_t i = 0; i < keys.size(); ++i) index.emplace(keys[i], i);
  const std::size_t per_round = kKeysPerGet * kGetBatch;
  std::string out;
  for (std::size_t start = 0; start < keys.size(); start += per_round) {
    std::size_t end = std::min(keys.size(), start + per_round);
    out.clear();
    std::size_t requests = 0;
    for (std::size_t i = start; i < end; i += kKeysPerGet, ++requests) {
      out.append("get");
      for (std::size_t j = i; j < std::min(end, i + kKeysPerGet); ++j) out.append(" ").append(keys[j]);
      out.append("\r\n");
    }
    send_all(out);
    while (requests > 0) {
      std::string_view line = read_line();
      if (line == "END") {
        --requests;
      } else if (line.starts_with("VALUE ")) {
        // VALUE <key> <flags> <bytes>
        std::string_view rest = line.substr(6);
        std::string_view key = rest.substr(0, rest.find(' '));
        std::size_t bytes = 0;
        std::string_view len = rest.substr(rest.rfind(' ') + 1);
        std::from_chars(len.data(), len.data() + len.size(), bytes);
        if (auto it = index.find(key); it != index.end()) found[it->second] = true;
        skip_bytes(bytes + 2);
      } else {
        throw std::runtime_error("memcached answered a get with: " + std::string(line));
      }
    }
  }
  return found;
}

}  // namespace ringleader::cli
