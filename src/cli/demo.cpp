// `ringleader demo`: consistent hashing's promise, measured on real memcached servers.
//
// Four pizza drivers, one calls in sick: with consistent hashing only his orders are handed to the
// others; with modulo almost every order changes hands. The demo starts N memcached servers and
// `ringleader serve` in front of them with four pools side by side (consistent hashing, modula,
// consistent hashing with two copies of each key: `replicas: 2`, and consistent hashing with
// `warmup_ms`, which joins the last act), writes K keys through each, stops
// one server and reads every key back once the proxy has ejected it (auto_eject_hosts, as twemproxy
// does): ~75%, ~25% and ~100% are still found. Then it restarts that server (the proxy's health check
// takes it back), writes every key again, adds a fifth server by hot reload (SIGHUP: the proxy keeps
// running) and counts the keys that moved, and the reads that missed in the three pools without
// replicas (the warm-up pool's miss close to none), then again once the misses are written back. It
// also draws the pictures. What the proxy did (an
// ejection, a return, a reload) it learns from the proxy's stats port, as an operator would.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <system_error>
#include <thread>
#include <utility>

#include "cli/commands.hpp"
#include "cli/memcache_client.hpp"
#include "cli/pictures.hpp"
#include "cli/proxy_stats.hpp"
#include "ringleader/distribution.hpp"
#include "ringleader/placement.hpp"
#include "support/child_process.hpp"
#include "support/ports.hpp"

namespace ringleader::cli {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// The warm-up pool's window: longer than the demo, so its reads after the join all fall inside it.
constexpr std::uint32_t kWarmUpMs = 600'000;
using support::ChildProcess;

struct DemoOptions {
  std::size_t servers = 4;
  std::size_t keys = 100'000;
  std::string algorithm = "ketama";
  std::uint16_t first_port = 0;  // 0: free ports chosen automatically
  std::string out_dir = "demo-output";
};

// The ports the demo uses, checked free: the first `count` after `first` or fresh free ones.
std::vector<std::uint16_t> pick_ports(std::size_t count, std::uint16_t first) {
  std::vector<std::uint16_t> ports;
  for (std::size_t i = 0; i < count; ++i) {
    std::uint16_t p = first ? static_cast<std::uint16_t>(first + i) : support::free_port();
    // The kernel may hand out a port it just gave us again: every process needs its own.
    while (!first && std::find(ports.begin(), ports.end(), p) != ports.end()) p = support::free_port();
    if (first && support::accepting(p))
      throw std::runtime_error("port " + std::to_string(p) + " on 127.0.0.1 is busy; choose another --port");
    ports.push_back(p);
  }
  return ports;
}

class Demo {
 public:
  explicit Demo(DemoOptions o) : o_(std::move(o)) {}
  void run();

 private:
  struct Server {
    std::uint16_t port;
    std::unique_ptr<ChildProcess> process;
  };

  void start_server(std::size_t i);
  void write_config(const std::vector<std::size_t>& members);
  void start_proxy(const std::vector<std::size_t>& members);
  void reload_proxy(std::size_t joining, const std::vector<std::size_t>& members);
  /// `counter` of server `i` in each pool, read from the stats port: {consistent, modulo}.
  std::pair<std::uint64_t, std::uint64_t> counters(std::size_t i, const std::string& counter) const;
  /// Probes both pools until `counter` of server `i` differs from `before` (counters()) in each.
  void probe_until_changed(const std::string& what, std::size_t i, const std::string& counter,
                           std::pair<std::uint64_t, std::uint64_t> before, const std::string& consistent_key,
                           const std::string& modulo_key);
  fs::path proxy_log() const { return dir_ / "proxy.log"; }
  fs::path server_log(std::size_t i) const { return dir_ / ("memcached-" + std::to_string(i + 1) + ".log"); }
  static std::string server_name(std::size_t i) { return "server" + std::to_string(i + 1); }
  /// Polls `done` every 20 ms until it returns true; after 10 s throws "the proxy did not <what> ...".
  template <class Done>
  void wait_for_proxy(const std::string& what, Done done) const {
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < deadline) {
      if (done()) return;
      std::this_thread::sleep_for(20ms);
    }
    throw std::runtime_error("the proxy did not " + what + " within 10 s (see " + proxy_log().string() + ")");
  }
  std::vector<std::string> keys_of(const std::string& pool) const;
  std::vector<int> owners(const std::vector<std::string>& keys);
  /// holds[s][k]: server s holds key k (a key of the replicated pool is on two servers).
  std::vector<std::vector<bool>> holders(const std::vector<std::string>& keys);
  std::size_t write_all(std::uint16_t pool_port, const std::vector<std::string>& keys);

  DemoOptions o_;
  fs::path dir_;
  std::vector<Server> servers_;
  std::uint16_t consistent_port_ = 0, modulo_port_ = 0, replicated_port_ = 0, warmup_port_ = 0, stats_port_ = 0;
  std::unique_ptr<ChildProcess> proxy_;
};

void Demo::start_server(std::size_t i) {
  auto& s = servers_[i];
  std::vector<std::string> argv{"memcached", "-l", "127.0.0.1", "-p", std::to_string(s.port), "-U", "0",
                                "-m", "512", "-t", "1"};
  if (geteuid() == 0) argv.insert(argv.end(), {"-u", "root"});  // memcached refuses root without -u
  const fs::path log = server_log(i);
  try {
    s.process = std::make_unique<ChildProcess>(std::move(argv), log.string());
  } catch (const std::system_error& e) {
    if (e.code() != std::errc::no_such_file_or_directory) throw;
    throw std::runtime_error("memcached is not installed (Debian package 'memcached'; scripts/install-deps installs it)");
  }
  // A port taken meanwhile by another program would answer for a memcached that exited at once.
  if (!support::wait_until_accepting(s.port, 5s) || !s.process->running()) {
    std::string why;
    std::getline(std::ifstream(log), why);
    throw std::runtime_error("memcached did not start on 127.0.0.1:" + std::to_string(s.port) + ": " + why +
                             " (see " + log.string() + ")");
  }
}

void Demo::write_config(const std::vector<std::size_t>& members) {
  std::ofstream cfg(dir_ / "ringleader.yml");
  auto pool = [&](const char* name, std::uint16_t port, const std::string& distribution, int replicas,
                  std::uint32_t warmup_ms = 0) {
    // twemproxy's distributions with twemproxy's default hash; ringleader's with theirs (xxh3).
    const bool twemproxy = find_distribution(distribution)->twemproxy();
    cfg << name << ":\n  listen: 127.0.0.1:" << port << (twemproxy ? "\n  hash: fnv1a_64" : "")
        << "\n  distribution: " << distribution << "\n  timeout: 2000\n  auto_eject_hosts: true\n  server_failure_limit: 1\n"
        << "  server_retry_timeout: 1000\n";
    if (replicas > 1) cfg << "  replicas: " << replicas << "\n";
    if (warmup_ms > 0) cfg << "  warmup_ms: " << warmup_ms << "\n";
    cfg << "  servers:\n";
    for (std::size_t i : members) cfg << "   - 127.0.0.1:" << servers_[i].port << ":1 " << server_name(i) << "\n";
  };
  pool("consistent", consistent_port_, o_.algorithm, 1);
  pool("modulo", modulo_port_, "modula", 1);
  pool("replicated", replicated_port_, o_.algorithm, 2);
  pool("warmup", warmup_port_, o_.algorithm, 1, kWarmUpMs);
}

// Starts `ringleader serve` over the given servers, once: later changes go by hot reload.
void Demo::start_proxy(const std::vector<std::size_t>& members) {
  write_config(members);
  char self[4096];
  ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
  if (len <= 0) throw std::runtime_error("cannot find the ringleader executable (/proc/self/exe)");
  self[len] = '\0';
  proxy_ = std::make_unique<ChildProcess>(
      std::vector<std::string>{self, "serve", "-c", (dir_ / "ringleader.yml").string(), "--threads", "2", "-s",
                               std::to_string(stats_port_), "-a", "127.0.0.1"},
      proxy_log().string());
  if (!support::wait_until_accepting(consistent_port_, 5s) || !support::wait_until_accepting(modulo_port_, 5s) ||
      !support::wait_until_accepting(replicated_port_, 5s) || !support::wait_until_accepting(warmup_port_, 5s) ||
      !support::wait_until_accepting(stats_port_, 5s))
    throw std::runtime_error("ringleader serve did not start (see " + proxy_log().string() + ")");
}

std::pair<std::uint64_t, std::uint64_t> Demo::counters(std::size_t i, const std::string& counter) const {
  const ProxyStats stats(stats_port_);
  return {stats.server_counter("consistent", server_name(i), counter),
          stats.server_counter("modulo", server_name(i), counter)};
}

// Hot reload: rewrites the config and sends SIGHUP; the proxy keeps running and keeps its client
// connections. Done once every pool list the joining server in the stats. A config the proxy
// rejects (or a pool it cannot change live, which keeps its old servers) never gets there: the
// demo then fails after 10 s, pointing at the proxy's log, which says why.
void Demo::reload_proxy(std::size_t joining, const std::vector<std::size_t>& members) {
  write_config(members);
  proxy_->signal(SIGHUP);
  wait_for_proxy("add " + server_name(joining) + " to every pool after SIGHUP", [&] {
    const ProxyStats stats(stats_port_);
    return stats.lists("consistent", server_name(joining)) && stats.lists("modulo", server_name(joining)) &&
           stats.lists("replicated", server_name(joining)) && stats.lists("warmup", server_name(joining));
  });
}

// Each round sends a get for each pool's probe key (one that fails is expected while the server it
// goes to is down and not yet ejected), then reads the stats.
void Demo::probe_until_changed(const std::string& what, std::size_t i, const std::string& counter,
                               std::pair<std::uint64_t, std::uint64_t> before, const std::string& consistent_key,
                               const std::string& modulo_key) {
  wait_for_proxy(what, [&] {
    for (auto [port, key] : {std::pair{consistent_port_, &consistent_key}, std::pair{modulo_port_, &modulo_key}}) {
      try {
        MemcacheClient(port).present(std::vector<std::string>{*key});
      } catch (const std::runtime_error&) {
      }
    }
    const auto now = counters(i, counter);
    return now.first != before.first && now.second != before.second;
  });
}

std::vector<std::string> Demo::keys_of(const std::string& pool) const {
  std::vector<std::string> keys(o_.keys);
  for (std::size_t i = 0; i < o_.keys; ++i) keys[i] = pool + ":order:" + std::to_string(i);
  return keys;
}

// Which server holds each key, asked of the servers themselves (-1: none).
std::vector<int> Demo::owners(const std::vector<std::string>& keys) {
  std::vector<int> owner(keys.size(), -1);
  for (std::size_t s = 0; s < servers_.size(); ++s) {
    if (!servers_[s].process || !servers_[s].process->running()) continue;
    auto found = MemcacheClient(servers_[s].port).present(keys);
    for (std::size_t k = 0; k < keys.size(); ++k)
      if (found[k]) owner[k] = static_cast<int>(s);
  }
  return owner;
}

std::vector<std::vector<bool>> Demo::holders(const std::vector<std::string>& keys) {
  std::vector<std::vector<bool>> holds(servers_.size(), std::vector<bool>(keys.size(), false));
  for (std::size_t s = 0; s < servers_.size(); ++s)
    if (servers_[s].process && servers_[s].process->running()) holds[s] = MemcacheClient(servers_[s].port).present(keys);
  return holds;
}

std::size_t Demo::write_all(std::uint16_t pool_port, const std::vector<std::string>& keys) {
  return MemcacheClient(pool_port).set_many(keys, "pepperoni");
}

void Demo::run() {
  if (o_.servers < 2) throw std::runtime_error("--servers must be at least 2");
  fs::create_directories(o_.out_dir);
  dir_ = fs::absolute(o_.out_dir);
  // The children append to their logs: remove an earlier run's so that the folder tells of this one.
  fs::remove(proxy_log());
  for (std::size_t i = 0; i <= o_.servers; ++i) fs::remove(server_log(i));
  auto ports = pick_ports(o_.servers + 6, o_.first_port);
  consistent_port_ = ports[o_.servers + 1];
  modulo_port_ = ports[o_.servers + 2];
  stats_port_ = ports[o_.servers + 3];
  replicated_port_ = ports[o_.servers + 4];
  warmup_port_ = ports[o_.servers + 5];
  for (std::size_t i = 0; i <= o_.servers; ++i) servers_.push_back({ports[i], nullptr});

  std::vector<std::size_t> members;
  for (std::size_t i = 0; i < o_.servers; ++i) {
    start_server(i);
    members.push_back(i);
  }
  start_proxy(members);

  std::printf("%zu memcached servers on 127.0.0.1 ports", o_.servers);
  for (std::size_t i = 0; i < o_.servers; ++i) std::printf(" %u", servers_[i].port);
  std::printf("; ringleader (pid %d) in front: pool 'consistent' (%s) on %u, pool 'modulo' (modula) on %u, "
              "pool 'replicated' (%s, replicas: 2) on %u, pool 'warmup' (%s, warmup_ms: %u) on %u\n\n",
              static_cast<int>(proxy_->pid()), o_.algorithm.c_str(), consistent_port_, modulo_port_,
              o_.algorithm.c_str(), replicated_port_, o_.algorithm.c_str(), kWarmUpMs, warmup_port_);

  // Act 1: one server calls in sick.
  const auto consistent_keys = keys_of("consistent"), modulo_keys = keys_of("modulo");
  const auto replicated_keys = keys_of("replicated");
  std::printf("Writing %zu keys through each pool...\n", o_.keys);
  write_all(consistent_port_, consistent_keys);
  write_all(modulo_port_, modulo_keys);
  write_all(replicated_port_, replicated_keys);
  const auto consistent_owner = owners(consistent_keys), modulo_owner = owners(modulo_keys);
  const auto replicated_holders = holders(replicated_keys);

  const std::size_t sick = o_.servers - 1;
  std::printf("Stopping server%zu (port %u); the proxy ejects it (auto_eject_hosts) and reads every key back...\n\n",
              sick + 1, servers_[sick].port);
  // The proxy ejects the server (server_failure_limit: 1) when its connections to it drop, or when a
  // request for one of its keys fails; the stats note when (server_ejected_at) once the pool is
  // rebuilt without it.
  auto key_on = [&](const std::vector<std::string>& keys, const std::vector<int>& owner) {
    const auto at = std::find(owner.begin(), owner.end(), static_cast<int>(sick));
    return at == owner.end() ? keys.front() : keys[static_cast<std::size_t>(at - owner.begin())];
  };
  const std::string consistent_probe = key_on(consistent_keys, consistent_owner);
  const std::string modulo_probe = key_on(modulo_keys, modulo_owner);
  const auto ejected_at = counters(sick, "server_ejected_at");
  servers_[sick].process->stop();
  probe_until_changed("eject the stopped server", sick, "server_ejected_at", ejected_at, consistent_probe, modulo_probe);

  auto consistent_found = MemcacheClient(consistent_port_).present(consistent_keys);
  auto modulo_found = MemcacheClient(modulo_port_).present(modulo_keys);
  // The replicated pool's reads fail over to a key's other copy whether or not it has ejected the
  // server yet.
  const auto replicated_found = MemcacheClient(replicated_port_).present(replicated_keys);
  LiveRun live;
  live.stopped = sick;
  live.consistent.name = "consistent (" + o_.algorithm + ")";
  live.modulo.name = "modulo (modula)";
  const std::string replicated_name = "replicated (" + o_.algorithm + ", 2 copies)";
  std::printf("%-10s %26s %26s %26s\n", "keys found", live.consistent.name.c_str(), live.modulo.name.c_str(),
              replicated_name.c_str());
  std::size_t total_c = 0, total_m = 0, total_r = 0;
  for (bool f : replicated_found) total_r += f;
  for (std::size_t s = 0; s < o_.servers; ++s) {
    // The replicated pool's row counts the keys with a copy on the server: each key is on two rows.
    std::size_t held_c = 0, held_m = 0, held_r = 0, found_c = 0, found_m = 0, found_r = 0;
    for (std::size_t k = 0; k < o_.keys; ++k) {
      if (consistent_owner[k] == static_cast<int>(s)) held_c++, found_c += consistent_found[k];
      if (modulo_owner[k] == static_cast<int>(s)) held_m++, found_m += modulo_found[k];
      if (replicated_holders[s][k]) held_r++, found_r += replicated_found[k];
    }
    total_c += found_c;
    total_m += found_m;
    live.consistent.held.push_back(held_c);
    live.consistent.found.push_back(found_c);
    live.modulo.held.push_back(held_m);
    live.modulo.found.push_back(found_m);
    std::printf("server%-4zu %12zu / %-6zu%6.1f%% %12zu / %-6zu%6.1f%% %12zu / %-6zu%6.1f%%%s\n", s + 1, found_c,
                held_c, held_c ? 100.0 * found_c / held_c : 0.0, found_m, held_m,
                held_m ? 100.0 * found_m / held_m : 0.0, found_r, held_r, held_r ? 100.0 * found_r / held_r : 0.0,
                s == sick ? "  (stopped)" : "");
  }
  std::printf("%-10s %12zu / %-6zu%6.1f%% %12zu / %-6zu%6.1f%% %12zu / %-6zu%6.1f%%\n\n", "total", total_c, o_.keys,
              100.0 * total_c / o_.keys, total_m, o_.keys, 100.0 * total_m / o_.keys, total_r, o_.keys,
              100.0 * total_r / o_.keys);
  live.consistent.found_share = static_cast<double>(total_c) / static_cast<double>(o_.keys);
  live.modulo.found_share = static_cast<double>(total_m) / static_cast<double>(o_.keys);

  // Act 2: a new driver joins. Back to N servers with every key written, then add one more. The
  // restarted server is empty, and every key is written again so that each is on its owner of the N.
  std::printf("Restarting server%zu (empty); the proxy's health check takes it back; writing every key again...\n",
              sick + 1);
  // Ejected, the server gets no requests; once the health check (every server_retry_timeout, 1 s)
  // has taken it back in both pools, each pool's probe reaches it and the stats count a request.
  const auto requests = counters(sick, "requests");
  servers_[sick].process.reset();
  start_server(sick);
  probe_until_changed("take the restarted server back", sick, "requests", requests, consistent_probe, modulo_probe);
  write_all(consistent_port_, consistent_keys);
  write_all(modulo_port_, modulo_keys);
  const auto warmup_keys = keys_of("warmup");
  write_all(warmup_port_, warmup_keys);
  const std::size_t joining = o_.servers;
  start_server(joining);
  members.push_back(joining);
  std::printf("Starting server%zu (port %u) and adding it to every pool by hot reload "
              "(SIGHUP to pid %d, no restart)...\n",
              joining + 1, servers_[joining].port, static_cast<int>(proxy_->pid()));
  reload_proxy(joining, members);
  consistent_found = MemcacheClient(consistent_port_).present(consistent_keys);
  modulo_found = MemcacheClient(modulo_port_).present(modulo_keys);
  auto moved = [&](const std::vector<bool>& found) {
    std::size_t missing = 0;
    for (bool f : found) missing += !f;
    return 100.0 * static_cast<double>(missing) / static_cast<double>(found.size());
  };
  std::printf("keys moved: consistent %.1f%%, modulo %.1f%% (optimum: 1/%zu = %.1f%%)\n\n", moved(consistent_found),
              moved(modulo_found), o_.servers + 1, 100.0 / static_cast<double>(o_.servers + 1));
  live.consistent.moved_share = moved(consistent_found) / 100;
  live.modulo.moved_share = moved(modulo_found) / 100;
  // The same join as an application sees it: every key read once (a miss is written back, as a
  // cache-aside application does), then read again a moment later.
  const auto warmup_found = MemcacheClient(warmup_port_).present(warmup_keys);
  auto& misses = live.misses;
  misses = {moved(modulo_found) / 100, moved(consistent_found) / 100, moved(warmup_found) / 100};
  std::printf("reads that missed after the join: modulo %.1f%%, consistent %.1f%%, consistent + warm-up %.1f%%\n",
              100 * misses.modulo, 100 * misses.consistent, 100 * misses.warmup);
  const auto write_back = [&](std::uint16_t port, const std::vector<std::string>& keys, const std::vector<bool>& found) {
    std::vector<std::string> missed;
    for (std::size_t k = 0; k < keys.size(); ++k)
      if (!found[k]) missed.push_back(keys[k]);
    MemcacheClient(port).set_many(missed, "pepperoni");
    return moved(MemcacheClient(port).present(keys)) / 100;
  };
  misses.modulo_later = write_back(modulo_port_, modulo_keys, modulo_found);
  misses.consistent_later = write_back(consistent_port_, consistent_keys, consistent_found);
  misses.warmup_later = write_back(warmup_port_, warmup_keys, warmup_found);
  std::printf("a moment later, misses written back: modulo %.1f%%, consistent %.1f%%, consistent + warm-up %.1f%%\n\n",
              100 * misses.modulo_later, 100 * misses.consistent_later, 100 * misses.warmup_later);
  // For the picture: keys per server now, each key written again to the server it belongs on.
  write_all(consistent_port_, consistent_keys);
  write_all(modulo_port_, modulo_keys);
  auto per_server = [&](const std::vector<int>& owner) {
    std::vector<std::size_t> count(servers_.size(), 0);
    for (int s : owner)
      if (s >= 0) ++count[static_cast<std::size_t>(s)];
    return count;
  };
  live.consistent.joined = per_server(owners(consistent_keys));
  live.modulo.joined = per_server(owners(modulo_keys));

  // The pictures: this run's numbers beside the library's own algorithms, simulated.
  SimulateOptions sim;
  for (auto n : algorithm_names()) sim.algorithms.emplace_back(n);
  sim.nodes = o_.servers;
  sim.keys = o_.keys;
  sim.time_lookups = false;  // the picture shows placement only
  auto results = simulate(sim);
  auto curves = moved_curves(sim.algorithms, 16, std::min<std::size_t>(o_.keys, 50'000), sim.seed);
  const fs::path svg = dir_ / "consistent-hashing.svg";
  std::ofstream(svg) << render_svg("ring", sim, results, curves, &live);
  // Named as the user gave --out (relative stays relative), not by the absolute path the demo works in.
  std::printf("Wrote %s (this run: keys per server found and moved; simulated: the ring, load per server, "
              "keys moved against N) and the logs in %s\n",
              (fs::path(o_.out_dir) / svg.filename()).c_str(), o_.out_dir.c_str());
  std::printf("Stopping every process the demo started.\n");
}

}  // namespace

void add_demo(CLI::App& app) {
  auto* cmd = app.add_subcommand("demo", "Show consistent hashing at work on real memcached servers");
  auto o = std::make_shared<DemoOptions>();
  cmd->add_option("-s,--servers", o->servers, "memcached servers to start")->capture_default_str();
  cmd->add_option("-k,--keys", o->keys, "Keys written through each pool")->capture_default_str()->check(kAtLeastOne);
  cmd->add_option("-a,--algorithm", o->algorithm, "Distribution of the consistent pool")->capture_default_str();
  cmd->add_option("--port", o->first_port, "First of the consecutive ports to use (default: free ports)");
  cmd->add_option("-o,--out", o->out_dir, "Folder for the pictures and logs")->capture_default_str();
  cmd->callback([o] {
    ChildProcess::stop_all_on_signal();
    try {
      Demo(*o).run();
    } catch (const std::exception& e) {
      throw CLI::RuntimeError(std::string("demo: ") + e.what(), 1);
    }
  });
}

}  // namespace ringleader::cli
