// Running the proxy, shared by `ringleader serve` (serve.cpp) and nutcracker's command line
// (nutcracker_compat.cpp): both parse their options into ServeOptions.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/config/config.hpp"
#include "proxy/log.hpp"
#include "proxy/server.hpp"
#include "proxy/stats/listeners.hpp"

namespace ringleader::cli {

struct ServeOptions {
  std::string config;
  unsigned threads = 0;  // 0: one per core
  /// How long SIGTERM/SIGINT wait for replies owed. A process setting, not a pool key: it is the
  /// process that exits, and nutcracker.yml's top level holds only pools.
  std::chrono::milliseconds drain_timeout = proxy::Server::kDefaultDrainTimeout;
  std::optional<config::Listen> stats;    // the twemproxy stats port, absent: off
  std::optional<config::Listen> admin;    // Prometheus' GET /metrics, absent: off
  proxy::log::Level level = proxy::log::Level::info;
  std::string output;    // the log file (-o), empty: stderr
  std::string pid_file;  // empty: none
  bool daemonize = false;
  std::vector<std::string> no_effect;  // options accepted for compatibility, logged at start
};

/// Loads `path` and builds every pool's routing table (which validates hash and distribution);
/// prints the config's warnings on stderr. Throws with file, line, pool and key on a bad config.
config::Config load_config(const std::string& path);

/// A TCP listen address "HOST:PORT" (the admin port's), parsed as a pool's listen address is.
/// Throws std::invalid_argument with the reason.
config::Listen tcp_address(const std::string& text);
/// The stats port's address from its two options (-a ADDR -s PORT), as nutcracker takes them.
config::Listen stats_address(const std::string& host, std::uint16_t port);

/// Runs the proxy until SIGTERM or SIGINT; returns the exit status (0 after a graceful shutdown,
/// 1 when it cannot start, with the reason on stderr after `program: `).
int serve(ServeOptions options, std::string_view program);

}  // namespace ringleader::cli
