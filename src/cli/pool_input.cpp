#include "cli/pool_input.hpp"

#include "proxy/config/server_entry.hpp"
#include "proxy/http/request_key.hpp"
#include "proxy/membership/dns_source.hpp"
#include "proxy/membership/etcd_source.hpp"
#include "proxy/protocols.hpp"

namespace ringleader::cli {
namespace {

[[noreturn]] void fail(std::string_view command, const std::string& message, int code) {
  throw CLI::RuntimeError(std::string(command) + ": " + message, code);
}

// The servers etcd lists now, in place of the file's, when the pool or the command line names etcd.
void take_members_from_etcd(config::Pool& pool, const PoolArgs& args, std::string_view command) {
  if (!args.etcd.empty() || !args.prefix.empty()) {
    config::Etcd etcd = pool.etcd.value_or(config::Etcd{});
    try {
      if (!args.etcd.empty()) etcd.endpoints = config::parse_etcd_endpoints(args.etcd);
    } catch (const std::invalid_argument& e) {
      fail(command, std::string("--etcd: ") + e.what(), 2);
    }
    if (!args.prefix.empty()) etcd.prefix = args.prefix;
    if (etcd.endpoints.empty() || etcd.prefix.empty())
      fail(command, "etcd needs both --etcd HOST:PORT and --prefix (or the pool's etcd: and etcd_prefix:)", 2);
    pool.etcd = etcd;
  }
  if (!pool.etcd) return;
  try {
    config::set_server_lines(pool, proxy::membership::read_members(pool));
  } catch (const std::exception& e) {
    fail(command, e.what(), 1);
  }
}

}  // namespace

void PoolArgs::add_options(CLI::App* cmd, bool required) {
  CLI::Option* file = cmd->add_option("-c,--config", config, "nutcracker.yml-compatible config file");
  if (required) file->required();
  cmd->add_option("--pool", pool, "the pool (may be left out when the config has one pool)");
  cmd->add_option("--etcd", etcd, "use the servers etcd lists now: HOST:PORT[,HOST:PORT...]");
  cmd->add_option("--prefix", prefix, "the etcd prefix of the pool's servers (default: the pool's etcd_prefix)");
}

config::Pool load_pool(const PoolArgs& args, std::string_view command) {
  config::Config cfg;
  try {
    cfg = config::load_file(args.config);
    proxy::check_protocols(cfg);  // the config `serve` would load, no other
  } catch (const config::ConfigError& e) {
    fail(command, e.what(), 1);
  }
  config::Pool pool;
  try {
    pool = args.pool.empty() ? cfg.only_pool() : cfg.pool(args.pool);
  } catch (const config::ConfigError& e) {
    fail(command, e.what() + std::string(args.pool.empty() ? " with --pool" : ""), 2);
  }
  take_members_from_etcd(pool, args, command);
  if (pool.dns) {  // the servers DNS gives now, as `serve` would start with
    try {
      config::set_server_lines(pool, proxy::membership::read_dns_members(pool));
    } catch (const std::exception& e) {
      fail(command, e.what(), 1);
    }
  }
  for (const std::string& w : pool.warnings) std::fprintf(stderr, "ringleader: warning: %s\n", w.c_str());
  return pool;
}

std::optional<std::string_view> key_of_line(const config::Pool& pool, std::string_view line) noexcept {
  using Source = config::Pool::HttpKey::Source;
  if (pool.protocol != "http") return line;
  if (pool.http_key.source == Source::header || pool.http_key.source == Source::cookie) return line;
  return proxy::http::request_key(line, {}, pool.http_key);
}

}  // namespace ringleader::cli
