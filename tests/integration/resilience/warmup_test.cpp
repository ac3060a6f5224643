// Warm-up (warmup_ms, draining servers; docs/warmup.md) against real memcached servers: after a
// fifth server joins, every key is still found, the moved ones copied to their new owner with their
// flags and their remaining TTL; a value written or deleted after the change is never replaced by
// the older copy (set, delete, cas, incr, append, and a delete racing a warm-up read, forced by
// stopping the previous owner); a draining server's keys are read from it; the removed server's
// connection closes when the warm-up is over. The fixture: reload_fixture.hpp.
#include <gtest/gtest.h>

#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <functional>
#include <thread>

#include "reload_fixture.hpp"

namespace ringleader::test {

// Sends a Redis command and reads its reply (integration/proxy/cluster.cpp; its header also declares a
// memcache() that would make the fixture's calls ambiguous).
std::string redis(Connection& c, const std::vector<std::string>& args);
std::string redis_reply(Connection& c);
std::string resp(const std::vector<std::string>& args);

namespace {

const std::string kWarmUp = kKetama + "  warmup_ms: 600000\n";

class WarmUp : public Reload {
 protected:
  // The proxy with a stats port, one worker thread.
  void start_with_stats(const std::string& config) {
    file_ = dir_.write("c.yml", config);
    proxy_.emplace(start_ringleader(dir_, file_, {listen_, stats_}, {"--threads", "1", "-s", std::to_string(stats_),
                                                                      "-a", "127.0.0.1"}));
  }

  // A pool counter from the stats port.
  long stat(const std::string& name) {
    const std::string json = Connection(stats_).receive_until_closed();
    const std::string field = "\"" + name + "\":";
    const auto at = json.find(field);
    if (at == std::string::npos) throw std::runtime_error("no " + name + " in " + json);
    return std::stol(json.substr(at + field.size()));
  }

  // Sets `keys` (set_all(), or `set_key` for each) through four servers after finding which of them a
  // fifth server will take (those keys are returned): the proxy starts with five servers and
  // `options` without warm-up, which the reload to four keeps, so these writes are not the warm-up's.
  std::vector<std::string> set_on_four(const std::vector<std::string>& keys, const std::string& options,
                                       const std::function<void(Connection&, const std::string&)>& set_key) {
    start_with_stats(pool({0, 1, 2, 3, 4}, options));
    Connection client(listen_);
    set_all(client, keys, "x");
    std::vector<std::string> moving;
    for (const auto& [key, owner] : owners(keys)) {
      if (owner == 4) moving.push_back(key);
    }
    for (auto& direct : direct_) EXPECT_EQ(memcache(direct, "flush_all\r\n"), "OK\r\n");
    EXPECT_TRUE(reload(pool({0, 1, 2, 3}, options), "config reloaded"));
    for (const auto& key : keys) set_key(client, key);
    return moving;
  }

  // set_on_four() with every key set to `value`, where each key is noted in `before`; then the fifth
  // server joins with warm-up. Returns the keys it takes.
  std::vector<std::string> join_after_setting(const std::vector<std::string>& keys, const std::string& value,
                                              std::map<std::string, int>& before) {
    const auto moving = set_on_four(keys, kKetama, [&](Connection& c, const std::string& key) {
      ASSERT_EQ(memcache(c, set(key, value)), "STORED\r\n");
    });
    before = owners(keys);
    EXPECT_TRUE(reload(pool({0, 1, 2, 3, 4}, kWarmUp), "config reloaded"));
    return moving;
  }

  std::uint16_t stats_ = free_port();
};

std::string meta(Connection& c, const std::string& request) {
  return memcache(c, request, false);
}

// The TTL memcached has left for `key` (mg ... t), or -2 if it has no value.
long ttl_on(Connection& c, const std::string& key) {
  const std::string reply = meta(c, "mg " + key + " t\r\n");
  if (!reply.starts_with("HD t")) return -2;
  return std::stol(reply.substr(4));
}

std::size_t open_fds(pid_t pid) {
  const auto dir = std::filesystem::path("/proc") / std::to_string(pid) / "fd";
  return static_cast<std::size_t>(std::distance(std::filesystem::directory_iterator(dir), {}));
}

// A fifth server added with warmup_ms: no read misses (without warm-up about a fifth would); each
// moved key is copied to the new server with its flags, and a key with a TTL gets what was left of
// it, not the TTL it was set with. Read again, the keys come from the new server.
TEST_F(WarmUp, AddedServerMissesNothingAndGetsCopiesWithTheirTtl) {
  const auto keys = numbered_keys(1000);
  set_on_four(keys, kKetama, [](Connection& c, const std::string& key) {
    ASSERT_EQ(memcache(c, "set " + key + " 7 100 1\r\nv\r\n"), "STORED\r\n");
  });
  Connection client(listen_);
  const auto before = owners(keys);
  // memcached counts TTLs in whole seconds: after more than one, what is left is below 100.
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));

  ASSERT_TRUE(reload(pool({0, 1, 2, 3, 4}, kWarmUp), "config reloaded"));
  int misses = 0;
  for (const auto& key : keys) {
    const std::string reply = memcache(client, "get " + key + "\r\n", true);
    misses += reply == "END\r\n";
    if (reply != "END\r\n") {
      EXPECT_EQ(reply, "VALUE " + key + " 7 1\r\nv\r\nEND\r\n");
    }
  }
  const auto copied = values_on(direct_[4], keys);
  std::printf("a 5th server added with warm-up: %d of %zu reads missed; %zu keys copied to it\n", misses, keys.size(),
              copied.size());
  EXPECT_EQ(misses, 0);
  EXPECT_GT(copied.size(), keys.size() / 10);
  EXPECT_EQ(stat("warmup_reads"), static_cast<long>(copied.size()));
  EXPECT_EQ(stat("warmup_hits"), static_cast<long>(copied.size()));
  EXPECT_EQ(stat("warmup_copies"), static_cast<long>(copied.size()));
  for (const auto& [key, value] : copied) {
    EXPECT_NE(before.at(key), 4);
    const long ttl = ttl_on(direct_[4], key);
    EXPECT_GT(ttl, 0) << key;
    EXPECT_LT(ttl, 100) << key << ": the copy has the full TTL, not what was left of it";
    EXPECT_EQ(meta(direct_[4], "mg " + key + " f\r\n"), "HD f7\r\n") << key;
  }
  // The second read is a hit on the new owner: no more warm-up reads.
  for (const auto& key : keys) EXPECT_EQ(memcache(client, "get " + key + "\r\n", true), "VALUE " + key + " 7 1\r\nv\r\nEND\r\n");
  EXPECT_EQ(stat("warmup_reads"), static_cast<long>(copied.size()));
}

// Writes after the change win over the previous owner's copy: set, delete, cas, incr and append of
// moved keys, each checked by a read through the proxy and on the new server directly.
TEST_F(WarmUp, WritesAfterTheChangeAreNeverReplacedByTheOldValue) {
  std::map<std::string, int> before;
  const auto moved = join_after_setting(numbered_keys(400), "5", before);
  ASSERT_GE(moved.size(), 20u);
  Connection client(listen_);

  // set: the new value, and it stays.
  EXPECT_EQ(memcache(client, set(moved[0], "new")), "STORED\r\n");
  EXPECT_EQ(memcache(client, "get " + moved[0] + "\r\n", true), found(moved[0], "new"));
  // delete: gone from both owners, so no read can find the old value again.
  EXPECT_EQ(memcache(client, "delete " + moved[1] + "\r\n"), "DELETED\r\n");
  EXPECT_EQ(memcache(client, "get " + moved[1] + "\r\n", true), "END\r\n");
  EXPECT_EQ(memcache(direct_[before.at(moved[1])], "get " + moved[1] + "\r\n", true), "END\r\n");
  EXPECT_EQ(memcache(client, "get " + moved[1] + "\r\n", true), "END\r\n");
  // cas with the token of a warm-up read: never stores over another value; whatever it answers,
  // the value read next is the one it says.
  const std::string read = memcache(client, "gets " + moved[2] + "\r\n", true);
  ASSERT_TRUE(read.starts_with("VALUE " + moved[2] + " 0 1 ")) << read;
  const std::string token = read.substr(read.rfind(' ', read.find("\r\n")) + 1, read.find("\r\n") - read.rfind(' ', read.find("\r\n")) - 1);
  const std::string cas = memcache(client, "cas " + moved[2] + " 0 0 3 " + token + "\r\ncas\r\n");
  EXPECT_TRUE(cas == "STORED\r\n" || cas == "EXISTS\r\n") << cas;
  EXPECT_EQ(memcache(client, "get " + moved[2] + "\r\n", true), found(moved[2], cas == "STORED\r\n" ? "cas" : "5"));
  // incr after a read (the copy is there): counts on from the old value.
  EXPECT_EQ(memcache(client, "get " + moved[3] + "\r\n", true), found(moved[3], "5"));
  EXPECT_EQ(memcache(client, "incr " + moved[3] + " 2\r\n"), "7\r\n");
  EXPECT_EQ(memcache(client, "get " + moved[3] + "\r\n", true), found(moved[3], "7"));
  // incr before any read: the new owner has no value; the read that follows may answer the old
  // value but must not copy it over what the incr did (nothing).
  EXPECT_EQ(memcache(client, "incr " + moved[4] + " 2\r\n"), "NOT_FOUND\r\n");
  EXPECT_EQ(memcache(client, "get " + moved[4] + "\r\n", true), found(moved[4], "5"));
  EXPECT_EQ(memcache(direct_[4], "get " + moved[4] + "\r\n", true), "END\r\n") << "copied over a write";
  // append after a read: appends to the copy.
  EXPECT_EQ(memcache(client, "get " + moved[5] + "\r\n", true), found(moved[5], "5"));
  EXPECT_EQ(memcache(client, "append " + moved[5] + " 0 0 1\r\n+\r\n"), "STORED\r\n");
  EXPECT_EQ(memcache(client, "get " + moved[5] + "\r\n", true), found(moved[5], "5+"));
  // A multi-key get mixing moved, deleted and kept keys.
  const std::string kept = [&] {
    for (const auto& [key, owner] : before)
      if (std::find(moved.begin(), moved.end(), key) == moved.end()) return key;
    return std::string();
  }();
  ASSERT_FALSE(kept.empty());
  const std::string many = memcache(client, "get " + moved[0] + " " + moved[1] + " " + moved[6] + " " + kept + "\r\n", true);
  // (ValuesReply merges in the order the parts come back.)
  for (const std::string& block : {"VALUE " + moved[0] + " 0 3\r\nnew\r\n", "VALUE " + moved[6] + " 0 1\r\n5\r\n",
                                   "VALUE " + kept + " 0 1\r\n5\r\n"})
    EXPECT_NE(many.find(block), std::string::npos) << many;
  EXPECT_EQ(many.find(moved[1]), std::string::npos) << many;
  EXPECT_TRUE(many.ends_with("\r\nEND\r\n")) << many;
}

// The race, forced: a warm-up read reaches the previous owner (stopped, so it waits), then a
// delete of the same key is sent; the previous owner answers the read with the old value, which the
// client gets (the read came first), but the copy must not reach the new owner after the delete.
TEST_F(WarmUp, DeleteRacingAWarmUpReadLeavesNoCopy) {
  std::map<std::string, int> before;
  const auto moved = join_after_setting(numbered_keys(400), "old", before);
  ASSERT_FALSE(moved.empty());
  Connection client(listen_);
  const std::string key = moved[0];
  Server& previous = servers_[before.at(key)];

  stop(previous.process);
  Connection reader(listen_), deleter(listen_);
  reader.send("get " + key + "\r\n");
  // The read has missed on the new owner and waits for the stopped one.
  for (int i = 0; i < 400 && stat("warmup_reads") == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ASSERT_EQ(stat("warmup_reads"), 1);
  deleter.send("delete " + key + "\r\n");
  // The delete has reached the new owner; its other half waits behind the read on the stopped one.
  const auto deleted_on_new = [&] {
    return memcache(direct_[4], "stats\r\n", true).find("STAT delete_misses 1\r\n") != std::string::npos;
  };
  for (int i = 0; i < 400 && !deleted_on_new(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ASSERT_TRUE(deleted_on_new());
  previous.process.signal(SIGCONT);
  EXPECT_EQ(memcache(deleter, "", false), "DELETED\r\n");
  EXPECT_EQ(memcache(reader, "", true), found(key, "old"));
  // Both owners have answered; a read through the proxy (after the copy on the same connection)
  // and on each server finds nothing.
  EXPECT_EQ(memcache(client, "get " + key + "\r\n", true), "END\r\n");
  EXPECT_EQ(memcache(direct_[4], "get " + key + "\r\n", true), "END\r\n") << "the old value was copied after the delete";
  EXPECT_EQ(memcache(direct_[before.at(key)], "get " + key + "\r\n", true), "END\r\n");
  EXPECT_EQ(stat("warmup_copies"), 0);
  EXPECT_EQ(stat("warmup_copies_skipped"), 1);
}

// A server marked draining: its keys are read from it and copied to their next owners, without any
// other change; removing it then moves nothing more; with warmup_ms short, the removed server's
// connection closes when the warm-up ends (the proxy's descriptors come back).
TEST_F(WarmUp, DrainingServerHandsItsKeysOverAndItsConnectionCloses) {
  const std::string options = kKetama + "  warmup_ms: 200\n  preconnect: true\n";
  start_with_stats(pool({0, 1, 2, 3}, options));
  Connection client(listen_);
  const auto keys = numbered_keys(400);
  set_all(client, keys, "v");
  const auto before = owners(keys);
  const std::size_t fds = open_fds(proxy().pid());

  std::string draining = pool({0, 1, 2, 3}, options);
  const std::string line = "server-3";
  draining.insert(draining.find(line) + line.size(), " draining");
  ASSERT_TRUE(reload(draining, "config reloaded"));
  const auto [hits, misses] = read_all(client, keys, "v");
  EXPECT_EQ(misses.size(), 0u);
  int on_draining = 0;
  for (const auto& [key, owner] : before) on_draining += owner == 3;
  EXPECT_EQ(stat("warmup_copies"), on_draining);

  ASSERT_TRUE(reload(pool({0, 1, 2}, options), "config reloaded"));
  const auto [kept, lost] = read_all(client, keys, "v");
  EXPECT_EQ(lost.size(), 0u) << "a key moved when the drained server left";
  // The removed server's connection goes once the warm-up (200 ms, then the hold-off) is over.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (open_fds(proxy().pid()) >= fds && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_LT(open_fds(proxy().pid()), fds) << "the removed server's connection is still open";
}

// A Redis pool: a fifth server added with warm-up; every string (with its TTL left) and hash is
// found and copied (DUMP, RESTORE without REPLACE); MGET asks key by key; a set after the change
// wins; a delete after the change reaches both owners; a DEL racing a warm-up read leaves no copy. Keys are hash-tagged so that "{k:7}:d" sits
// where "{k:7}" does: read first, "{k:7}" shows which keys moved, and the others are still unread.
TEST_F(WarmUp, RedisPoolMissesNothingAndWritesWin) {
  std::vector<Server> redis_servers;
  std::vector<std::uint16_t> ports;
  for (int i = 0; i < 5; ++i) {
    redis_servers.push_back(start_redis(dir_));
    ports.push_back(redis_servers.back().port);
  }
  const std::vector<std::string> names = {"r0", "r1", "r2", "r3", "r4"};
  const std::string options = kKetama + "  redis: true\n  hash_tag: \"{}\"\n  warmup_ms: 600000\n";
  const auto redis_pool = [&](std::size_t n) {
    return memcache_pool(listen_, std::vector(ports.begin(), ports.begin() + n),
                         std::vector(names.begin(), names.begin() + n), options);
  };
  start_with_stats(redis_pool(4));
  Connection client(listen_);
  constexpr int kKeys = 300;
  const auto key = [](int i, const std::string& suffix = "") { return "{k:" + std::to_string(i) + "}" + suffix; };
  for (int i = 0; i < kKeys; ++i) {
    ASSERT_EQ(redis(client, {"SET", key(i), "v", "PX", "100000"}), "+OK\r\n");
    ASSERT_EQ(redis(client, {"HSET", key(i, ":h"), "f", "v"}), ":1\r\n");
    ASSERT_EQ(redis(client, {"SET", key(i, ":d"), "old"}), "+OK\r\n");
    ASSERT_EQ(redis(client, {"SET", key(i, ":s"), "old"}), "+OK\r\n");
  }
  // A subscriber is disconnected by the change, without a command of its own: its channel may have
  // moved, and its library subscribes again (docs/operations.md).
  Connection subscriber(listen_);
  ASSERT_EQ(redis(subscriber, {"SUBSCRIBE", "news"}), "*3\r\n$9\r\nsubscribe\r\n$4\r\nnews\r\n:1\r\n");
  ASSERT_TRUE(reload(redis_pool(5), "config reloaded"));
  EXPECT_TRUE(subscriber.closed_by_peer());

  int misses = 0;
  for (int i = 0; i < kKeys; ++i) {
    misses += redis(client, {"GET", key(i)}) != "$1\r\nv\r\n";
    misses += redis(client, {"HGET", key(i, ":h"), "f"}) != "$1\r\nv\r\n";
  }
  Connection newcomer(ports[4]);
  std::vector<int> moved;
  for (int i = 0; i < kKeys; ++i) {
    if (redis(newcomer, {"EXISTS", key(i)}) == ":1\r\n") moved.push_back(i);
  }
  std::printf("redis: a 5th server added with warm-up: %d of %d reads missed; %zu keys moved\n", misses, 2 * kKeys,
              moved.size());
  EXPECT_EQ(misses, 0);
  ASSERT_GE(moved.size(), 10u);
  for (int i : moved) {
    EXPECT_EQ(redis(newcomer, {"HGET", key(i, ":h"), "f"}), "$1\r\nv\r\n") << "hash not copied";
    const std::string pttl = redis(newcomer, {"PTTL", key(i)});
    ASSERT_TRUE(pttl.starts_with(":")) << pttl;
    EXPECT_GT(std::stol(pttl.substr(1)), 0);
    EXPECT_LT(std::stol(pttl.substr(1)), 100000) << "the copy has the full TTL, not what was left of it";
  }
  EXPECT_EQ(stat("warmup_copies"), static_cast<long>(2 * moved.size()));
  // A set after the change wins; a delete after it leaves nothing on either owner.
  const int a = moved[0], b = moved[1];
  EXPECT_EQ(redis(client, {"SET", key(a, ":s"), "new"}), "+OK\r\n");
  EXPECT_EQ(redis(client, {"GET", key(a, ":s")}), "$3\r\nnew\r\n");
  EXPECT_EQ(redis(client, {"DEL", key(b, ":d")}), ":0\r\n");  // the new owner's count (docs/warmup.md)
  EXPECT_EQ(redis(client, {"GET", key(b, ":d")}), "$-1\r\n");
  int on_any = 0;
  for (auto port : ports) {
    Connection direct(port);
    on_any += redis(direct, {"EXISTS", key(b, ":d")}) == ":1\r\n";
  }
  EXPECT_EQ(on_any, 0) << "the deleted key is still on a server";
  // MGET key by key: a moved unread key, a moved deleted one, a moved written one.
  EXPECT_EQ(redis(client, {"MGET", key(moved[2], ":d"), key(b, ":d"), key(a, ":s")}),
            "*3\r\n$3\r\nold\r\n$-1\r\n$3\r\nnew\r\n");
  EXPECT_EQ(redis(newcomer, {"GET", key(moved[2], ":d")}), "$3\r\nold\r\n");

  // A transaction (on a connection of the client's own) sees the keys' new owners only
  // (docs/operations.md): a moved key not yet copied is a miss in it, and the next plain GET still
  // reads it from its previous owner.
  const std::string unread = key(moved[4], ":s");
  EXPECT_EQ(redis(client, {"MULTI"}), "+OK\r\n");
  EXPECT_EQ(redis(client, {"GET", unread}), "+QUEUED\r\n");
  EXPECT_EQ(redis(client, {"EXEC"}), "*1\r\n$-1\r\n");
  EXPECT_EQ(redis(client, {"GET", unread}), "$3\r\nold\r\n");

  // The race, forced as for memcached: the warm-up read waits on the stopped previous owner while a
  // DEL of the key reaches the new owner; the copy must not land after it.
  const std::string raced = key(moved[3], ":d");
  std::size_t previous = 4;
  for (std::size_t s = 0; s < 4; ++s) {
    Connection direct(ports[s]);
    if (redis(direct, {"EXISTS", raced}) == ":1\r\n") previous = s;
  }
  ASSERT_LT(previous, 4u) << "the unread key is on no old server";
  const auto dels_on_new = [&] {
    const std::string info = redis(newcomer, {"INFO", "commandstats"});
    const auto at = info.find("cmdstat_del:calls=");
    return at == std::string::npos ? 0 : std::stoi(info.substr(at + 18));
  };
  const int dels = dels_on_new();
  const long reads = stat("warmup_reads");
  stop(redis_servers[previous].process);
  Connection reader(listen_), deleter(listen_);
  reader.send(resp({"GET", raced}));
  for (int i = 0; i < 400 && stat("warmup_reads") == reads; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ASSERT_EQ(stat("warmup_reads"), reads + 1);
  // The new owner's count answers; the previous owner's DEL waits behind the read.
  EXPECT_EQ(redis(deleter, {"DEL", raced}), ":0\r\n");
  for (int i = 0; i < 400 && dels_on_new() == dels; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  redis_servers[previous].process.signal(SIGCONT);
  EXPECT_EQ(redis_reply(reader), "$-1\r\n");  // the copy was not allowed, so the miss stands
  EXPECT_EQ(redis(client, {"GET", raced}), "$-1\r\n");
  EXPECT_EQ(redis(newcomer, {"EXISTS", raced}), ":0\r\n") << "the old value was copied after the DEL";
}

}  // namespace
}  // namespace ringleader::test
