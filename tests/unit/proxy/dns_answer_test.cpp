// What a DNS answer means for a pool (src/proxy/membership/dns_answer.hpp): identity, order,
// weights, targets that did not resolve, refusals and the refresh period; no resolver involved.
#include "proxy/membership/dns_answer.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "ringleader/placement.hpp"

namespace ringleader::proxy::membership {
namespace {

config::Dns srv_settings() {
  config::Dns dns;
  dns.srv = "_memcache._tcp.cache.test";
  return dns;
}

config::Dns a_settings() {
  config::Dns dns;
  dns.a = "cache.test";
  dns.a_port = 11211;
  return dns;
}

std::vector<std::string> texts(const std::vector<config::Server>& servers) {
  std::vector<std::string> out;
  for (const auto& s : servers) out.push_back(s.text);
  return out;
}

const std::vector<DnsRecord> kRecords = {
    {"cache-2.cache.test.", "10.0.0.12", 11211, 10},
    {"cache-0.cache.test.", "10.0.0.10", 11211, 10},
    {"Cache-1.Cache.Test", "10.0.0.11", 11211, 20},
};

// SRV: a server is named by its target (lower case, no final dot), weighs its SRV weight (in
// proportion), and the list is sorted by name.
TEST(DnsAnswer, SrvTargetsAreNamesInNameOrder) {
  EXPECT_EQ(texts(dns_members(srv_settings(), kRecords)),
            (std::vector<std::string>{"10.0.0.10:11211:1 cache-0.cache.test", "10.0.0.11:11211:2 cache-1.cache.test",
                                      "10.0.0.12:11211:1 cache-2.cache.test"}));
}

// Every order of the same records gives the same members, hence the same placement on every proxy.
TEST(DnsAnswer, OrderOfRecordsChangesNothing) {
  std::vector<DnsRecord> records = kRecords;
  records.push_back({"cache-3.cache.test", "10.0.0.13", 11211, 10});
  std::sort(records.begin(), records.end(), [](const auto& a, const auto& b) { return a.address < b.address; });
  const auto first = texts(dns_members(srv_settings(), records));
  int orders = 0;
  while (std::next_permutation(records.begin(), records.end(), [](const auto& a, const auto& b) { return a.address < b.address; })) {
    EXPECT_EQ(texts(dns_members(srv_settings(), records)), first);
    ++orders;
  }
  EXPECT_EQ(orders, 23);
}

// A pod rescheduled under a new address keeps its name, so placement by name keeps its keys.
TEST(DnsAnswer, NewAddressSameName) {
  std::vector<DnsRecord> moved = kRecords;
  moved[0].address = "10.0.0.99";
  const auto before = dns_members(srv_settings(), kRecords);
  const auto after = dns_members(srv_settings(), moved);
  ASSERT_EQ(before.size(), after.size());
  for (std::size_t i = 0; i < before.size(); ++i) EXPECT_EQ(before[i].node_name(), after[i].node_name());
  EXPECT_EQ(after[2].host, "10.0.0.99");
}

// dns_weight overrides SRV weights; an SRV weight of 0 counts as 1; weights keep only their
// proportions, so the same weight for every record (CoreDNS: 100/n) is 1 whatever n is.
TEST(DnsAnswer, Weights) {
  config::Dns fixed = srv_settings();
  fixed.weight = 7;
  for (const auto& s : dns_members(fixed, kRecords)) EXPECT_EQ(s.weight, 7u);
  const auto zero = dns_members(srv_settings(), {{"a.test", "10.0.0.1", 11211, 0}, {"b.test", "10.0.0.2", 11211, 2}});
  EXPECT_EQ(zero.at(0).weight, 1u);
  EXPECT_EQ(zero.at(1).weight, 2u);
  EXPECT_EQ(dns_members(srv_settings(), kRecords).at(1).weight, 2u);  // 10, 20, 10 -> 1, 2, 1
  for (const std::uint32_t same : {33u, 25u, 100u})
    for (const auto& s : dns_members(srv_settings(), {{"a.test", "10.0.0.1", 1, same}, {"b.test", "10.0.0.2", 1, same}}))
      EXPECT_EQ(s.weight, 1u);
}

// Repeated records count once; a target listed with two ports is two servers named target:port;
// a target with two addresses is one server (the first address in order).
TEST(DnsAnswer, RepeatsAndPorts) {
  const auto members = dns_members(srv_settings(), {{"a.test", "10.0.0.2", 11211, 1},
                                                    {"a.test", "10.0.0.1", 11211, 1},
                                                    {"b.test", "10.0.0.3", 11212, 1},
                                                    {"b.test", "10.0.0.3", 11211, 1},
                                                    {"a.test", "10.0.0.1", 11211, 1}});
  EXPECT_EQ(texts(members), (std::vector<std::string>{"10.0.0.1:11211:1 a.test", "10.0.0.3:11211:1 b.test:11211",
                                                      "10.0.0.3:11212:1 b.test:11212"}));
}

// dns_a: one server per address, no name (the address is its identity), weight 1 or dns_weight.
TEST(DnsAnswer, AddressesAreTheServers) {
  const auto members = dns_members(a_settings(), {{"", "10.0.0.2", 11211, 0}, {"", "fd00::1", 11211, 0},
                                                  {"", "10.0.0.1", 11211, 0}, {"", "10.0.0.2", 11211, 0}});
  EXPECT_EQ(texts(members), (std::vector<std::string>{"10.0.0.1:11211:1", "10.0.0.2:11211:1", "fd00::1:11211:1"}));
  EXPECT_EQ(members[2].host, "fd00::1");
  EXPECT_EQ(members[0].node_name(), "10.0.0.1:11211");
}

// A target that did not resolve this time keeps the address it has; a new one is left out.
TEST(DnsAnswer, UnresolvedTargetKeepsItsAddress) {
  const auto now = dns_members(srv_settings(), kRecords);
  std::vector<DnsRecord> records = kRecords;
  records[1].address.clear();  // cache-0
  records.push_back({"cache-9.cache.test", "", 11211, 10});
  EXPECT_EQ(texts(dns_members(srv_settings(), records, now)), texts(now));
}

// Refused: an empty answer, and one below dns_min_servers.
TEST(DnsAnswer, Refusals) {
  config::Dns dns = srv_settings();
  EXPECT_TRUE(dns_refusal(dns, {}).has_value());
  const auto three = dns_members(dns, kRecords);
  EXPECT_FALSE(dns_refusal(dns, three).has_value());
  dns.min_servers = 4;
  ASSERT_TRUE(dns_refusal(dns, three).has_value());
  EXPECT_NE(dns_refusal(dns, three)->find("dns_min_servers (4)"), std::string::npos);
}

// The refresh: dns_refresh_ms if set, else the TTL, at least a second.
TEST(DnsAnswer, Refresh) {
  config::Dns dns = srv_settings();
  EXPECT_EQ(dns_refresh(dns, std::chrono::seconds(30)), std::chrono::seconds(30));
  EXPECT_EQ(dns_refresh(dns, std::chrono::seconds(0)), std::chrono::seconds(1));
  dns.refresh_ms = 250;
  EXPECT_EQ(dns_refresh(dns, std::chrono::seconds(30)), std::chrono::milliseconds(250));
}

}  // namespace
}  // namespace ringleader::proxy::membership
