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
// --etcd HOST:PORT[,...] and --prefix /p/ name (or override) where they are. A pool with `dns_srv:`
// or `dns_a:` is located over the servers DNS gives now (one answer).
//
//   $ ringleader locate -c nutcracker.yml user:1 user:2
//   user:1	10.0.0.2:11211:1 cache-b
//   user:2	10.0.0.1:11211:1 cache-a
#include <algorithm>
#include <cstdio>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cli/commands.hpp"
#include "cli/pool_input.hpp"
#include "proxy/config/config.hpp"
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

struct LocateArgs {
  PoolArgs pool;
  std::vector<std::string> ejected;
  std::vector<std::string> keys;
};

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
  const config::Pool pool = load_pool(args.pool, "locate");
  const std::unique_ptr<bool[]> live = live_servers(pool, args.ejected);
  const Placement placement = config::make_placement(pool, std::span<const bool>(live.get(), pool.servers.size()));
  if (placement.live_count() == 0) throw CLI::RuntimeError("locate: every server of the pool is ejected", 2);
  Output out(stdout);
  const std::string_view no_key = pool.http_key_missing == config::Pool::HttpKeyMissing::reject
                                      ? "(no key: 400 Bad Request)"
                                      : "(no key: any live server)";
  auto locate = [&](std::string_view line) {
    const std::optional<std::string_view> key = key_of_line(pool, line);
    out.line(line, key ? std::string_view(pool.servers[placement.server_for(*key)].text) : no_key);
  };
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
  args->pool.add_options(cmd, true);
  cmd->add_option("--eject", args->ejected, "locate as if this server were ejected (entry, name or address; repeatable)")
      ->allow_extra_args(false);
  cmd->add_option("keys", args->keys, "keys to locate (default: one per line on standard input)");
  cmd->callback([args] { run_locate(*args); });
}

}  // namespace ringleader::cli
