// libmemcached itself agrees with LibmemcachedKetama on every key: with MEMCACHED_BEHAVIOR_KETAMA_WEIGHTED
// (weighted ketama + MD5), memcached_generate_hash() returns the server index our continuum returns.
// No memcached server is needed: libmemcached places keys without connecting.
#include <libmemcached/memcached.h>

#include <gtest/gtest.h>

#include <memory>
#include <random>
#include <string>
#include <vector>

#include "ringleader/compat/ketama.hpp"

namespace ringleader::compat {
namespace {

struct MemcachedDeleter {
  void operator()(memcached_st* m) const { memcached_free(m); }
};

// A libmemcached handle with these servers, weighted ketama on.
std::unique_ptr<memcached_st, MemcachedDeleter> libmemcached_with(const std::vector<LibmemcachedServer>& servers) {
  std::unique_ptr<memcached_st, MemcachedDeleter> m(memcached_create(nullptr));
  if (!m) throw std::runtime_error("memcached_create failed");
  if (memcached_behavior_set(m.get(), MEMCACHED_BEHAVIOR_KETAMA_WEIGHTED, 1) != MEMCACHED_SUCCESS)
    throw std::runtime_error("MEMCACHED_BEHAVIOR_KETAMA_WEIGHTED refused");
  for (const auto& s : servers)
    if (memcached_server_add_with_weight(m.get(), s.host.c_str(), s.port, s.weight) != MEMCACHED_SUCCESS)
      throw std::runtime_error("memcached_server_add_with_weight " + s.host + " failed");
  return m;
}

std::vector<std::string> test_keys() {
  std::vector<std::string> keys;
  std::mt19937_64 rng(7);
  for (int i = 0; i < 20000; ++i) keys.push_back("user:" + std::to_string(i));
  for (int i = 0; i < 5000; ++i) {  // arbitrary bytes, 1..64 long
    std::string k(1 + rng() % 64, '\0');
    for (char& c : k) c = static_cast<char>(rng());
    keys.push_back(k);
  }
  return keys;
}

void expect_same_placement(const std::vector<LibmemcachedServer>& servers) {
  auto memc = libmemcached_with(servers);
  const LibmemcachedKetama ours(servers);
  std::size_t wrong = 0;
  const auto keys = test_keys();
  for (const std::string& k : keys) {
    const std::uint32_t theirs = memcached_generate_hash(memc.get(), k.data(), k.size());
    if (ours.server_for(k) != theirs && ++wrong <= 3)
      ADD_FAILURE() << "key of " << k.size() << " bytes: libmemcached " << theirs << ", ours " << ours.server_for(k);
  }
  EXPECT_EQ(wrong, 0u) << wrong << " of " << keys.size() << " keys differ";
}

// The classic fleet: everything on port 11211, so points are named by host alone.
TEST(LibmemcachedKetama, AgreesOnPort11211Servers) {
  expect_same_placement({{"10.0.0.1", 11211, 1}, {"10.0.0.2", 11211, 1}, {"10.0.0.3", 11211, 1}});
}

// Other ports put "host:port" in the point names; weights change the point counts.
TEST(LibmemcachedKetama, AgreesWithPortsAndWeights) {
  expect_same_placement({{"127.0.0.1", 11211, 1}, {"127.0.0.1", 11212, 3}, {"cache-b.example", 21211, 2},
                         {"10.1.2.3", 11211, 7}, {"cache-c.example", 11213, 1}});
}

// Many servers with uneven weights exercise the float rounding of the points-per-server formula.
TEST(LibmemcachedKetama, AgreesWithManyUnevenServers) {
  std::vector<LibmemcachedServer> servers;
  for (std::uint16_t i = 0; i < 37; ++i)
    servers.push_back({"10.0.1." + std::to_string(i), static_cast<std::uint16_t>(11211 + i % 3), 1u + (i * 7u) % 11u});
  expect_same_placement(servers);
}

// One server: libmemcached does not hash at all.
TEST(LibmemcachedKetama, AgreesWithOneServer) { expect_same_placement({{"10.0.0.9", 11311, 4}}); }

}  // namespace
}  // namespace ringleader::compat
