// HTTP/1.1 POST over a blocking-by-poll socket; see http_client.hpp.
#include "proxy/membership/http_client.hpp"

#include <netdb.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <optional>

#include <asio/buffer.hpp>
#include <asio/error.hpp>

#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

namespace ringleader::proxy::membership {
namespace {

namespace http = boost::beast::http;
using Clock = std::chrono::steady_clock;

enum class Wait { in, out };

// Waits until `fd` is ready or `limit` passes (false); throws if cancelled.
bool wait(int fd, Wait what, std::chrono::milliseconds limit, const Cancel& cancel) {
  std::array<pollfd, 2> fds{{{fd, static_cast<short>(what == Wait::in ? POLLIN : POLLOUT), 0}, {cancel.fd(), POLLIN, 0}}};
  const int ms = static_cast<int>(std::max<std::int64_t>(0, limit.count()));
  int n;
  do {
    n = ::poll(fds.data(), fds.size(), ms);
  } while (n < 0 && errno == EINTR);
  if (n < 0) throw HttpError(std::string("poll: ") + std::strerror(errno));
  if (fds[1].revents != 0) throw HttpError("cancelled");
  return n > 0;
}

std::chrono::milliseconds left(Clock::time_point deadline) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
}

UniqueFd connect_to(const HttpEndpoint& to, Clock::time_point deadline, const Cancel& cancel) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(to.port);
  if (const int rc = ::getaddrinfo(to.host.c_str(), port.c_str(), &hints, &found); rc != 0)
    throw HttpError(::gai_strerror(rc));
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> addresses(found, &::freeaddrinfo);
  std::string failure = "no address";
  for (const addrinfo* a = found; a != nullptr; a = a->ai_next) {
    UniqueFd fd(::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol));
    if (!fd) throw HttpError(std::string("socket: ") + std::strerror(errno));
    if (::connect(fd.get(), a->ai_addr, a->ai_addrlen) != 0 && errno != EINPROGRESS) {
      failure = std::strerror(errno);
      continue;
    }
    if (!wait(fd.get(), Wait::out, left(deadline), cancel)) throw HttpError("connect timed out");
    int error = 0;
    socklen_t size = sizeof error;
    ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &error, &size);
    if (error == 0) return fd;
    failure = std::strerror(error);
  }
  throw HttpError(failure);
}

// One connection: TCP, with TLS over it for an https endpoint.
class Link {
 public:
  Link(const HttpEndpoint& to, Clock::time_point deadline, const Cancel& cancel)
      : fd_(connect_to(to, deadline, cancel)), cancel_(cancel) {
    if (!to.tls) return;
    tls_ = tls::Session(*to.tls, fd_.get(), to.host);
    const std::error_code ec = tls_.handshake_polled([&](tls::Session::Want want) {
      if (!wait(fd_.get(), want == tls::Session::Want::read ? Wait::in : Wait::out, left(deadline), cancel))
        throw HttpError("TLS handshake timed out");
    });
    if (ec) throw HttpError("TLS handshake: " + ec.message());
  }

  void send_all(std::string_view data, Clock::time_point deadline) {
    while (!data.empty()) {
      Wait next = Wait::out;
      if (tls_) {
        std::error_code ec;
        const asio::const_buffer buffer(data.data(), data.size());
        data.remove_prefix(tls_.write(&buffer, 1, ec));
        if (ec) throw HttpError("send: " + ec.message());
        if (tls_.write_wants() == tls::Session::Want::read) next = Wait::in;
      } else if (const ssize_t n = ::send(fd_.get(), data.data(), data.size(), MSG_NOSIGNAL); n > 0) {
        data.remove_prefix(static_cast<std::size_t>(n));
      } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
        throw HttpError(std::string("send: ") + std::strerror(errno));
      }
      if (!data.empty() && !wait(fd_.get(), next, left(deadline), cancel_)) throw HttpError("send timed out");
    }
  }

  /// Bytes read (0 at the end of the stream), or nullopt if none came within `limit`.
  std::optional<std::size_t> receive(char* into, std::size_t size, std::chrono::milliseconds limit) {
    for (;;) {
      if (tls_) {  // bytes decrypted already are read before the socket is waited for
        std::error_code ec;
        const std::size_t n = tls_.read(asio::buffer(into, size), ec);
        if (!ec) return n;
        if (ec == asio::error::eof) return 0;
        if (ec != asio::error::would_block) throw HttpError("recv: " + ec.message());
      } else if (const ssize_t n = ::recv(fd_.get(), into, size, 0); n >= 0) {
        return static_cast<std::size_t>(n);
      } else if (errno != EAGAIN && errno != EINTR) {
        throw HttpError(std::string("recv: ") + std::strerror(errno));
      }
      if (!wait(fd_.get(), Wait::in, limit, cancel_)) return std::nullopt;
    }
  }

 private:
  UniqueFd fd_;
  const Cancel& cancel_;
  tls::Session tls_;  // after fd_: freed before the descriptor closes
};

std::string request(const HttpEndpoint& to, std::string_view target, std::string_view body, const HttpHeaders& headers) {
  std::string out = "POST " + std::string(target) + " HTTP/1.1\r\nHost: " + to.host + ":" + std::to_string(to.port) +
                    "\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: " +
                    std::to_string(body.size()) + "\r\n";
  for (const auto& [name, value] : headers) out += name + ": " + value + "\r\n";
  out += "\r\n";
  out += body;
  return out;
}

// One response read off one connection, fed to Beast's parser as it arrives.
class Reader {
 public:
  explicit Reader(Link& link) : link_(link) {
    parser_.eager(true);
    parser_.body_limit(boost::none);  // a watch streams for as long as it lives; lines are taken as they come
  }

  /// Reads more within `limit`: false if nothing came. Throws at the end of the stream or on an error.
  bool read(std::chrono::milliseconds limit) {
    std::array<char, 16384> buffer;
    const std::optional<std::size_t> n = link_.receive(buffer.data(), buffer.size(), limit);
    if (!n) return false;
    boost::beast::error_code ec;
    if (*n == 0) {
      parser_.put_eof(ec);
      if (ec || !parser_.is_done()) throw HttpError("connection closed by etcd");
      return true;
    }
    pending_.append(buffer.data(), *n);
    while (!pending_.empty() && !parser_.is_done()) {
      const std::size_t used = parser_.put(boost::asio::buffer(pending_.data(), pending_.size()), ec);
      pending_.erase(0, used);
      if (ec == http::error::need_more) break;
      if (ec) throw HttpError("bad HTTP response: " + ec.message());
      if (used == 0) break;
    }
    return true;
  }

  bool header_done() const { return parser_.is_header_done(); }
  bool done() const { return parser_.is_done(); }
  unsigned status() const { return parser_.get().result_int(); }
  std::string& body() { return parser_.get().body(); }

 private:
  Link& link_;
  http::response_parser<http::string_body> parser_;
  std::string pending_;  // bytes the parser has not taken yet
};

// Reads the whole response before `deadline`.
void read_whole(Reader& reader, Clock::time_point deadline) {
  while (!reader.done())
    if (!reader.read(left(deadline))) throw HttpError("no response within the timeout");
}

}  // namespace

Cancel::Cancel() : fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  if (!fd_) throw std::runtime_error(std::string("eventfd: ") + std::strerror(errno));
}

void Cancel::cancel() noexcept {
  const std::uint64_t one = 1;
  [[maybe_unused]] const ssize_t n = ::write(fd_.get(), &one, sizeof one);
}

bool Cancel::cancelled() const noexcept {
  pollfd p{fd_.get(), POLLIN, 0};
  return ::poll(&p, 1, 0) > 0;
}

HttpResponse http_post(const HttpEndpoint& to, std::string_view target, std::string_view body,
                       const HttpHeaders& headers, std::chrono::milliseconds timeout, const Cancel& cancel) {
  const auto deadline = Clock::now() + timeout;
  Link link(to, deadline, cancel);
  link.send_all(request(to, target, body, headers), deadline);
  Reader reader(link);
  read_whole(reader, deadline);
  return {reader.status(), std::move(reader.body())};
}

void http_post_streamed(const HttpEndpoint& to, std::string_view target, std::string_view body,
                        const HttpHeaders& headers, std::chrono::milliseconds timeout, const Cancel& cancel,
                        LineHandler& handler) {
  const auto deadline = Clock::now() + timeout;
  Link link(to, deadline, cancel);
  link.send_all(request(to, target, body, headers), deadline);
  Reader reader(link);
  while (!reader.header_done())
    if (!reader.read(left(deadline))) throw HttpError("no response within the timeout");
  if (reader.status() != 200) {
    read_whole(reader, deadline);
    throw HttpError("HTTP " + std::to_string(reader.status()) + ": " + reader.body().substr(0, 200));
  }
  for (;;) {
    std::string& data = reader.body();
    std::size_t start = 0;
    for (std::size_t end; (end = data.find('\n', start)) != std::string::npos; start = end + 1)
      if (!handler.on_line(std::string_view(data).substr(start, end - start))) return;
    data.erase(0, start);
    if (reader.done()) throw HttpError("etcd ended the stream");
    if (!reader.read(handler.quiet_limit()) && !handler.on_quiet()) return;
  }
}

}  // namespace ringleader::proxy::membership
