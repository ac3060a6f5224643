// `ringleader serve -c FILE [--threads N] [--check]`: the memcached/Redis proxy (src/proxy/server.hpp).
// --check loads and validates the config (and builds every pool's routing table), then exits:
// 0 if it is usable, 1 with the error (file, line, pool, key) otherwise; with --previous FILE (the
// config running now) it also warns, as a reload would, of a change that moves keys of servers that stay.
// Operations (docs/operations.md): -s/-a the twemproxy stats port (off unless -s is given),
// --admin HOST:PORT for Prometheus' GET /metrics (off unless given), -v/-vv/-q the log level,
// -o the log file, -p the pid file, -d to run as a daemon, --drain-timeout how long a graceful
// shutdown waits for replies. The config file is the pools' membership source (SIGHUP re-reads it),
// etcd for a pool with `etcd:` (membership/etcd_source.hpp), DNS for a pool with `dns_srv:` or
// `dns_a:` (membership/dns_source.hpp).
#include "cli/serve.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <exception>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

#include "cli/commands.hpp"
#include "cli/daemon.hpp"
#include "cli/pid_file.hpp"
#include "proxy/config/placement_change.hpp"
#include "proxy/config/server_entry.hpp"
#include "proxy/membership/dns_source.hpp"
#include "proxy/membership/etcd_source.hpp"
#include "proxy/membership/file_source.hpp"
#include "proxy/protocols.hpp"
#include "proxy/server.hpp"
#include "proxy/transport/tls.hpp"
#include "proxy/signals.hpp"

namespace ringleader::cli {
namespace {

// Every client is a descriptor: take the hard limit, so tens of thousands of idle clients fit
// without the operator raising the soft limit first (nutcracker leaves it to them).
void raise_open_files_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= limit.rlim_max) return;
  const rlim_t before = limit.rlim_cur;
  limit.rlim_cur = limit.rlim_max;
  if (::setrlimit(RLIMIT_NOFILE, &limit) == 0) {
    proxy::log::debug("open files limit raised", {{"from", std::to_string(before)}, {"to", std::to_string(limit.rlim_max)}});
  }
}

// A daemon works in "/": the paths it reads or writes later (a reload re-reads the config, SIGHUP
// reopens the log, the pid file is removed at exit) must not depend on where it was started.
void make_absolute(std::string& path) {
  if (!path.empty()) path = std::filesystem::absolute(path).lexically_normal().string();
}

// The reload's warning (config/placement_change.hpp), for each pool in both configs.
void warn_placement_changes(const config::Config& previous, const config::Config& fresh) {
  for (const config::Pool& pool : fresh.pools)
    for (const config::Pool& old : previous.pools)
      if (old.name == pool.name)
        if (const auto share = config::needless_moves(old, pool))
          std::fprintf(stderr, "warning: %s:%zu: %s\n", fresh.file.c_str(), pool.line,
                       config::needless_moves_warning(pool, *share).c_str());
}

}  // namespace

config::Listen tcp_address(const std::string& text) {
  config::Listen address = config::parse_listen(text);
  if (address.is_unix()) throw std::invalid_argument("expected HOST:PORT, got '" + text + "'");
  return address;
}

config::Listen stats_address(const std::string& host, std::uint16_t port) {
  config::Listen address;
  address.text = host + ":" + std::to_string(port);
  address.host = host;
  address.port = port;
  return address;
}

config::Config load_config(const std::string& path) {
  config::Config config = config::load_file(path);
  proxy::check_protocols(config);
  for (const auto& pool : config.pools) {  // reads the certificates, so -t finds a bad one
    proxy::tls::PoolTls::load(pool, config.file, proxy::protocol_of(pool).alpn());
    proxy::membership::check_tls_files(pool, config.file);
  }
  for (const auto& warning : config.warnings()) std::fprintf(stderr, "warning: %s\n", warning.c_str());
  return config;
}

int serve(ServeOptions options, std::string_view program) {
  proxy::signals::install();  // first: a SIGTTIN during start-up must not suspend the process
  std::optional<config::Config> config;
  try {
    if (options.daemonize) {
      make_absolute(options.config);
      make_absolute(options.output);
      make_absolute(options.pid_file);
    }
    config = load_config(options.config);
    if (!options.output.empty()) proxy::log::open_file(options.output);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%.*s: %s\n", static_cast<int>(program.size()), program.data(), e.what());
    return 1;
  }
  proxy::log::set_level(options.level);
  std::optional<Daemon> daemon;
  try {
    if (options.daemonize) daemon.emplace(Daemon::detach());  // before any thread starts
    std::optional<PidFile> pid_file;
    if (!options.pid_file.empty()) pid_file.emplace(options.pid_file);
    proxy::log::info("ringleader started", {{"version", std::string(kVersion)},
                                            {"pid", std::to_string(::getpid())},
                                            {"config", options.config}});
    for (const auto& option : options.no_effect) proxy::log::info("option has no effect", {{"option", option}});
    raise_open_files_limit();
    const unsigned threads = options.threads != 0 ? options.threads : std::thread::hardware_concurrency();
    const std::string file = config->file;
    for (config::Pool& pool : config->pools) {
      if (pool.etcd && pool.servers.empty()) config::set_server_lines(pool, proxy::membership::read_members(pool));
      if (pool.dns && pool.servers.empty()) config::set_server_lines(pool, proxy::membership::read_dns_members(pool));
    }
    const std::vector<config::Pool> pools = config->pools;
    proxy::Server server(std::move(*config), threads, options.drain_timeout);
    const auto etcd = proxy::membership::start_etcd_sources(server, pools);
    const auto dns = proxy::membership::start_dns_sources(server, pools);
    proxy::membership::FileSource source(
        server, file, [keep_etcd = proxy::membership::keep_etcd_members(etcd),
                       keep_dns = proxy::membership::keep_dns_members(dns)](config::Config& fresh) {
          keep_etcd(fresh);
          keep_dns(fresh);
        });
    // Declared after the server: the listeners read its counters, so they stop first.
    proxy::stats::Listeners listeners(server.stats(), options.stats, options.admin);
    if (daemon) daemon->ready();
    server.run();
    proxy::log::info("ringleader stopped", {{"pid", std::to_string(::getpid())}});
  } catch (const std::exception& e) {
    const std::string message = std::string(program) + ": " + e.what();
    std::fprintf(stderr, "%s\n", message.c_str());
    if (daemon) daemon->failed(message);
    return 1;
  }
  return 0;
}

void add_serve(CLI::App& app) {
  struct Options {
    ServeOptions serve;
    bool check = false;
    std::string previous;
    std::uint16_t stats_port = 0;
    std::string stats_addr = "127.0.0.1";
    std::string admin;
    int verbose = 0;
    bool quiet = false;
    unsigned drain_timeout_ms = static_cast<unsigned>(proxy::Server::kDefaultDrainTimeout.count());
  };
  auto options = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("serve", "Run the memcached/Redis proxy described by a nutcracker.yml");
  cmd->set_version_flag("-V,--version", "ringleader " + std::string(kVersion));
  cmd->add_option("-c,--conf-file", options->serve.config, "Config file (twemproxy's nutcracker.yml format)")->required();
  cmd->add_option("-t,--threads", options->serve.threads, "Worker threads (default: one per core; nutcracker's -t is --check)")
      ->check(CLI::Range(1u, 1024u));
  cmd->add_option("--drain-timeout", options->drain_timeout_ms,
                  "On SIGTERM/SIGINT, wait this long (ms) for replies owed to clients")
      ->capture_default_str()
      ->check(CLI::Range(0u, 3'600'000u));
  auto* check = cmd->add_flag("--check,--test-conf", options->check, "Validate the config and exit (0: usable)");
  cmd->add_option("--previous", options->previous,
                  "With --check: the config running now; warn if a jump/anchor/memento/modulo pool would move "
                  "keys of servers that stay")
      ->needs(check);
  cmd->add_option("-s,--stats-port", options->stats_port,
                  "twemproxy-compatible stats port: each connection gets a JSON document (off unless given)")
      ->check(CLI::Range(1, 65535));
  cmd->add_option("-a,--stats-addr", options->stats_addr, "Address of the stats port (default 127.0.0.1)");
  cmd->add_option("--admin", options->admin, "HOST:PORT serving Prometheus metrics on GET /metrics (off unless given)");
  auto* verbose = cmd->add_flag("-v,--verbose", options->verbose, "More log: -v debug, -vv trace");
  cmd->add_flag("-q,--quiet", options->quiet, "Log warnings and errors only")->excludes(verbose);
  cmd->add_option("-o,--output", options->serve.output, "Log to this file, appended to (default: stderr); SIGHUP reopens it");
  cmd->add_option("-p,--pid-file", options->serve.pid_file, "Write the process id to this file; removed at exit");
  cmd->add_flag("-d,--daemonize", options->serve.daemonize, "Run as a daemon (returns once the proxy listens)");
  cmd->callback([options] {
    if (options->check) {
      try {
        const config::Config config = load_config(options->serve.config);
        if (!options->previous.empty()) warn_placement_changes(config::load_file(options->previous), config);
        std::printf("%s: ok (%zu pools)\n", options->serve.config.c_str(), config.pools.size());
        return;
      } catch (const std::exception& e) {
        std::fprintf(stderr, "ringleader serve: %s\n", e.what());
        throw CLI::RuntimeError(1);
      }
    }
    using proxy::log::Level;
    ServeOptions& serve_options = options->serve;
    serve_options.drain_timeout = std::chrono::milliseconds(options->drain_timeout_ms);
    serve_options.level = options->quiet ? Level::warn
                          : options->verbose >= 2 ? Level::trace
                          : options->verbose == 1 ? Level::debug
                                                  : Level::info;
    try {
      if (options->stats_port != 0) serve_options.stats = stats_address(options->stats_addr, options->stats_port);
      if (!options->admin.empty()) serve_options.admin = tcp_address(options->admin);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "ringleader serve: %s\n", e.what());
      throw CLI::RuntimeError(1);
    }
    if (const int status = serve(std::move(serve_options), "ringleader serve"); status != 0) throw CLI::RuntimeError(status);
  });
}

}  // namespace ringleader::cli
