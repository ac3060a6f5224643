// `ringleader locate -c FILE [--pool NAME] [KEY ...]`: which server of a pool holds each key.
//
// For each key (the arguments, or one per line on stdin) prints "KEY<TAB>SERVER", SERVER being the
// server entry exactly as written in the config ("host:port:weight" plus " name" if it has one). The
// placement is the proxy's own (ringleader::Placement, made from the pool by config::make_placement):
// for a nutcracker.yml it is where twemproxy puts the key (tests/data/twemproxy/ proves it key for
// key). Built for millions of keys: stdin and stdout go through large buffers, and a line costs one
// hash and one lookup.
//
// --eject SERVER (repeatable) answers "where do the keys go while this server is ejected?": the
// pool is routed as the proxy routes it with that server out (auto_eject_hosts, in the pool's
// `ejection:` mode; twemproxy's own rebuild for a nutcracker.yml).
//
// A pool with `etcd:` is located over the servers etcd lists now, as `ringleader serve` routes it;
// --etcd HOST:PORT[,...] and --prefix /p/ name (or override) where they are.
//
//   $ ringleader locate -c nutcracker.yml user:1 user:2
//   user:1	10.0.0.2:11211:1 cache-b
//   user:2	10.0.0.1:11211:1 cache-a
#include <algorithm>
#include <cstdio>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cli/commands.hpp"
#include "proxy/config/config.hpp"
#include "proxy/config/server_entry.hpp"
#include "proxy/membership/etcd_source.hpp"
#include "ringleader/placement.hpp"

namespace ringleader::cli {
namespace {

// Collects output and writes it in large blocks.
class Output {
 public:
  explicit Output(std::FILE* f) : file_(f) { buffer_.reserve(kBlock + 4096); }
  ~Output() { flush(); }
  void line(std::string_view key, std::string_view server) {
    buffer_.append(key).push_back('\t');
    buffer_.append(server).push_back('\n');
    if (buffer_.size() >= kBlock) flush();
  }
  void flush() {
    if (!buffer_.empty() && std::fwrite(buffer_.data(), 1, buffer_.size(), file_) != buffer_.size())
      failed_ = true;
    buffer_.clear();
    if (std::fflush(file_) != 0) failed_ = true;
  }
  bool failed() const { return failed_; }

 private:
  static constexpr std::size_t kBlock = 1 << 20;
  std::FILE* file_;
  std::string buffer_;
  bool failed_ = false;
};

// Calls on_key for each line of the stream; a trailing "\r" (CRLF files) is not part of the key.
template <typename OnKey>
bool for_each_line(std::FILE* in, OnKey&& on_key) {
  std::vector<char> buffer(1 << 20);
  std::string carry;  // a line split across two reads
  for (;;) {
    const std::size_t n = std::fread(buffer.data(), 1, buffer.size(), in);
    std::string_view chunk(buffer.data(), n);
    while (!chunk.empty()) {
      const auto nl = chunk.find('\n');
      if (nl == std::string_view::npos) {
        carry.append(chunk);
        break;
      }
      std::string_view line = chunk.substr(0, nl);
      if (!carry.empty()) {
        carry.append(line);
        line = carry;
      }
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      on_key(line);
      carry.clear();
      chunk.remove_prefix(nl + 1);
    }
    if (n < buffer.size()) break;
  }
  if (!carry.empty()) {
    std::string_view line = carry;
    if (line.back() == '\r') line.remove_suffix(1);
    on_key(line);
  }
  return !std::ferror(in);
}

struct LocateArgs {
  std::string config;
  std::string pool;
  std::vector<std::string> ejected;
  std::vector<std::string> keys;
  std::string etcd;    // --etcd: endpoints, comma-separated
  std::string prefix;  // --prefix
};

// The servers etcd lists now, in place of the file's, when the pool or the command line names etcd.
void take_members_from_etcd(config::Pool& pool, const LocateArgs& args) {
  if (!args.etcd.empty() || !args.prefix.empty()) {
    config::Etcd etcd = pool.etcd.value_or(config::Etcd{});
    try {
      if (!args.etcd.empty()) etcd.endpoints = config::parse_etcd_endpoints(args.etcd);
    } catch (const std::invalid_argument& e) {
      throw CLI::RuntimeError(std::string("locate: --etcd: ") + e.what(), 2);
    }
    if (!args.prefix.empty()) etcd.prefix = args.prefix;
    if (etcd.endpoints.empty() || etcd.prefix.empty())
      throw CLI::RuntimeError("locate: etcd needs both --etcd HOST:PORT and --prefix (or the pool's etcd: and etcd_prefix:)", 2);
    pool.etcd = etcd;
  }
  if (!pool.etcd) return;
  try {
    pool.servers = proxy::membership::read_members(pool);
  } catch (const std::exception& e) {
    throw CLI::RuntimeError(std::string("locate: ") + e.what(), 1);
  }
}

// Which servers stay live: a server is ejected if an --eject value is its entry as written, its
// name or its address (host:port or socket path).
std::unique_ptr<bool[]> live_servers(const config::Pool& pool, const std::vector<std::string>& ejected) {
  auto live = std::make_unique<bool[]>(pool.servers.size());
  std::fill_n(live.get(), pool.servers.size(), true);
  for (const std::string& e : ejected) {
    bool found = false;
    for (std::size_t i = 0; i < pool.servers.size(); ++i) {
      const config::Server& s = pool.servers[i];
      if (e == s.text || e == s.address() || (!s.name.empty() && e == s.name)) {
        live[i] = false;
        found = true;
      }
    }
    if (!found) throw CLI::RuntimeError("locate: --eject '" + e + "': no such server in pool '" + pool.name + "'", 2);
  }
  return live;
}

void run_locate(const LocateArgs& args) {
  config::Config cfg;
  try {
    cfg = config::load_file(args.config);
  } catch (const config::ConfigError& e) {
    throw CLI::RuntimeError(std::string("locate: ") + e.what(), 1);
  }
  config::Pool pool;
  try {
    pool = args.pool.empty() ? cfg.only_pool() : cfg.pool(args.pool);
  } catch (const config::ConfigError& e) {
    throw CLI::RuntimeError(std::string("locate: ") + e.what() + (args.pool.empty() ? " with --pool" : ""), 2);
  }
  take_members_from_etcd(pool, args);
  for (const std::string& w : pool.warnings) std::fprintf(stderr, "ringleader: warning: %s\n", w.c_str());
  const std::unique_ptr<bool[]> live = live_servers(pool, args.ejected);
  const Placement placement = config::make_placement(pool, std::span<const bool>(live.get(), pool.servers.size()));
  if (placement.live_count() == 0) throw CLI::RuntimeError("locate: every server of the pool is ejected", 2);
  Output out(stdout);
  auto locate = [&](std::string_view key) { out.line(key, pool.servers[placement.server_for(key)].text); };
  if (!args.keys.empty()) {
    for (const std::string& key : args.keys) locate(key);
  } else if (!for_each_line(stdin, locate)) {
    throw CLI::RuntimeError("locate: cannot read standard input", 1);
  }
  out.flush();
  if (out.failed()) throw CLI::RuntimeError("locate: cannot write standard output", 1);
}

}  // namespace

void add_locate(CLI::App& app) {
  auto args = std::make_shared<LocateArgs>();
  CLI::App* cmd = app.add_subcommand("locate", "Print the server of a pool that holds each key (KEY<TAB>SERVER)");
  cmd->add_option("-c,--config", args->config, "nutcracker.yml-compatible config file")->required();
  cmd->add_option("--pool", args->pool, "the pool (may be left out when the config has one pool)");
  cmd->add_option("--eject", args->ejected, "locate as if this server were ejected (entry, name or address; repeatable)")
      ->allow_extra_args(false);
  cmd->add_option("--etcd", args->etcd, "locate over the servers etcd lists now: HOST:PORT[,HOST:PORT...]");
  cmd->add_option("--prefix", args->prefix, "the etcd prefix of the pool's servers (default: the pool's etcd_prefix)");
  cmd->add_option("keys", args->keys, "keys to locate (default: one per line on standard input)");
  cmd->callback([args] { run_locate(*args); });
}

}  // namespace ringleader::cli
