// `ringleader serve -c FILE [--threads N] [--check]`: the memcached/Redis proxy (src/proxy/server.hpp).
// --check loads and validates the config (and builds every pool's routing table), then exits:
// 0 if it is usable, 1 with the error (file, line, pool, key) otherwise.
// Operations (docs/operations.md): -s/-a the twemproxy stats port (off unless -s is given),
// --admin HOST:PORT for Prometheus' GET /metrics (off unless given), -v/-vv/-q the log level.
#include <sys/resource.h>

#include <cstdio>
#include <exception>
#include <string>
#include <thread>

#include "cli/commands.hpp"
#include "proxy/config/config.hpp"
#include "proxy/config/router.hpp"
#include "proxy/log.hpp"
#include "proxy/server.hpp"
#include "proxy/stats/listeners.hpp"

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

}  // namespace

void add_serve(CLI::App& app) {
  struct Options {
    std::string config;
    unsigned threads = 0;
    bool check = false;
    std::uint16_t stats_port = 0;
    std::string stats_addr = "127.0.0.1";
    std::string admin;
    int verbose = 0;
    bool quiet = false;
  };
  auto options = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("serve", "Run the memcached/Redis proxy described by a nutcracker.yml");
  cmd->add_option("-c,--conf-file", options->config, "Config file (twemproxy's nutcracker.yml format)")->required();
  cmd->add_option("-t,--threads", options->threads, "Worker threads (default: one per core)")
      ->check(CLI::Range(1u, 1024u));
  cmd->add_flag("--check", options->check, "Validate the config and exit (0: usable)");
  cmd->add_option("-s,--stats-port", options->stats_port,
                  "twemproxy-compatible stats port: each connection gets a JSON document (off unless given)")
      ->check(CLI::Range(1, 65535));
  cmd->add_option("-a,--stats-addr", options->stats_addr, "Address of the stats port (default 127.0.0.1)");
  cmd->add_option("--admin", options->admin, "HOST:PORT serving Prometheus metrics on GET /metrics (off unless given)");
  auto* verbose = cmd->add_flag("-v,--verbose", options->verbose, "More log: -v debug, -vv trace");
  cmd->add_flag("-q,--quiet", options->quiet, "Log warnings and errors only")->excludes(verbose);
  cmd->callback([options] {
    try {
      config::Config config = config::load_file(options->config);
      for (const auto& pool : config.pools) config::Router router(pool);  // validates hash/distribution
      for (const auto& warning : config.warnings()) std::fprintf(stderr, "warning: %s\n", warning.c_str());
      if (options->check) {
        std::printf("%s: ok (%zu pools)\n", options->config.c_str(), config.pools.size());
        return;
      }
      using proxy::log::Level;
      proxy::log::set_level(options->quiet ? Level::warn
                            : options->verbose >= 2 ? Level::trace
                            : options->verbose == 1 ? Level::debug
                                                    : Level::info);
      raise_open_files_limit();
      std::optional<proxy::stats::ListenAddress> stats_address, admin_address;
      if (options->stats_port != 0) stats_address = proxy::stats::ListenAddress{options->stats_addr, options->stats_port};
      if (!options->admin.empty()) admin_address = proxy::stats::parse_listen_address(options->admin);
      unsigned threads = options->threads != 0 ? options->threads : std::thread::hardware_concurrency();
      proxy::Server server(std::move(config), threads);
      // Declared after the server: the listeners read its counters, so they stop first.
      proxy::stats::Listeners listeners(server.stats(), stats_address, admin_address);
      server.run();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "ringleader serve: %s\n", e.what());
      throw CLI::RuntimeError(1);
    }
  });
}

}  // namespace ringleader::cli
