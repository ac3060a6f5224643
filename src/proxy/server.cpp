// Server; see server.hpp.
#include "proxy/server.hpp"

#include <malloc.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <memory>
#include <stdexcept>
#include <thread>
#include <unordered_set>

#include <asio/post.hpp>
#include <asio/local/stream_protocol.hpp>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>

#include "proxy/buffers.hpp"
#include "proxy/config/placement_change.hpp"
#include "proxy/listen_socket.hpp"
#include "proxy/log.hpp"
#include "proxy/pool_worker.hpp"
#include "proxy/protocols.hpp"
#include "proxy/signals.hpp"
#include "proxy/unique_fd.hpp"

namespace ringleader::proxy {
namespace {

// A pool's layout, its TLS certificates read now (a ConfigError names the key whose file failed).
std::shared_ptr<const PoolLayout> make_layout(const config::Pool& pool, std::vector<Endpoint> endpoints,
                                              const std::string& file) {
  auto tls = tls::PoolTls::load(pool, file, protocol_of(pool).alpn());
  return std::make_shared<const PoolLayout>(PoolLayout{pool, std::move(endpoints), std::move(tls)});
}

std::runtime_error pool_error(const config::Pool& pool, const std::string& what, const std::error_code& ec) {
  return std::runtime_error("pool '" + pool.name + "': " + what + ": " + ec.message());
}

// A TCP listener of one worker: SO_REUSEPORT lets every worker bind the same address.
Acceptor listen_tcp(asio::io_context& io, const config::Pool& pool, const Endpoint& endpoint) {
  std::error_code ec;
  Acceptor acceptor = open_listener(io, endpoint, static_cast<int>(pool.backlog), /*share_port=*/true, ec);
  if (ec) throw pool_error(pool, "cannot listen on " + pool.listen.text, ec);
  return acceptor;
}

// Fails when another process already listens on the pool's address. The per-worker listeners use
// SO_REUSEPORT, which would otherwise share the port silently with any other SO_REUSEPORT listener
// (a second ringleader): a socket bound without it is refused with EADDRINUSE by such a listener.
void check_address_free(const config::Pool& pool, const Endpoint& endpoint) {
  asio::io_context io;
  std::error_code ec;
  Acceptor probe(io);
  probe.open(endpoint.protocol(), ec);
  if (!ec) probe.set_option(asio::socket_base::reuse_address(true), ec);  // a TIME_WAIT socket is no user
  if (!ec) probe.bind(endpoint, ec);
  if (ec == asio::error::address_in_use)
    throw std::runtime_error("pool '" + pool.name + "': cannot listen on " + pool.listen.text +
                             ": address in use (another process listens there)");
  if (ec) throw pool_error(pool, "cannot listen on " + pool.listen.text, ec);
}

// Why a reload cannot apply `b` to the running pool `a`, whose listeners are open already on the
// same address, or empty. (A pool that moves to another address is replaced: removed and added.)
std::string needs_restart(const config::Pool& a, const config::Pool& b) {
  if (a.protocol != b.protocol)
    return "protocol changed (" + a.protocol + " to " + b.protocol + ") on the same listen address";
  if (a.backlog != b.backlog) return "backlog changed on the same listen address";
  return {};
}

// How many of `a`'s server addresses are not in `b`.
std::size_t missing_from(const config::Pool& a, const config::Pool& b) {
  std::unordered_set<std::string> in_b;
  for (const auto& server : b.servers) in_b.insert(server.address());
  return static_cast<std::size_t>(std::count_if(a.servers.begin(), a.servers.end(),
                                                [&](const config::Server& s) { return !in_b.contains(s.address()); }));
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

// Large values are read into blocks of up to 256 KiB (and buffers of a value's size), freed as soon
// as they are written (blocks of exactly 256 KiB to BlockPool, larger buffers to LargeBuffers,
// which keep them for a while: buffers.hpp).
// Served by their own mmap (glibc's default above 128 KiB), each would cost a page fault and a
// zeroed page per 4 KiB, which took more CPU than copying the value (issue 28: 8-14x nutcracker's
// CPU per byte at 100-200 KB). So blocks up to 4 MiB come from glibc's heaps, and freeing them
// shrinks a heap only past 4 MiB free at its top, so the next value finds them mapped. Not more:
// malloc_trim() gives back the free pages inside a heap but not the free top of a thread's heap,
// which a larger trim threshold kept resident after a burst (43 MiB idle in the leaks test at
// 32 MiB). Fixed values also turn off glibc's own adjustment, under which a burst of large values
// stayed resident for the life of the process (3.5 GB idle, once).
void reuse_large_buffers() {
  constexpr int kReused = 4 * 1024 * 1024;
  ::mallopt(M_MMAP_THRESHOLD, kReused);
  ::mallopt(M_TRIM_THRESHOLD, kReused);
}

// glibc returns only the top of each of its heaps to the system; the pages of small blocks freed
// below it (a client's 16 KiB read buffer, a session, a reply) stay resident. After three bursts of
// 3,000 short connections the idle proxy kept 66 MiB (baseline 7 MiB); malloc_trim() gives every
// whole free page back (18 MiB left). It walks each heap under that heap's lock, so it runs on this
// thread only every kTrimPeriod, and costs nothing when little is free.
void give_free_pages_back() {
  const auto start = std::chrono::steady_clock::now();
  BlockPool::release_unused();
  LargeBuffers::release_unused();
  const bool released = ::malloc_trim(0) != 0;
  const auto took = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start);
  if (released) log::debug("free memory returned to the system", {{"took_us", std::to_string(took.count())}});
}

}  // namespace

struct Server::Worker {
  asio::io_context io{1};  // run by one thread only
  std::vector<std::unique_ptr<PoolWorker>> pools;  // by pool index; touched only on this thread once it runs
  std::thread thread;
};

struct Server::RunningPool {
  std::size_t index;    // in stats_ and in every worker's pools
  RouteTable routes;    // read by the pool's workers, also after the pool is removed
  std::shared_ptr<PoolHealth> health;  // of the current layout
  bool removed = false;  // by a reload: its workers accept no new clients

  /// The pool as last applied.
  const config::Pool& config() const noexcept { return health->pool(); }
};

// Every worker's listener for `pool`, listening already: SO_REUSEPORT sockets for TCP, duplicates of
// one socket for a unix path.
std::vector<Acceptor> Server::open_listeners(const config::Pool& pool, const ResolvedPool& resolved) {
  std::vector<Acceptor> listeners;
  if (pool.listen.is_unix()) {
    Acceptor shared = listen_unix(workers_[0]->io, pool);
    const auto protocol = Endpoint(asio::local::stream_protocol::endpoint(pool.listen.unix_path)).protocol();
    for (auto& worker : workers_) {
      UniqueFd fd(::dup(shared.native_handle()));  // owned until the acceptor holds it
      if (!fd) throw std::runtime_error("pool '" + pool.name + "': cannot share the unix listener");
      listeners.emplace_back(worker->io, protocol, fd.get());
      fd.release();
    }
    return listeners;
  }
  const Endpoint& endpoint = resolved.listen_or_throw();
  check_address_free(pool, endpoint);
  for (auto& worker : workers_) listeners.push_back(listen_tcp(worker->io, pool, endpoint));
  return listeners;
}

void Server::add_pool(std::shared_ptr<const PoolLayout> layout, std::vector<Acceptor> listeners, bool running) {
  auto pool = std::make_unique<RunningPool>();
  pool->index = stats_->add_pool(layout->pool);
  pool->health = PoolHealth::create(std::move(layout), pool->routes);
  for (unsigned w = 0; w < workers_.size(); ++w) {
    auto make = [this, w, index = pool->index, &routes = pool->routes, running,
                 listener = std::make_shared<Acceptor>(std::move(listeners[w]))] {
      Worker& worker = *workers_[w];
      worker.pools.push_back(std::make_unique<PoolWorker>(worker.io, routes, std::move(*listener), *stats_, w, index));
      if (running) worker.pools.back()->start();
    };
    if (running) {
      asio::post(workers_[w]->io, std::move(make));  // on the worker's thread, like all it owns
    } else {
      make();
    }
  }
  if (checker_) checker_->watch(pool->health);
  pools_.push_back(std::move(pool));
}

Server::Server(config::Config config, unsigned threads, std::chrono::milliseconds drain_timeout)
    : drain_timeout_(drain_timeout) {
  check_protocols(config);
  reuse_large_buffers();
  if (threads == 0) threads = 1;
  stats_ = std::make_unique<stats::Registry>(threads);
  for (unsigned t = 0; t < threads; ++t) workers_.push_back(std::make_unique<Worker>());
  for (const auto& pool : config.pools) {
    const ResolvedPool resolved = resolve(pool);
    auto layout = make_layout(pool, resolved.servers_or_throw(), config.file);
    add_pool(std::move(layout), open_listeners(pool, resolved), false);
  }
}

Server::~Server() {
  stop();
  for (auto& worker : workers_) {
    if (worker->thread.joinable()) worker->thread.join();
  }
  for (const auto& pool : pools_) {
    std::error_code ec;
    if (!pool->removed && pool->config().listen.is_unix()) std::filesystem::remove(pool->config().listen.unix_path, ec);
  }
}

void Server::stop() {
  stopping_ = true;
  for (auto& worker : workers_) worker->io.stop();
}

struct Server::ReloadPlan {
  struct NewPool {
    std::shared_ptr<const PoolLayout> layout;
    std::vector<Acceptor> listeners;  // listening already
  };
  std::vector<std::pair<RunningPool*, std::shared_ptr<const PoolLayout>>> changed;
  std::vector<NewPool> added;
  std::vector<RunningPool*> removed;  // a pool that moved to another address is also in added
};

Server::RunningPool* Server::running(const std::string& name) {
  for (auto& pool : pools_) {
    if (!pool->removed && pool->config().name == name) return pool.get();
  }
  return nullptr;
}

std::future<bool> Server::set_members(std::string pool, std::vector<config::Server> members) {
  std::string key = "members of " + pool;
  return changes_.push(std::move(key), [this, pool = std::move(pool), members = std::move(members)](std::promise<bool> done) mutable {
    // Only the servers that are not removed are resolved and connected; the removed keep their slots.
    config::Pool lines;
    config::set_server_lines(lines, std::move(members));
    std::vector<Endpoint> endpoints;
    try {
      endpoints = resolve_servers(pool, lines.servers);
    } catch (const std::exception& e) {
      log::error("membership change failed", {{"pool", pool}, {"error", e.what()}});
      done.set_value(false);
      return;
    }
    asio::post(control_, [this, pool = std::move(pool), lines = std::move(lines), endpoints = std::move(endpoints),
                          done = std::move(done)]() mutable {
      done.set_value(apply_members(pool, std::move(lines.servers), std::move(lines.removed), std::move(endpoints)));
    });
  });
}

std::future<bool> Server::set_config(std::string source, std::function<config::Config()> read) {
  std::string key = "config " + source;
  return changes_.push(std::move(key), [this, source = std::move(source), read = std::move(read)](std::promise<bool> done) {
    auto fresh = std::make_shared<config::Config>();
    try {
      *fresh = read();
    } catch (const std::exception& e) {
      log::error("config reload failed", {{"file", source}, {"error", e.what()}});
      done.set_value(false);
      return;
    }
    // Every pool's names, although only the changed pools need theirs: which pools changed is known
    // only on run()'s thread, and a lookup must not happen there.
    std::vector<ResolvedPool> resolved;
    for (const auto& pool : fresh->pools) resolved.push_back(resolve(pool));
    asio::post(control_, [this, source, fresh, resolved = std::move(resolved), done = std::move(done)]() mutable {
      done.set_value(apply_config(source, *fresh, resolved));
    });
  });
}

void Server::on_reload(std::function<void()> reread) { on_reload_.push_back(std::move(reread)); }

bool Server::apply_members(const std::string& name, std::vector<config::Server> members,
                           std::vector<config::Server> removed, std::vector<Endpoint> endpoints) {
  ReloadPlan plan;
  try {
    RunningPool* pool = running(name);
    if (pool == nullptr) throw std::runtime_error("no such pool");
    config::Pool fresh = pool->config();
    fresh.servers = std::move(members);
    fresh.removed = std::move(removed);
    config::check_unique_names(fresh, "members");
    config::make_placement(fresh);  // validates: at least one server, names that fit the distribution
    if (fresh.same_settings(pool->config())) return true;
    plan.changed.emplace_back(pool, std::make_shared<const PoolLayout>(
                                        PoolLayout{std::move(fresh), std::move(endpoints), pool->health->layout().tls}));
  } catch (const std::exception& e) {
    log::error("membership change failed", {{"pool", name}, {"error", e.what()}});
    return false;
  }
  apply(plan);
  return true;
}

bool Server::apply_config(const std::string& source, const config::Config& fresh,
                          const std::vector<ResolvedPool>& resolved) {
  // Validate and listen first: a config that fails changes nothing.
  ReloadPlan plan;
  try {
    plan_reload(fresh, resolved, plan);
  } catch (const std::exception& e) {
    for (const auto& pool : plan.added) {  // its listeners close with it; a unix one leaves its file
      std::error_code ec;
      if (pool.layout->pool.listen.is_unix()) std::filesystem::remove(pool.layout->pool.listen.unix_path, ec);
    }
    log::error("config reload failed", {{"file", source}, {"error", e.what()}});
    return false;
  }
  apply(plan);
  const auto active = std::count_if(pools_.begin(), pools_.end(), [](const auto& p) { return !p->removed; });
  const auto moved = std::count_if(plan.removed.begin(), plan.removed.end(),
                                   [&](const RunningPool* p) { return running(p->config().name) != nullptr; });
  const auto changed = plan.changed.size() + plan.added.size() + plan.removed.size() - moved;
  log::info("config reloaded",
            {{"file", source}, {"pools", std::to_string(active)}, {"changed", std::to_string(changed)}});
  return true;
}

void Server::plan_reload(const config::Config& fresh, const std::vector<ResolvedPool>& resolved, ReloadPlan& plan) {
  check_protocols(fresh);
  for (std::size_t i = 0; i < fresh.pools.size(); ++i) {
    const config::Pool& pool = fresh.pools[i];
    RunningPool* old = running(pool.name);
    if (old != nullptr && old->config().same_settings(pool)) {
      reread_certificates(*old, fresh.file);
      continue;
    }
    const bool moved = old != nullptr && old->config().listen.text != pool.listen.text;
    if (old != nullptr && !moved) {
      if (const std::string reason = needs_restart(old->config(), pool); !reason.empty()) {
        log::warn("pool change needs a restart", {{"pool", pool.name}, {"reason", reason}});
        continue;
      }
    }
    config::make_placement(pool);  // validates hash and distribution
    auto layout = make_layout(pool, resolved[i].servers_or_throw(), fresh.file);
    if (old == nullptr || moved) {
      plan.added.push_back({std::move(layout), open_listeners(pool, resolved[i])});
      if (moved) plan.removed.push_back(old);
    } else {
      plan.changed.emplace_back(old, std::move(layout));
    }
  }
  for (auto& pool : pools_) {
    const auto& name = pool->config().name;
    if (!pool->removed && std::none_of(fresh.pools.begin(), fresh.pools.end(),
                                       [&](const config::Pool& p) { return p.name == name; }))
      plan.removed.push_back(pool.get());
  }
}

void Server::reread_certificates(const RunningPool& pool, const std::string& file) {
  const auto& tls = pool.health->layout().tls;
  if (!tls) return;
  try {
    tls->reload(pool.config(), file, protocol_of(pool.config()).alpn());
  } catch (const std::exception& e) {
    log::error("TLS certificates not reloaded: the pool keeps those it had",
               {{"pool", pool.config().name}, {"error", e.what()}});
  }
}

void Server::apply(ReloadPlan& plan) {
  // A changed pool gets new routes, which each worker adopts before it routes its next request.
  for (auto& [pool, layout] : plan.changed) {
    const config::Pool& fresh = layout->pool;
    log::info("pool reloaded", {{"pool", fresh.name},
                                {"servers", std::to_string(fresh.servers.size())},
                                {"added", std::to_string(missing_from(fresh, pool->config()))},
                                {"removed", std::to_string(missing_from(pool->config(), fresh))}});
    if (const auto share = config::needless_moves(pool->config(), fresh))
      log::warn("placement moves keys of servers that stay",
                {{"pool", fresh.name}, {"share", std::to_string(*share)}, {"warning", config::needless_moves_warning(fresh, *share)}});
    stats_->update(pool->index, fresh);
    pool->health->retire();
    pool->health = PoolHealth::create(layout, pool->routes, pool->health.get());
    if (checker_) checker_->watch(pool->health);
  }
  // Removed before added: a pool that moved to another address has its name in both.
  for (RunningPool* pool : plan.removed) {
    // Its clients stay connected and served; new ones are refused (the listeners close).
    log::info("pool removed", {{"pool", pool->config().name}, {"listen", pool->config().listen.text}});
    pool->removed = true;
    pool->health->retire();
    if (checker_) checker_->unwatch(pool->config().name);
    stats_->remove_pool(pool->index);
    for (auto& worker : workers_) {
      asio::post(worker->io, [w = worker.get(), index = pool->index] { w->pools[index]->stop_accepting(); });
    }
    const auto& path = pool->config().listen.unix_path;
    const bool reused = std::any_of(plan.added.begin(), plan.added.end(),
                                    [&](const auto& a) { return a.layout->pool.listen.unix_path == path; });
    std::error_code ec;
    if (!path.empty() && !reused) std::filesystem::remove(path, ec);
  }
  for (auto& pool : plan.added) {
    const config::Pool& fresh = pool.layout->pool;
    log::info("pool added", {{"pool", fresh.name}, {"listen", fresh.listen.text},
                             {"servers", std::to_string(fresh.servers.size())}});
    add_pool(std::move(pool.layout), std::move(pool.listeners), true);
  }
  for (auto& worker : workers_) {
    asio::post(worker->io, [w = worker.get()] {
      for (auto& pool : w->pools) pool->refresh();
    });
  }
}

void Server::drain() {
  for (auto& worker : workers_) {
    asio::post(worker->io, [w = worker.get()] {
      for (auto& pool : w->pools) pool->stop_accepting();
    });
  }
  // Each round asks every worker (on its own thread) whether a request is still with a server; two
  // quiet rounds in a row mean the replies are answered and handed to the clients' writers.
  const auto deadline = std::chrono::steady_clock::now() + drain_timeout_;
  int quiet = 0;
  while (quiet < 2 && std::chrono::steady_clock::now() < deadline) {
    auto busy = std::make_shared<std::atomic<int>>(0);
    auto answered = std::make_shared<std::atomic<std::size_t>>(0);
    for (auto& worker : workers_) {
      asio::post(worker->io, [w = worker.get(), busy, answered] {
        for (auto& pool : w->pools) {
          if (pool->busy()) ++*busy;
        }
        ++*answered;
      });
    }
    // A worker with nothing left to do (no client, no server connection) has left io.run() and will
    // never answer: it counts as quiet.
    const auto settled = [&] {
      std::size_t count = *answered;
      for (auto& worker : workers_) count += worker->io.stopped() ? 1 : 0;
      return count >= workers_.size();
    };
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    while (!settled() && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    quiet = (settled() && *busy == 0) ? quiet + 1 : 0;
  }
  if (quiet < 2) log::warn("shutdown: requests still in flight after the drain timeout");
  stop();
}

void Server::run() {
  // Replies to a client that has gone away must not kill the process.
  ::signal(SIGPIPE, SIG_IGN);
  asio::signal_set incoming(control_);
  for (int signal : signals::kHandled) incoming.add(signal);
  bool shutdown = false;
  std::function<void(const std::error_code&, int)> on_signal = [&](const std::error_code& ec, int signal) {
    if (ec) return;
    switch (signals::handle(signal)) {
      case signals::Action::shut_down:
        shutdown = true;
        return;
      case signals::Action::reload:
        for (const auto& reread : on_reload_) reread();
        break;
      case signals::Action::none:
        break;
    }
    incoming.async_wait(on_signal);
  };
  incoming.async_wait(on_signal);
  for (auto& worker : workers_) {
    for (auto& pool : worker->pools) pool->start();
    worker->thread = std::thread([&io = worker->io] { io.run(); });
  }
  checker_ = std::make_unique<HealthChecker>();
  for (const auto& pool : pools_) checker_->watch(pool->health);
  asio::steady_timer trim(control_);
  std::function<void(const std::error_code&)> on_trim = [&](const std::error_code& ec) {
    if (ec) return;
    give_free_pages_back();
    trim.expires_after(kTrimPeriod);
    trim.async_wait(on_trim);
  };
  trim.expires_after(kTrimPeriod);
  trim.async_wait(on_trim);
  while (!stopping_ && !shutdown) control_.run_for(std::chrono::milliseconds(100));
  if (shutdown) {
    log::info("shutting down", {{"drain_timeout_ms", std::to_string(drain_timeout_.count())}});
    drain();
  }
  for (auto& worker : workers_) worker->thread.join();
}

}  // namespace ringleader::proxy
