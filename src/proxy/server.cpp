// Server; see server.hpp.
#include "proxy/server.hpp"

#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <stdexcept>
#include <thread>

#include <asio/ip/tcp.hpp>
#include <asio/local/stream_protocol.hpp>
#include <asio/signal_set.hpp>

#include "proxy/pool_worker.hpp"

namespace ringleader::proxy {
namespace {

using Endpoint = asio::generic::stream_protocol::endpoint;

std::runtime_error pool_error(const config::Pool& pool, const std::string& what, const std::error_code& ec) {
  return std::runtime_error("pool '" + pool.name + "': " + what + ": " + ec.message());
}

std::vector<Endpoint> resolve_servers(const config::Pool& pool) {
  asio::io_context io;
  asio::ip::tcp::resolver resolver(io);
  std::vector<Endpoint> endpoints;
  for (const auto& server : pool.servers) {
    if (server.is_unix()) {
      endpoints.emplace_back(asio::local::stream_protocol::endpoint(server.unix_path));
      continue;
    }
    std::error_code ec;
    auto results = resolver.resolve(server.host, std::to_string(server.port), ec);
    if (ec || results.empty()) throw pool_error(pool, "cannot resolve server " + server.address(), ec);
    endpoints.emplace_back(results.begin()->endpoint());
  }
  return endpoints;
}

// A TCP listener of one worker: SO_REUSEPORT lets every worker bind the same address.
Acceptor listen_tcp(asio::io_context& io, const config::Pool& pool) {
  asio::io_context resolve_io;
  asio::ip::tcp::resolver resolver(resolve_io);
  std::error_code ec;
  auto results = resolver.resolve(pool.listen.host, std::to_string(pool.listen.port),
                                  asio::ip::tcp::resolver::passive, ec);
  if (ec || results.empty()) throw pool_error(pool, "cannot resolve listen address " + pool.listen.text, ec);
  const Endpoint endpoint(results.begin()->endpoint());
  Acceptor acceptor(io);
  acceptor.open(endpoint.protocol(), ec);
  if (ec) throw pool_error(pool, "cannot open a socket", ec);
  const int one = 1;
  ::setsockopt(acceptor.native_handle(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  ::setsockopt(acceptor.native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  acceptor.bind(endpoint, ec);
  if (ec) throw pool_error(pool, "cannot listen on " + pool.listen.text, ec);
  acceptor.listen(static_cast<int>(pool.backlog), ec);
  if (ec) throw pool_error(pool, "cannot listen on " + pool.listen.text, ec);
  return acceptor;
}

// The one unix listener of a pool; workers accept on duplicates of its descriptor.
Acceptor listen_unix(asio::io_context& io, const config::Pool& pool) {
  std::error_code ec;
  std::filesystem::remove(pool.listen.unix_path, ec);  // a stale socket of an earlier run
  const Endpoint endpoint(asio::local::stream_protocol::endpoint(pool.listen.unix_path));
  Acceptor acceptor(io);
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(static_cast<int>(pool.backlog), ec);
  if (ec) throw pool_error(pool, "cannot listen on " + pool.listen.unix_path, ec);
  if (pool.listen.unix_permissions) ::chmod(pool.listen.unix_path.c_str(), *pool.listen.unix_permissions);
  return acceptor;
}

}  // namespace

struct Server::Worker {
  asio::io_context io{1};  // run by one thread only
  std::vector<std::unique_ptr<PoolWorker>> pools;
  std::thread thread;
};

Server::Server(config::Config config, unsigned threads) : config_(std::move(config)) {
  if (threads == 0) threads = 1;
  for (unsigned t = 0; t < threads; ++t) workers_.push_back(std::make_unique<Worker>());
  for (const auto& pool : config_.pools) {
    routes_.push_back(std::make_unique<RouteTable>(std::make_shared<const config::Router>(pool)));
    const auto endpoints = resolve_servers(pool);
    std::optional<Acceptor> unix_listener;
    if (pool.listen.is_unix()) unix_listener.emplace(listen_unix(workers_[0]->io, pool));
    for (auto& worker : workers_) {
      Acceptor acceptor(worker->io);
      if (unix_listener) {
        const int fd = ::dup(unix_listener->native_handle());
        if (fd < 0) throw std::runtime_error("pool '" + pool.name + "': cannot share the unix listener");
        acceptor.assign(Endpoint(asio::local::stream_protocol::endpoint(pool.listen.unix_path)).protocol(), fd);
      } else {
        acceptor = listen_tcp(worker->io, pool);
      }
      worker->pools.push_back(
          std::make_unique<PoolWorker>(worker->io, pool, *routes_.back(), endpoints, std::move(acceptor)));
    }
  }
}

Server::~Server() {
  stop();
  for (auto& worker : workers_) {
    if (worker->thread.joinable()) worker->thread.join();
  }
  for (const auto& pool : config_.pools) {
    std::error_code ec;
    if (pool.listen.is_unix()) std::filesystem::remove(pool.listen.unix_path, ec);
  }
}

void Server::stop() {
  stopping_ = true;
  for (auto& worker : workers_) worker->io.stop();
}

void Server::run() {
  // Replies to a client that has gone away must not kill the process.
  ::signal(SIGPIPE, SIG_IGN);
  asio::io_context signals_io;
  asio::signal_set signals(signals_io, SIGINT, SIGTERM);
  signals.async_wait([this](const std::error_code&, int) { stop(); });
  for (auto& worker : workers_) {
    for (auto& pool : worker->pools) pool->start();
    worker->thread = std::thread([&io = worker->io] { io.run(); });
  }
  while (!stopping_) signals_io.run_for(std::chrono::milliseconds(100));
  for (auto& worker : workers_) worker->thread.join();
}

}  // namespace ringleader::proxy
