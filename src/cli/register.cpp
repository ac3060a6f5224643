// `ringleader register --etcd HOST:PORT[,...] --prefix /p/ [--ttl 10] SERVER_LINE`: the sidecar of a
// cache host. Puts SERVER_LINE ("host:port:weight [name]", as in `servers:`) under PREFIX + its name
// (or its host:port when it has none) with a lease of --ttl seconds, renews the lease every third of
// the TTL, and on SIGTERM/SIGINT revokes it, which deletes the key: every proxy watching the prefix
// drops the server at once. If this process dies without that (a crash, a host gone), etcd lets the
// lease expire, and the proxies drop the server within the TTL.
//
// etcd unreachable: it keeps trying (every second); if the lease expired meanwhile it registers again.
//
//   $ ringleader register --etcd 10.0.0.9:2379 --prefix /ringleader/cache/ "10.0.0.5:11211:1 cache-5"
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>

#include "cli/commands.hpp"
#include "proxy/config/server_entry.hpp"
#include "proxy/membership/etcd_client.hpp"
#include "proxy/unique_fd.hpp"

namespace ringleader::cli {
namespace {

struct RegisterArgs {
  std::string etcd;
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
  const std::string key = args.prefix + (server.name.empty() ? server.address() : server.name);
  StopSignals stop;
  const auto etcd = proxy::membership::make_etcd_client({endpoints, "", ""});
  std::int64_t lease = 0;
  const milliseconds renew = duration_cast<milliseconds>(seconds(args.ttl)) / 3;
  for (;;) {
    bool ok = true;
    try {
      if (lease == 0) {
        lease = etcd->grant(seconds(args.ttl));
        etcd->put(key, server.text, lease);
        std::fprintf(stderr, "ringleader register: %s = %s (lease %lld, ttl %us)\n", key.c_str(), server.text.c_str(),
                     static_cast<long long>(lease), args.ttl);
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
    etcd->revoke(lease);  // deletes the key with it
    std::fprintf(stderr, "ringleader register: %s removed\n", key.c_str());
  } catch (const EtcdError& e) {
    std::fprintf(stderr, "ringleader register: revoking lease %lld: %s (the key goes when it expires)\n",
                 static_cast<long long>(lease), e.what());
  }
}

}  // namespace

void add_register(CLI::App& app) {
  auto args = std::make_shared<RegisterArgs>();
  CLI::App* cmd = app.add_subcommand("register", "Keep one server line in etcd while this runs (a cache host's sidecar)");
  cmd->add_option("--etcd", args->etcd, "etcd's client endpoints: HOST:PORT[,HOST:PORT...]")->required();
  cmd->add_option("--prefix", args->prefix, "the pool's etcd_prefix, e.g. /ringleader/cache/")->required();
  cmd->add_option("--ttl", args->ttl, "seconds a crashed host stays listed")->capture_default_str()->check(CLI::Range(2u, 3600u));
  cmd->add_option("server", args->line, "the server line, as in servers: (\"host:port:weight [name]\")")->required();
  cmd->callback([args] { run_register(*args); });
}

}  // namespace ringleader::cli
