// PoolWorker; see pool_worker.hpp.
#include "proxy/pool_worker.hpp"

#include <algorithm>
#include <chrono>
#include <string_view>
#include <unordered_map>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

#include "proxy/log.hpp"
#include "proxy/protocols.hpp"

namespace ringleader::proxy {

namespace {

BackendOptions backend_options(const config::Pool& pool) {
  BackendOptions options;
  options.protocol = &protocol_of(pool);
  if (pool.timeout_ms) options.timeout = std::chrono::milliseconds(*pool.timeout_ms);
  options.handshake = options.protocol->handshake(pool, 0);
  for (Dialect d = 1; d < options.protocol->dialects(); ++d)
    options.dialect_handshakes.push_back(options.protocol->handshake(pool, d));
  options.tcp_keepalive = pool.tcpkeepalive;
  options.keep_free = pool.server_connections.value_or(options.keep_free);
  options.max_connections = pool.http_max_connections;
  return options;
}

}  // namespace

PoolWorker::PoolWorker(asio::io_context& io, const RouteTable& routes, Acceptor acceptor, stats::Registry& registry,
                       unsigned worker, std::size_t pool_index)
    : io_(io),
      registry_(registry),
      worker_(worker),
      pool_index_(pool_index),
      stats_(registry.pool(pool_index)),
      counters_(stats_.worker(worker)),
      routes_table_(routes),
      routes_(routes),
      acceptor_(std::move(acceptor)),
      warm_(io, [this](WarmUpWindow::Backends closed) { retire_unused(closed); }) {
  adopt(routes_.get());
}

void PoolWorker::start() {
  started_ = true;
  if (pool().preconnect) {
    for (auto& backend : backends_) backend->preconnect();
  }
  asio::co_spawn(io_, accept_loop(), asio::detached);
}

const Placement& PoolWorker::router() {
  // An ejection publishes a new placement of the same layout: used from this request on. A new
  // layout waits for refresh(), which the server posts to every worker after it publishes one, so a
  // request never pays for connecting to servers; until then, the layout adopted routes.
  const Routes& routes = routes_.get();
  if (routes.layout == layout_ && routes.placement != placement_) placement_ = routes.placement;
  return *placement_;
}

void PoolWorker::refresh() {
  const Routes& routes = routes_.get();
  if (routes.layout != layout_) adopt(routes);
}

bool PoolWorker::route(std::span<const std::string_view> keys, std::vector<std::uint32_t>& servers) {
  const Placement& router = this->router();
  if (router.bounded()) {
    loads_.resize(backends_.size());
    for (std::size_t i = 0; i < backends_.size(); ++i) loads_[i] = backends_[i]->in_flight();
  }
  servers.clear();
  for (const auto key : keys) {
    const std::uint32_t server = router.bounded() ? router.server_for(key, loads_) : router.server_for(key);
    if (server == Placement::kNoServer) return false;
    servers.push_back(server);
  }
  return true;
}

void PoolWorker::copies(std::string_view key, Copies& copies, std::size_t wanted) {
  const Placement& router = this->router();
  wanted = std::min<std::size_t>(wanted > 0 ? wanted : layout_->pool.replicas, kMaxReplicas);
  copies.count = router.servers_for(key, std::span(copies.server, wanted));
}

void PoolWorker::adopt(const Routes& routes) {
  const PoolLayout& layout = *routes.layout;
  const BackendOptions options = backend_options(layout.pool);
  std::unordered_map<std::string_view, const std::shared_ptr<Backend>*> current;  // by address
  for (auto& backend : backends_) {
    if (backend) current.emplace(backend->name(), &backend);
  }
  std::vector<std::shared_ptr<Backend>> next;
  for (std::uint32_t i = 0; i < layout.pool.servers.size(); ++i) {
    const std::string name = layout.pool.servers[i].address();
    stats::ServerCounters& counters = registry_.server(worker_, pool_index_, layout.pool.servers[i]);
    // Kept if reached the same way and counted under the same stats label (a renamed server's
    // counters are another's).
    const auto found = current.find(name);
    const auto same = [&](const std::shared_ptr<Backend>& b) {
      return b && b->endpoint() == layout.endpoints[i] && b->options() == options && &b->counters() == &counters;
    };
    if (found != current.end() && same(*found->second)) {
      next.push_back(*found->second);
    } else {
      next.push_back(std::make_shared<Backend>(io_, name, layout.endpoints[i], options, counters));
      if (started_ && layout.pool.preconnect) next.back()->preconnect();
    }
    next.back()->report_to(routes.health, i);
  }
  std::erase_if(others_, [](const auto& weak) { return weak.expired(); });
  std::vector<std::shared_ptr<Backend>> previous = std::exchange(backends_, std::move(next));
  const auto before = std::exchange(layout_, routes.layout);
  protocol_ = options.protocol;
  placement_ = routes.placement;
  const auto closed = warm_.reopen(before.get(), previous, *layout_, backends_);
  retire_unused(previous);
  retire_unused(closed);
}

void PoolWorker::retire_unused(const std::vector<std::shared_ptr<Backend>>& backends) {
  const auto used = [&](const std::shared_ptr<Backend>& backend) {
    return std::find(backends_.begin(), backends_.end(), backend) != backends_.end() ||
           std::find(warm_.backends().begin(), warm_.backends().end(), backend) != warm_.backends().end();
  };
  for (const auto& backend : backends) {
    if (backend && !used(backend)) retire(backend);
  }
}

void PoolWorker::retire(const std::shared_ptr<Backend>& backend) {
  backend->retire();
  others_.push_back(backend);
}

std::shared_ptr<Connection> PoolWorker::previous_owner(std::string_view key, std::uint32_t server) {
  return warm_.previous_owner(key, server, backends_[server].get());
}

std::shared_ptr<Backend> PoolWorker::own_connection(std::uint32_t server, Dialect dialect) {
  auto backend = backends_[server]->in_dialect(dialect).another_connection();
  std::erase_if(others_, [](const auto& weak) { return weak.expired(); });
  others_.push_back(backend);
  return backend;
}

std::shared_ptr<Backend> PoolWorker::pinned_connection(std::uint32_t server, Dialect dialect) {
  std::erase_if(pinned_, [](const auto& weak) { return weak.expired(); });
  if (pinned_.size() >= pool().redis_pinned_connections) return nullptr;
  // Not among others_, which busy() waits for: a blocked client may wait for ever, and a
  // subscriber's connection always does.
  auto backend = backends_[server]->in_dialect(dialect).another_connection();
  pinned_.push_back(backend);
  return backend;
}

void PoolWorker::stop_accepting() {
  std::error_code ec;
  acceptor_.close(ec);  // accept_loop() sees operation_aborted and ends
}

bool PoolWorker::busy() const noexcept {
  for (const auto& backend : backends_) {
    if (!backend->all_idle()) return true;
  }
  for (const auto& backend : warm_.backends()) {  // a removed server read from during a warm-up
    if (!backend->all_idle()) return true;
  }
  for (const auto& weak : others_) {
    if (const auto backend = weak.lock(); backend && !backend->all_idle()) return true;
  }
  return false;
}

asio::awaitable<void> PoolWorker::accept_loop() {
  std::error_code ec;
  asio::steady_timer pause(io_);
  acceptor_.non_blocking(true, ec);
  for (;;) {
    co_await acceptor_.async_wait(Acceptor::wait_read, asio::redirect_error(asio::use_awaitable, ec));
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) co_return;
    // Take the connections waiting, up to kAcceptBatch, before going back to the event loop. One
    // accept per pass (an async_accept each) would make the thousandth client of a burst wait for a
    // thousand passes over every busy client; an unbounded batch would starve the busy clients.
    for (std::size_t i = 0; i < kAcceptBatch; ++i) {
      Socket socket(io_);
      acceptor_.accept(socket, ec);
      if (ec == asio::error::would_block || ec == asio::error::try_again) {  // none left waiting
        ec = {};
        break;
      }
      if (ec == asio::error::connection_aborted) continue;  // the client gave up while queued
      if (ec) break;
      start_session(std::move(socket));
    }
    if (ec) {
      // Out of file descriptors, say: keep the listener, and give connections time to close.
      log::warn("cannot accept a client", {{"pool", pool().name}, {"reason", ec.message()}});
      pause.expires_after(std::chrono::milliseconds(50));
      co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
  }
}

void PoolWorker::start_session(Socket socket) {
  // twemproxy's client_connections: beyond it, a new client is closed at once. The count is over
  // every worker, read without a lock, so a burst of accepts may overshoot by a few.
  if (pool().client_connections != 0 && stats_.clients() >= pool().client_connections) {
    counters_.client_rejected.add();
    log::debug("client refused: client_connections reached", {{"pool", pool().name}});
    return;  // the socket closes with it
  }
  protocol_->start_session(std::move(socket), *this, counters_);
}

}  // namespace ringleader::proxy
