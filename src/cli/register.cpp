// `ringleader register --etcd HOST:PORT[,...] --prefix /p/ [--ttl 10] SERVER_LINE`: the sidecar of a
// cache host. Claims a slot for SERVER_LINE ("host:port:weight [name]", as in `servers:`) under
// PREFIX, keeps the line live there under a lease of --ttl seconds, renews the lease every third of
// the TTL, and on SIGTERM/SIGINT revokes it: every proxy watching the prefix marks the server removed
// at once. If this process dies without that (a crash, a host gone), etcd lets the lease expire, and
// the proxies mark it removed within the TTL. Either way the slot stays, so no other server's keys
// move (etcd_source.hpp, "Stable slots").
//
// The slot, claimed in one transaction with the live line (so two registrations never share one):
// the slot that already names this server (a restart takes its keys back), else a free slot (a
// removed line of the same weight that nobody is live in), else a new one after the last numbered
// slot. The slot key keeps the line marked ` removed` without a lease; K/live holds the live line.
//
// etcd unreachable: it keeps trying (every second); if the lease expired meanwhile it registers again.
//
//   $ ringleader register --etcd 10.0.0.9:2379 --prefix /ringleader/cache/ "10.0.0.5:11211:1 cache-5"
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "cli/commands.hpp"
#include "proxy/config/server_entry.hpp"
#include "proxy/membership/etcd_client.hpp"
#include "proxy/unique_fd.hpp"

namespace ringleader::cli {
namespace {

struct RegisterArgs {
  std::string etcd;
  std::string ca, cert, key;  // for https:// endpoints
  std::string prefix;
  unsigned ttl = 10;
  std::string line;
};

// SIGTERM and SIGINT, read from a descriptor rather than handled, so that the wait between two
// renewals is one poll() and the revoke runs on the main thread with nothing interrupted.
class StopSignals {
 public:
  StopSignals() {
    sigemptyset(&set_);
    sigaddset(&set_, SIGTERM);
    sigaddset(&set_, SIGINT);
    sigprocmask(SIG_BLOCK, &set_, &old_);
    fd_.reset(::signalfd(-1, &set_, SFD_CLOEXEC));
    if (!fd_) throw CLI::RuntimeError("register: signalfd failed", 1);
  }
  ~StopSignals() { sigprocmask(SIG_SETMASK, &old_, nullptr); }
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

  /// Waits up to `limit`; true if a stop signal came (taken: it is not delivered later).
  bool wait(std::chrono::milliseconds limit) {
    pollfd p{fd_.get(), POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(limit.count())) <= 0) return false;
    signalfd_siginfo info{};
    return ::read(fd_.get(), &info, sizeof info) == sizeof info;
  }

 private:
  sigset_t set_{};
  sigset_t old_{};
  proxy::UniqueFd fd_;
};

// Slot keys are the prefix and a number of this many digits, so that key order is number order.
constexpr int kSlotDigits = 8;
constexpr std::string_view kLive = "/live";
constexpr std::string_view kRemoved = " removed";

std::string slot_key(const std::string& prefix, unsigned long number) {
  std::string digits = std::to_string(number);
  return prefix + std::string(kSlotDigits - std::min<std::size_t>(digits.size(), kSlotDigits), '0') + digits;
}

// Claims a slot for `server` and makes its line live there under `lease`; the slot's key.
std::string claim_slot(proxy::membership::EtcdClient& etcd, const std::string& prefix, const config::Server& server,
                       std::int64_t lease) {
  const std::string live_line =
      server.text.ends_with(kRemoved) ? server.text.substr(0, server.text.size() - kRemoved.size()) : server.text;
  const std::string tombstone = live_line + std::string(kRemoved);
  for (;;) {
    const auto range = etcd.range(prefix);
    std::set<std::string> live;
    for (const auto& kv : range.kvs)
      if (kv.key.ends_with(kLive)) live.insert(kv.key.substr(0, kv.key.size() - kLive.size()));
    std::optional<std::pair<std::string, std::int64_t>> mine, free;
    unsigned long last = 0;
    for (const auto& kv : range.kvs) {
      if (kv.key.ends_with(kLive)) continue;
      const std::string number = kv.key.substr(prefix.size());
      if (number.size() == kSlotDigits && std::all_of(number.begin(), number.end(), [](char c) { return c >= '0' && c <= '9'; }))
        last = std::max(last, std::stoul(number));
      try {
        const config::Server held = config::parse_server(kv.value);
        if (held.node_name() == server.node_name()) mine.emplace(kv.key, kv.mod_revision);
        if (!free && held.removed && held.weight == server.weight && !live.contains(kv.key)) free.emplace(kv.key, kv.mod_revision);
      } catch (const std::invalid_argument&) {  // not a server line: not a slot this can take
      }
    }
    const auto [key, revision] = mine ? *mine : free ? *free : std::pair{slot_key(prefix, last + 1), std::int64_t{0}};
    if (etcd.put_if_unchanged(key, revision, {{key, tombstone, 0}, {key + std::string(kLive), live_line, lease}})) return key;
  }
}

void run_register(const RegisterArgs& args) {
  using namespace std::chrono;
  using proxy::membership::EtcdError;
  config::Server server;
  std::vector<std::string> endpoints;
  try {
    server = config::parse_server(args.line);
    endpoints = config::parse_etcd_endpoints(args.etcd);
  } catch (const std::invalid_argument& e) {
    throw CLI::RuntimeError(std::string("register: ") + e.what(), 2);
  }
  std::string key;
  StopSignals stop;
  std::unique_ptr<proxy::membership::EtcdClient> etcd;
  try {
    etcd = proxy::membership::make_etcd_client({.endpoints = endpoints, .ca = args.ca, .cert = args.cert, .key = args.key});
  } catch (const std::invalid_argument& e) {
    throw CLI::RuntimeError(std::string("register: ") + e.what(), 2);
  }
  std::int64_t lease = 0;
  const milliseconds renew = duration_cast<milliseconds>(seconds(args.ttl)) / 3;
  for (;;) {
    bool ok = true;
    try {
      if (lease == 0) {
        // Held only once the slot is claimed: a claim that failed is tried again with a new lease.
        const std::int64_t granted = etcd->grant(seconds(args.ttl));
        key = claim_slot(*etcd, args.prefix, server, granted);
        lease = granted;
        std::fprintf(stderr, "ringleader register: %s%s = %s (lease %lld, ttl %us)\n", key.c_str(), kLive.data(),
                     server.text.c_str(), static_cast<long long>(lease), args.ttl);
      } else if (!etcd->keep_alive(lease)) {
        std::fprintf(stderr, "ringleader register: lease %lld expired, registering again\n", static_cast<long long>(lease));
        lease = 0;
        continue;
      }
    } catch (const EtcdError& e) {
      std::fprintf(stderr, "ringleader register: etcd: %s (retrying)\n", e.what());
      ok = false;
    }
    if (stop.wait(ok ? renew : milliseconds(1000))) break;
  }
  if (lease == 0) return;
  try {
    etcd->revoke(lease);  // deletes the live line with it; the slot shows the server removed
    std::fprintf(stderr, "ringleader register: %s marked removed\n", key.c_str());
  } catch (const EtcdError& e) {
    std::fprintf(stderr, "ringleader register: revoking lease %lld: %s (the live line goes when it expires)\n",
                 static_cast<long long>(lease), e.what());
  }
}

}  // namespace

void add_register(CLI::App& app) {
  auto args = std::make_shared<RegisterArgs>();
  CLI::App* cmd = app.add_subcommand("register", "Keep one server line in etcd while this runs (a cache host's sidecar)");
  cmd->add_option("--etcd", args->etcd, "etcd's client endpoints: [https://]HOST:PORT[,...]")->required();
  cmd->add_option("--etcd-ca", args->ca, "https: the CA that signed etcd's certificate (default: the system's)");
  cmd->add_option("--etcd-cert", args->cert, "https: a client certificate, for etcd --client-cert-auth")->needs(
      cmd->add_option("--etcd-key", args->key, "https: the client certificate's key"));
  cmd->add_option("--prefix", args->prefix, "the pool's etcd_prefix, e.g. /ringleader/cache/")->required();
  cmd->add_option("--ttl", args->ttl, "seconds a crashed host stays listed")->capture_default_str()->check(CLI::Range(2u, 3600u));
  cmd->add_option("server", args->line, "the server line, as in servers: (\"host:port:weight [name]\")")->required();
  cmd->callback([args] { run_register(*args); });
}

}  // namespace ringleader::cli
