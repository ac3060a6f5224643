// PoolWorker; see pool_worker.hpp.
#include "proxy/pool_worker.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <chrono>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

#include "proxy/log.hpp"
#include "proxy/memcache/session.hpp"
#include "proxy/redis/session.hpp"

namespace ringleader::proxy {

PoolWorker::PoolWorker(asio::io_context& io, const config::Pool& pool, const RouteTable& routes,
                       const std::vector<asio::generic::stream_protocol::endpoint>& endpoints,
                       Acceptor acceptor, stats::Registry& registry, unsigned worker, std::size_t pool_index)
    : io_(io),
      pool_(pool),
      registry_(registry),
      pool_index_(pool_index),
      counters_(registry.pool(worker, pool_index)),
      router_(routes),
      acceptor_(std::move(acceptor)) {
  BackendOptions options;
  options.protocol = pool.redis ? Protocol::redis : Protocol::memcache;
  if (pool.timeout_ms) options.timeout = std::chrono::milliseconds(*pool.timeout_ms);
  options.redis_auth = pool.redis_auth;
  options.redis_db = pool.redis_db;
  options.tcp_keepalive = pool.tcpkeepalive;
  for (std::size_t i = 0; i < pool.servers.size(); ++i) {
    backends_.push_back(
        std::make_unique<Backend>(io, pool.servers[i].address(), endpoints[i], options, counters_.servers[i]));
  }
}

void PoolWorker::start() {
  if (pool_.preconnect) {
    for (auto& backend : backends_) backend->preconnect();
  }
  asio::co_spawn(io_, accept_loop(), asio::detached);
}

void PoolWorker::report_to(const std::shared_ptr<PoolHealth>& health) {
  for (std::uint32_t i = 0; i < backends_.size(); ++i) backends_[i]->report_to(health, i);
}

void PoolWorker::stop_accepting() {
  std::error_code ec;
  acceptor_.close(ec);  // accept_loop() sees operation_aborted and ends
}

bool PoolWorker::busy() const noexcept {
  for (const auto& backend : backends_) {
    if (!backend->idle()) return true;
  }
  return false;
}

asio::awaitable<void> PoolWorker::accept_loop() {
  std::error_code ec;
  asio::steady_timer pause(io_);
  for (;;) {
    Socket socket(io_);
    co_await acceptor_.async_accept(socket, asio::redirect_error(asio::use_awaitable, ec));
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) co_return;
    if (ec) {
      // Out of file descriptors, say: keep the listener, and give connections time to close.
      log::warn("cannot accept a client", {{"pool", pool_.name}, {"reason", ec.message()}});
      pause.expires_after(std::chrono::milliseconds(50));
      co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    // twemproxy's client_connections: beyond it, a new client is closed at once. The count is over
    // every worker, read without a lock, so a burst of accepts may overshoot by a few.
    if (pool_.client_connections != 0 && registry_.clients(pool_index_) >= pool_.client_connections) {
      counters_.client_rejected.add();
      log::debug("client refused: client_connections reached", {{"pool", pool_.name}});
      socket.close(ec);
      continue;
    }
    if (!pool_.listen.is_unix()) {
      const int one = 1;  // replies are gathered already; Nagle would only delay them
      ::setsockopt(socket.native_handle(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    if (pool_.redis) {
      std::make_shared<redis::Session>(std::move(socket), *this)->start(counters_);
    } else {
      std::make_shared<memcache::Session>(std::move(socket), *this)->start(counters_);
    }
  }
}

}  // namespace ringleader::proxy
