// DnsResolver: asks DNS for a pool's servers (`dns_srv` or `dns_a`) through c-ares, the resolver
// curl and gRPC use, so no DNS parsing of our own beyond reading the TTLs c-ares 1.18 does not
// return for SRV records.
//
// One c-ares channel, driven by poll() on the calling thread (the DNS source's own thread: never a
// worker's, never the signal path): resolve() returns once every query is answered, has failed or
// timed out (c-ares' retries: 1 s, then 2 s, per name server), or cancel() was called. cancel() is
// safe from any thread and final: the resolver wakes from whatever it waits on and every later
// call returns at once. So the source's destructor is prompt whatever the name servers do.
//
// With `dns_resolver:` the names are asked of those servers as written (no search domains, no
// /etc/hosts); without it, as /etc/resolv.conf says (its servers, search domains and ndots).
//
//   DnsResolver resolver(settings);
//   DnsResolver::Answer answer = resolver.resolve();        // throws DnsError
//   auto members = dns_members(settings, answer.records);
#pragma once

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

#include "proxy/config/config.hpp"
#include "proxy/membership/dns_answer.hpp"

struct ares_channeldata;

namespace ringleader::proxy::membership {

/// DNS did not answer, or answered with an error. `no_such_name`: it said the name has no such
/// records (NXDOMAIN, or no record of that type): an empty answer rather than a failure.
class DnsError : public std::runtime_error {
 public:
  DnsError(const std::string& what, bool no_such_name) : std::runtime_error(what), no_such_name_(no_such_name) {}
  bool no_such_name() const noexcept { return no_such_name_; }

 private:
  bool no_such_name_;
};

class DnsResolver {
 public:
  struct Answer {
    /// With dns_srv, one per SRV record and address of its target; a target whose address did not
    /// resolve is listed once with an empty address (and named in `unresolved`).
    std::vector<DnsRecord> records;
    std::vector<std::string> unresolved;  // "target: reason"
    std::chrono::seconds ttl{0};          // the smallest TTL of the records used
  };

  /// Throws std::runtime_error if c-ares cannot start (e.g. an unreadable resolv.conf).
  explicit DnsResolver(const config::Dns& settings);
  ~DnsResolver();
  DnsResolver(const DnsResolver&) = delete;
  DnsResolver& operator=(const DnsResolver&) = delete;

  /// Asks now. Throws DnsError if the name does not resolve or DNS fails, or after cancel().
  Answer resolve();
  /// Waits `how_long`; false at once if cancel() was called (before or during).
  bool wait(std::chrono::milliseconds how_long);
  /// Ends resolve() and wait(), now and from now on. Any thread.
  void cancel();
  bool cancelled() const noexcept { return cancelled_; }

 private:
  struct Queries;
  /// Runs the channel until `pending` reaches 0; throws DnsError once cancelled.
  void run(const int& pending);
  /// Starts asking for the A/AAAA addresses of `name` (once per name), into queries.by_name.
  void ask_addresses(const std::string& name, Queries& queries);

  const config::Dns settings_;
  ares_channeldata* channel_ = nullptr;
  int wake_fd_ = -1;  // an eventfd: readable once cancelled
  std::atomic<bool> cancelled_{false};
};

}  // namespace ringleader::proxy::membership
