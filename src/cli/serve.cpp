// `ringleader serve -c FILE [--threads N] [--check]`: the memcached/Redis proxy (src/proxy/server.hpp).
// --check loads and validates the config (and builds every pool's routing table), then exits:
// 0 if it is usable, 1 with the error (file, line, pool, key) otherwise.
#include <cstdio>
#include <exception>
#include <string>
#include <thread>

#include "cli/commands.hpp"
#include "proxy/config/config.hpp"
#include "proxy/config/router.hpp"
#include "proxy/server.hpp"

namespace ringleader::cli {

void add_serve(CLI::App& app) {
  struct Options {
    std::string config;
    unsigned threads = 0;
    bool check = false;
  };
  auto options = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("serve", "Run the memcached/Redis proxy described by a nutcracker.yml");
  cmd->add_option("-c,--conf-file", options->config, "Config file (twemproxy's nutcracker.yml format)")->required();
  cmd->add_option("-t,--threads", options->threads, "Worker threads (default: one per core)")
      ->check(CLI::Range(1u, 1024u));
  cmd->add_flag("--check", options->check, "Validate the config and exit (0: usable)");
  cmd->callback([options] {
    try {
      config::Config config = config::load_file(options->config);
      for (const auto& pool : config.pools) config::Router router(pool);  // validates hash/distribution
      for (const auto& warning : config.warnings()) std::fprintf(stderr, "warning: %s\n", warning.c_str());
      if (options->check) {
        std::printf("%s: ok (%zu pools)\n", options->config.c_str(), config.pools.size());
        return;
      }
      unsigned threads = options->threads != 0 ? options->threads : std::thread::hardware_concurrency();
      proxy::Server server(std::move(config), threads);
      server.run();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "ringleader serve: %s\n", e.what());
      throw CLI::RuntimeError(1);
    }
  });
}

}  // namespace ringleader::cli
