// What a DNS answer means for a pool (docs/operations.md, "Kubernetes"): pure functions, no I/O, so
// the rules below are unit-tested apart from the resolver (dns_resolver.hpp) and the source
// (dns_source.hpp).
//
// - Identity. With `dns_srv`, a server's name (what placement hashes) is its SRV target, lower-cased
//   and without the final dot: a StatefulSet pod's name, which outlives its address. A target
//   listed with two ports names each server "target:port". With `dns_a`, a server has no name:
//   its identity is its address, so a pod rescheduled under a new address is a new server.
// - Order. The members are sorted by name (then port, then address), so every proxy that sees the
//   same records builds the same member list, whatever order the answer had; an answer that only
//   reorders records gives the same list, and so changes nothing.
// - Weight. `dns_weight` if set; else the SRV weight (0, which RFC 2782 allows, counts as 1),
//   divided by the greatest common divisor of the answer's weights, so equal weights are always 1
//   (CoreDNS's change with the number of pods); an A record's server weighs 1. SRV priorities are
//   not used: every target takes keys.
//
//   auto members = dns_members(settings, records, members_now);
//   if (auto why = dns_refusal(settings, members)) log(*why);   // empty, or below dns_min_servers
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "proxy/config/config.hpp"

namespace ringleader::proxy::membership {

/// One server as DNS gave it: the SRV target (empty for `dns_a`), an address it resolved to, the
/// port, the SRV weight (0 for `dns_a`).
struct DnsRecord {
  std::string target;
  std::string address;
  std::uint16_t port = 0;
  std::uint32_t weight = 0;
};

/// The pool's server lines for `records`, in the order the file comment gives; repeated records
/// count once. Each line reads "address:port:weight [name]" (config::parse_server). A record
/// without an address (its target did not resolve this time) keeps the address its server has in
/// `previous`, the members served now; a new one is left out until it resolves.
std::vector<config::Server> dns_members(const config::Dns& settings, std::vector<DnsRecord> records,
                                        const std::vector<config::Server>& previous = {});

/// Why `members` must not be applied (none at all, or fewer than dns_min_servers), or nothing.
std::optional<std::string> dns_refusal(const config::Dns& settings, const std::vector<config::Server>& members);

/// When to ask again after an answer whose smallest TTL is `ttl`: dns_refresh_ms if set, else the
/// TTL, at least 1 s (a TTL of 0, dnsmasq's default for its own records, would mean asking nonstop).
std::chrono::milliseconds dns_refresh(const config::Dns& settings, std::chrono::seconds ttl);

/// A DNS name as an identity: lower case, without the final dot.
std::string dns_identity(std::string name);

}  // namespace ringleader::proxy::membership
