// Drop-in compatibility: on the same config, every key lands on the same backend through ringleader
// as through nutcracker (twemproxy) itself.
#include <gtest/gtest.h>

#include "cluster.hpp"

namespace ringleader::test {
namespace {

constexpr int kKeys = 300;

std::string key(int i) { return i % 10 == 0 ? "{tag" + std::to_string(i % 7) + "}k" + std::to_string(i) : "key:" + std::to_string(i); }

// The backend holding each key (-1: none, -2: several).
std::vector<int> memcache_holders(Cluster& cluster) {
  std::vector<int> where(kKeys, -1);
  for (int s = 0; s < 3; ++s) {
    Connection direct(cluster.memcached[static_cast<std::size_t>(s)].port);
    for (int i = 0; i < kKeys; ++i) {
      if (memcache(direct, "get " + key(i) + "\r\n") != "END\r\n") where[static_cast<std::size_t>(i)] = where[static_cast<std::size_t>(i)] == -1 ? s : -2;
    }
    EXPECT_EQ(memcache(direct, "flush_all\r\n"), "OK\r\n");
  }
  return where;
}

std::vector<int> redis_holders(Cluster& cluster) {
  std::vector<int> where(kKeys, -1);
  for (int s = 0; s < 3; ++s) {
    Connection direct(cluster.redis[static_cast<std::size_t>(s)].port);
    for (int i = 0; i < kKeys; ++i) {
      if (redis(direct, {"EXISTS", key(i)}) == ":1\r\n") where[static_cast<std::size_t>(i)] = where[static_cast<std::size_t>(i)] == -1 ? s : -2;
    }
    EXPECT_EQ(redis(direct, {"FLUSHALL"}), "+OK\r\n");
  }
  return where;
}

// memcached pool (fnv1a_64 + ketama): same backend for every key.
TEST(NutcrackerCompat, MemcacheKeysLandOnTheSameServers) {
  Cluster cluster(true);
  Connection nut(cluster.nutcracker_ports.memcache);
  for (int i = 0; i < kKeys; ++i) ASSERT_EQ(memcache(nut, "set " + key(i) + " 0 0 1\r\nn\r\n"), "STORED\r\n");
  const auto through_nutcracker = memcache_holders(cluster);
  Connection ours(cluster.ringleader_ports.memcache);
  for (int i = 0; i < kKeys; ++i) ASSERT_EQ(memcache(ours, "set " + key(i) + " 0 0 1\r\nr\r\n"), "STORED\r\n");
  const auto through_ringleader = memcache_holders(cluster);
  EXPECT_EQ(std::count(through_nutcracker.begin(), through_nutcracker.end(), -1), 0);
  EXPECT_EQ(through_ringleader, through_nutcracker);
}

// Redis pool (fnv1a_64 + ketama + hash_tag "{}"): same backend for every key.
TEST(NutcrackerCompat, RedisKeysLandOnTheSameServers) {
  Cluster cluster(true);
  Connection nut(cluster.nutcracker_ports.redis);
  for (int i = 0; i < kKeys; ++i) ASSERT_EQ(redis(nut, {"SET", key(i), "n"}), "+OK\r\n");
  const auto through_nutcracker = redis_holders(cluster);
  Connection ours(cluster.ringleader_ports.redis);
  for (int i = 0; i < kKeys; ++i) ASSERT_EQ(redis(ours, {"SET", key(i), "r"}), "+OK\r\n");
  const auto through_ringleader = redis_holders(cluster);
  EXPECT_EQ(std::count(through_nutcracker.begin(), through_nutcracker.end(), -1), 0);
  EXPECT_EQ(through_ringleader, through_nutcracker);
}

}  // namespace
}  // namespace ringleader::test
