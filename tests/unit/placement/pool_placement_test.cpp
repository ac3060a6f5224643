// The placement's ejection modes, its edge cases, and ringleader's own algorithms behind it.

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "proxy/config/config.hpp"

namespace ringleader::config {
namespace {

std::string pool_yaml(const std::string& settings) {
  return "p:\n  listen: 127.0.0.1:1\n" + settings +
         "  servers:\n   - 10.0.0.1:11211:1\n   - 10.0.0.2:11211:2 b\n   - 10.0.0.3:11212:1\n   - 10.0.0.4:11211:1 d\n";
}

std::vector<std::string> keys() {
  std::vector<std::string> k;
  for (int i = 0; i < 20000; ++i) k.push_back("key:" + std::to_string(i));
  return k;
}

// twemproxy's rebuild: with server 2 ejected, keys go where a pool without server 2 sends them.
TEST(PoolPlacement, RebuildEqualsThePoolWithoutTheEjectedServer) {
  for (const std::string dist : {"ketama", "modula"}) {
    const Pool pool = parse(pool_yaml("  distribution: " + dist + "\n")).pool("p");
    Pool smaller = pool;
    smaller.servers.erase(smaller.servers.begin() + 2);
    const bool live[] = {true, true, false, true};
    const Placement ejected = make_placement(pool, live);
    const Placement without = make_placement(smaller);
    EXPECT_EQ(ejected.live_count(), 3u);
    for (const std::string& k : keys()) {
      const std::uint32_t got = ejected.server_for(k);
      ASSERT_NE(got, 2u);
      ASSERT_EQ(pool.servers[got].text, smaller.servers[without.server_for(k)].text) << dist << " " << k;
    }
  }
}

// stable: only the ejected server's keys move; every other key stays where it was.
TEST(PoolPlacement, StableEjectionMovesOnlyTheEjectedServersKeys) {
  for (const std::string settings : {"  distribution: ketama\n  ejection: stable\n", "  distribution: modula\n  ejection: stable\n",
                                     "  distribution: maglev\n", "  distribution: jump\n", "  distribution: anchor\n"}) {
    const Pool pool = parse(pool_yaml(settings)).pool("p");
    ASSERT_EQ(pool.ejection, Ejection::stable);
    const Placement all = make_placement(pool);
    const bool live[] = {true, false, true, true};
    const Placement ejected = make_placement(pool, live);
    std::size_t moved = 0;
    for (const std::string& k : keys()) {
      const std::uint32_t before = all.server_for(k), after = ejected.server_for(k);
      ASSERT_NE(after, 1u) << settings;
      if (before != 1) {
        ASSERT_EQ(after, before) << settings << k;
      }
      moved += before != after;
    }
    EXPECT_GT(moved, 0u) << settings;
  }
}

TEST(PoolPlacement, NoLiveServer) {
  const Pool pool = parse(pool_yaml("")).pool("p");
  const bool none[] = {false, false, false, false};
  const Placement r = make_placement(pool, none);
  EXPECT_EQ(r.live_count(), 0u);
  EXPECT_EQ(r.server_for("k"), Placement::kNoServer);
  const bool wrong_size[] = {true};
  EXPECT_THROW(make_placement(pool, wrong_size), std::invalid_argument);
}

// twemproxy's server_pool_hash(): an empty key (after hash_tag) hashes to 0.
TEST(PoolPlacement, EmptyKeyHashesToZeroForTwemproxy) {
  const Placement r = make_placement(parse(pool_yaml("  hash: murmur\n")).pool("p"));
  EXPECT_EQ(r.key_hash(""), 0u);
  EXPECT_NE(r.key_hash("a"), 0u);
}

// hash_tag applies to ringleader's algorithms too: keys with the same tag share a server.
TEST(PoolPlacement, HashTagGroupsKeysForEveryDistribution) {
  for (const std::string dist : {"ketama", "modula", "maglev", "rendezvous"}) {
    const Placement r = make_placement(parse(pool_yaml("  distribution: " + dist + "\n  hash_tag: \"{}\"\n")).pool("p"));
    for (int user = 0; user < 200; ++user) {
      const std::string tag = "{user" + std::to_string(user) + "}";
      EXPECT_EQ(r.server_for(tag + ":name"), r.server_for("cart:" + tag)) << dist;
      EXPECT_EQ(r.key_hash(tag + ":name"), r.key_hash("user" + std::to_string(user))) << dist;
    }
  }
}

// random never picks an ejected server.
TEST(PoolPlacement, RandomPicksOnlyLiveServers) {
  const Pool pool = parse(pool_yaml("  distribution: random\n")).pool("p");
  const bool live[] = {false, true, false, true};
  const Placement r = make_placement(pool, live);
  for (int i = 0; i < 1000; ++i) {
    const std::uint32_t s = r.server_for("same key");
    ASSERT_TRUE(s == 1 || s == 3) << s;
  }
}

// bounded_load: with no requests in flight every key goes to its owner; a server holding more than
// its bound gets no new key, each key it loses goes to a live server with room, other keys stay.
TEST(PoolPlacement, BoundedLoadSendsAFullServersKeysToServersWithRoom) {
  const Pool pool = parse(pool_yaml("  distribution: maglev\n  bounded_load: 1.25\n")).pool("p");
  const bool live[] = {true, true, true, false};
  const Placement placement = make_placement(pool, live);
  ASSERT_TRUE(placement.bounded());
  const std::vector<std::uint64_t> idle(4, 0);
  // Server 0 holds 10 of 12 requests in flight: its bound is ceil(1.25 x 13 x 1/4) = 5.
  const std::vector<std::uint64_t> busy = {10, 1, 1, 0};
  int moved = 0;
  for (const std::string& k : keys()) {
    const std::uint32_t owner = placement.server_for(k);
    ASSERT_EQ(placement.server_for(k, idle), owner) << k;
    const std::uint32_t got = placement.server_for(k, busy);
    ASSERT_NE(got, 3u) << "ejected";
    if (owner != 0) {
      ASSERT_EQ(got, owner) << k;
    } else {
      ASSERT_NE(got, 0u) << k;
      ++moved;
    }
  }
  EXPECT_GT(moved, 20000 / 8);
}

// Without bounded_load, and for twemproxy's distributions (which have none), loads change nothing.
TEST(PoolPlacement, LoadsChangeNothingWithoutBoundedLoad) {
  for (const std::string settings : {"  distribution: maglev\n", "  distribution: ketama\n  bounded_load: 1.25\n"}) {
    const Placement placement = make_placement(parse(pool_yaml(settings)).pool("p"));
    EXPECT_FALSE(placement.bounded());
    const std::vector<std::uint64_t> busy = {100, 0, 0, 0};
    for (const std::string& k : keys()) ASSERT_EQ(placement.server_for(k, busy), placement.server_for(k)) << settings << k;
  }
}

// ringleader's algorithms with a twemproxy hash (32-bit values) still spread keys over every server:
// unmixed, maglev and ring would put every key on one.
TEST(PoolPlacement, TwemproxyHashesSpreadKeysWithRingleadersAlgorithms) {
  for (const std::string dist : {"ring", "jump", "anchor", "memento", "maglev", "rendezvous", "multiprobe"}) {
    for (const std::string hash : {"fnv1a_64", "murmur", "md5"}) {
      const Placement placement = make_placement(parse(pool_yaml("  distribution: " + dist + "\n  hash: " + hash + "\n")).pool("p"));
      std::vector<int> count(4, 0);
      for (const std::string& k : keys()) ++count[placement.server_for(k)];
      for (int c : count) EXPECT_GT(c, 20000 / 10) << dist << " " << hash;  // weights 1, 2, 1, 1
    }
  }
}

}  // namespace
}  // namespace ringleader::config
