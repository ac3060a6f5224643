// Listeners; see listeners.hpp.
#include "proxy/stats/listeners.hpp"

#include <unistd.h>

#include <chrono>
#include <stdexcept>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include "proxy/listen_socket.hpp"
#include "proxy/log.hpp"

namespace ringleader::proxy::stats {
namespace {

using Socket = asio::generic::stream_protocol::socket;
constexpr std::size_t kMaxHttpRequest = 8 * 1024;  // a scrape's request line and headers fit easily
constexpr auto kHttpTimeout = std::chrono::seconds(5);

Acceptor bind(asio::io_context& io, const config::Listen& address, std::string_view what) {
  std::error_code ec;
  const auto endpoint = resolve_listen_address(address, ec);
  if (ec) throw std::runtime_error(std::string(what) + ": cannot resolve " + address.text);
  Acceptor acceptor = open_listener(io, endpoint, 64, /*share_port=*/false, ec);
  if (ec) throw std::runtime_error(std::string(what) + ": cannot listen on " + address.text + ": " + ec.message());
  return acceptor;
}

// Out of descriptors, say: retrying at once would spin a core until one is closed.
asio::awaitable<void> pause_after_accept_error(Acceptor& acceptor, std::string_view listener,
                                               const std::error_code& error) {
  log::warn("cannot accept a connection", {{"listener", std::string(listener)}, {"reason", error.message()}});
  asio::steady_timer pause(acceptor.get_executor(), std::chrono::milliseconds(50));
  std::error_code ec;
  co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
}

std::string hostname() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0) return "localhost";
  return name;
}

asio::awaitable<void> serve_stats(Acceptor acceptor, Registry& registry) {
  const std::string source = hostname();
  for (;;) {
    std::error_code ec;
    Socket socket = co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (ec == asio::error::operation_aborted) co_return;
    if (ec) {
      co_await pause_after_accept_error(acceptor, "stats", ec);
      continue;
    }
    const std::string document = registry.twemproxy_json(source);
    co_await asio::async_write(socket, asio::buffer(document), asio::redirect_error(asio::use_awaitable, ec));
  }
}

std::string http_response(std::string_view status, std::string_view type, std::string_view body) {
  std::string out = "HTTP/1.1 ";
  out.append(status).append("\r\nContent-Type: ").append(type);
  out.append("\r\nContent-Length: ").append(std::to_string(body.size()));
  out.append("\r\nConnection: close\r\n\r\n").append(body);
  return out;
}

asio::awaitable<void> serve_http(Socket socket, Registry& registry) {
  std::error_code ec;
  asio::steady_timer deadline(socket.get_executor());
  deadline.expires_after(kHttpTimeout);
  deadline.async_wait([&socket](std::error_code timer_ec) {
    if (!timer_ec) socket.close(timer_ec);  // a client that never finishes its request
  });
  std::string request;
  char chunk[1024];
  while (request.find("\r\n\r\n") == std::string::npos && request.size() < kMaxHttpRequest) {
    const std::size_t n = co_await socket.async_read_some(asio::buffer(chunk), asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;
    request.append(chunk, n);
  }
  std::string response;
  if (request.starts_with("GET /metrics ") || request.starts_with("GET /metrics?")) {
    response = http_response("200 OK", "text/plain; version=0.0.4; charset=utf-8", registry.prometheus());
  } else if (request.starts_with("GET ")) {
    response = http_response("404 Not Found", "text/plain", "not found: try /metrics\n");
  } else {
    response = http_response("400 Bad Request", "text/plain", "bad request\n");
  }
  co_await asio::async_write(socket, asio::buffer(response), asio::redirect_error(asio::use_awaitable, ec));
  deadline.cancel();
}

asio::awaitable<void> serve_admin(Acceptor acceptor, Registry& registry) {
  for (;;) {
    std::error_code ec;
    Socket socket = co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (ec == asio::error::operation_aborted) co_return;
    if (ec) {
      co_await pause_after_accept_error(acceptor, "admin", ec);
      continue;
    }
    asio::co_spawn(acceptor.get_executor(), serve_http(std::move(socket), registry), asio::detached);
  }
}

}  // namespace

Listeners::Listeners(Registry& registry, std::optional<config::Listen> stats, std::optional<config::Listen> admin)
    : registry_(registry) {
  if (stats) {
    asio::co_spawn(io_, serve_stats(bind(io_, *stats, "stats"), registry_), asio::detached);
    log::info("stats listening", {{"address", stats->text}});
  }
  if (admin) {
    asio::co_spawn(io_, serve_admin(bind(io_, *admin, "admin"), registry_), asio::detached);
    log::info("admin listening", {{"address", admin->text}, {"path", "/metrics"}});
  }
  thread_ = std::thread([this] { io_.run(); });
}

Listeners::~Listeners() {
  io_.stop();
  thread_.join();
}

}  // namespace ringleader::proxy::stats
