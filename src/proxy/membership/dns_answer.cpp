// What a DNS answer means for a pool; see dns_answer.hpp.
#include "proxy/membership/dns_answer.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <numeric>
#include <tuple>

#include "proxy/config/server_entry.hpp"

namespace ringleader::proxy::membership {

std::string dns_identity(std::string name) {
  if (name.ends_with('.')) name.pop_back();
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return name;
}

std::vector<config::Server> dns_members(const config::Dns& settings, std::vector<DnsRecord> records,
                                        const std::vector<config::Server>& previous) {
  std::map<std::string, std::string> address_of;  // target -> its address now (names "target:port" too)
  for (const config::Server& s : previous) address_of.emplace(s.name.substr(0, s.name.find(':')), s.host);
  for (DnsRecord& r : records) {
    r.target = dns_identity(std::move(r.target));
    if (const auto it = address_of.find(r.target); r.address.empty() && !r.target.empty() && it != address_of.end())
      r.address = it->second;
  }
  std::erase_if(records, [](const DnsRecord& r) { return r.address.empty(); });
  const auto key = [](const DnsRecord& r) { return std::tie(r.target, r.port, r.address, r.weight); };
  std::sort(records.begin(), records.end(), [&](const DnsRecord& a, const DnsRecord& b) { return key(a) < key(b); });
  // One server per target and port (per address and port for dns_a): a repeat, even with another
  // weight, is the same server; the first in sorted order wins, whatever order the answer had.
  const auto same_server = [&](const DnsRecord& a, const DnsRecord& b) {
    return a.target == b.target && a.port == b.port && (!settings.a.empty() ? a.address == b.address : true);
  };
  records.erase(std::unique(records.begin(), records.end(), same_server), records.end());
  std::map<std::string, int> ports_of;  // target -> how many ports it is listed with
  for (const DnsRecord& r : records) ++ports_of[r.target];

  // Only the weights' proportions matter: CoreDNS gives every record of a service the same weight,
  // which depends on how many there are, so unreduced, every server's weight would change (and a
  // ring move keys between the servers that stay) whenever a pod joins or leaves.
  std::uint32_t divisor = 0;
  for (const DnsRecord& r : records) divisor = std::gcd(divisor, std::max<std::uint32_t>(r.weight, 1));
  std::vector<config::Server> members;
  for (const DnsRecord& r : records) {
    const std::uint32_t weight = settings.weight.value_or(std::max<std::uint32_t>(r.weight, 1) / divisor);
    std::string line = r.address + ":" + std::to_string(r.port) + ":" + std::to_string(weight);
    if (!r.target.empty()) line += " " + (ports_of[r.target] > 1 ? r.target + ":" + std::to_string(r.port) : r.target);
    members.push_back(config::parse_server(line));
  }
  return members;
}

std::optional<std::string> dns_refusal(const config::Dns& settings, const std::vector<config::Server>& members) {
  if (members.empty()) return "the answer lists no servers";
  if (members.size() < settings.min_servers)
    return "the answer lists " + std::to_string(members.size()) + " servers, fewer than dns_min_servers (" +
           std::to_string(settings.min_servers) + ")";
  return std::nullopt;
}

std::chrono::milliseconds dns_refresh(const config::Dns& settings, std::chrono::seconds ttl) {
  if (settings.refresh_ms) return std::chrono::milliseconds(*settings.refresh_ms);
  return std::max<std::chrono::milliseconds>(ttl, std::chrono::seconds(1));
}

}  // namespace ringleader::proxy::membership
