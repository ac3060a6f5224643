// The nutcracker.yml loader: twemproxy's keys and defaults, the server and listen formats, our
// additions, warnings, and errors that name file, line, pool and key.
#include "proxy/config/config.hpp"
#include "proxy/config/server_entry.hpp"

#include <gtest/gtest.h>

#include <string>

namespace ringleader::config {
namespace {

// Parses `yaml` and returns the ConfigError it must raise.
ConfigError error_of(const std::string& yaml) {
  try {
    parse(yaml, "test.yml");
  } catch (const ConfigError& e) {
    return e;
  }
  ADD_FAILURE() << "no error for:\n" << yaml;
  return ConfigError("", 0, "", "", "");
}

// Pool `a` listening on line 2, then `rest`, must be refused for `key` on line 3, saying `says`.
void expect_refused_at_line_3(const std::string& rest, const std::string& key, const std::string& says) {
  const ConfigError e = error_of("a:\n  listen: h:1\n" + rest);
  EXPECT_EQ(e.key(), key) << rest;
  EXPECT_EQ(e.line(), 3u) << rest;
  EXPECT_NE(std::string(e.what()).find(says), std::string::npos) << e.what();
}

const std::string kMinimal = "alpha:\n  listen: 127.0.0.1:22121\n  servers:\n   - 127.0.0.1:11211:1\n";

// A pool that sets nothing gets twemproxy's defaults (nc_conf.h).
TEST(Config, TwemproxyDefaults) {
  const Pool p = parse(kMinimal).pool("alpha");
  EXPECT_EQ(p.hash, "fnv1a_64");
  EXPECT_EQ(p.distribution, "ketama");
  EXPECT_EQ(p.hash_tag, "");
  EXPECT_FALSE(p.timeout_ms.has_value());
  EXPECT_EQ(p.backlog, 512u);
  EXPECT_FALSE(p.preconnect);
  EXPECT_EQ(p.protocol, "memcache");
  EXPECT_EQ(p.redis_db, 0u);
  EXPECT_FALSE(p.server_connections);
  EXPECT_FALSE(p.auto_eject_hosts);
  EXPECT_EQ(p.server_retry_timeout_ms, 30000u);
  EXPECT_EQ(p.server_failure_limit, 2u);
  EXPECT_EQ(p.client_connections, 0u);
  EXPECT_FALSE(p.tcpkeepalive);
  EXPECT_EQ(p.ejection, Ejection::rebuild);
  EXPECT_FALSE(p.bounded_load.has_value());
  EXPECT_FALSE(p.max_value_bytes.has_value());
  EXPECT_EQ(p.max_line_bytes, 64u * 1024);
  EXPECT_EQ(p.max_replies_in_flight, 4096u);
  EXPECT_EQ(p.health_check_interval_ms, 100u);
  EXPECT_TRUE(p.warnings.empty());
}

// Every key twemproxy accepts, read with its meaning.
TEST(Config, EveryTwemproxyKey) {
  const Config c = parse(R"(beta:
  listen: /var/run/beta.sock 0660
  hash: murmur
  hash_tag: "{}"
  distribution: modula
  timeout: 400
  backlog: 1024
  preconnect: true
  redis: true
  redis_auth: s3cret
  redis_db: 3
  server_connections: 4
  auto_eject_hosts: true
  server_retry_timeout: 2000
  server_failure_limit: 5
  client_connections: 100
  tcpkeepalive: true
  servers:
   - 10.0.0.1:6379:1 cache-a
   - 10.0.0.2:6380:2
   - /tmp/redis.sock:3 local
)");
  const Pool& p = c.pool("beta");
  EXPECT_TRUE(p.listen.is_unix());
  EXPECT_EQ(p.listen.unix_path, "/var/run/beta.sock");
  EXPECT_EQ(p.listen.unix_permissions, 0660u);
  EXPECT_EQ(p.hash, "murmur");
  EXPECT_EQ(p.hash_tag, "{}");
  EXPECT_EQ(p.distribution, "modula");
  EXPECT_EQ(p.timeout_ms, 400u);
  EXPECT_EQ(p.backlog, 1024u);
  EXPECT_TRUE(p.preconnect);
  EXPECT_EQ(p.protocol, "redis");
  EXPECT_EQ(p.redis_auth, "s3cret");
  EXPECT_EQ(p.redis_db, 3u);
  EXPECT_EQ(p.server_connections, 4u);
  EXPECT_TRUE(p.auto_eject_hosts);
  EXPECT_EQ(p.server_retry_timeout_ms, 2000u);
  EXPECT_EQ(p.server_failure_limit, 5u);
  EXPECT_EQ(p.client_connections, 100u);
  EXPECT_TRUE(p.tcpkeepalive);
  ASSERT_EQ(p.servers.size(), 3u);
  EXPECT_EQ(p.servers[0].text, "10.0.0.1:6379:1 cache-a");
  EXPECT_EQ(p.servers[0].host, "10.0.0.1");
  EXPECT_EQ(p.servers[0].port, 6379);
  EXPECT_EQ(p.servers[0].name, "cache-a");
  EXPECT_EQ(p.servers[0].line, 19u);
  EXPECT_EQ(p.servers[1].weight, 2u);
  EXPECT_EQ(p.servers[2].unix_path, "/tmp/redis.sock");
  EXPECT_EQ(p.servers[2].weight, 3u);
  EXPECT_EQ(p.line, 1u);
}

// The string ketama hashes: the name; else host for port 11211; else host:port; "path:" for a socket.
TEST(Config, KetamaNamesFollowTwemproxy) {
  const Pool p = parse(R"(a:
  listen: 127.0.0.1:1
  servers:
   - 10.0.0.1:11211:1
   - 10.0.0.2:11212:1
   - 10.0.0.3:11211:1 named
   - /tmp/mc.sock:1
   - ::1:11213:1
)").pool("a");
  EXPECT_EQ(p.servers[0].ketama_name(), "10.0.0.1");
  EXPECT_EQ(p.servers[1].ketama_name(), "10.0.0.2:11212");
  EXPECT_EQ(p.servers[2].ketama_name(), "named");
  EXPECT_EQ(p.servers[3].ketama_name(), "/tmp/mc.sock:");
  EXPECT_EQ(p.servers[4].host, "::1");
  EXPECT_EQ(p.servers[1].node_name(), "10.0.0.2:11212");
  EXPECT_EQ(p.servers[2].node_name(), "named");
}

// ringleader's algorithms get xxh3 and stable ejection unless told otherwise.
TEST(Config, RingleaderAdditions) {
  const Pool p = parse(R"(a:
  listen: 127.0.0.1:1
  distribution: maglev
  bounded_load: 1.25
  servers:
   - 10.0.0.1:11211:1
)").pool("a");
  EXPECT_EQ(p.hash, "xxh3");
  EXPECT_EQ(p.ejection, Ejection::stable);
  EXPECT_EQ(p.bounded_load, 1.25);
  const Pool q = parse("a:\n  listen: x:1\n  hash: xxh3\n  ejection: stable\n  servers:\n   - h:1:1\n").pool("a");
  EXPECT_EQ(q.distribution, "ketama");
  EXPECT_EQ(q.ejection, Ejection::stable);
}

// The limits are pool keys; their defaults (TwemproxyDefaults) are the proxy's former constants.
TEST(Config, Limits) {
  const Pool p = parse(R"(a:
  listen: 127.0.0.1:1
  max_value_bytes: 1048576
  max_line_bytes: 4096
  max_replies_in_flight: 16
  health_check_interval: 250
  servers:
   - 10.0.0.1:11211:1
)").pool("a");
  EXPECT_EQ(p.max_value_bytes, 1048576u);
  EXPECT_EQ(p.max_line_bytes, 4096u);
  EXPECT_EQ(p.max_replies_in_flight, 16u);
  EXPECT_EQ(p.health_check_interval_ms, 250u);
}

// A limit of 0, or one that is not a number, is refused with its line and key.
TEST(Config, RejectsBadLimits) {
  for (const std::string key : {"max_value_bytes", "max_line_bytes", "max_replies_in_flight", "health_check_interval"}) {
    for (const std::string value : {"0", "-1", "1k", "4294967296"}) {
      const ConfigError e = error_of("a:\n  listen: h:1\n  " + key + ": " + value + "\n  servers:\n   - h:1:1\n");
      EXPECT_EQ(e.key(), key) << value;
      EXPECT_EQ(e.line(), 3u) << value;
    }
  }
}

// replicas and its two modes; a pool without them keeps one copy, all writes, first reads.
TEST(Config, Replicas) {
  const std::string servers = "  servers:\n   - h:1:1\n   - h:2:1\n   - h:3:1\n";
  const Pool none = parse("a:\n  listen: h:1\n" + servers).pool("a");
  EXPECT_EQ(none.replicas, 1u);
  EXPECT_EQ(none.replica_writes, Pool::ReplicaWrites::all);
  EXPECT_EQ(none.replica_reads, Pool::ReplicaReads::first);
  const Pool p =
      parse("a:\n  listen: h:1\n  replicas: 3\n  replica_writes: one\n  replica_reads: miss_failover\n" + servers)
          .pool("a");
  EXPECT_EQ(p.replicas, 3u);
  EXPECT_EQ(p.replica_writes, Pool::ReplicaWrites::one);
  EXPECT_EQ(p.replica_reads, Pool::ReplicaReads::miss_failover);
  EXPECT_NE(p, none);  // a reload sees the change
}

// Copies that cannot be placed, or a mode that does not exist, are refused with line and key.
TEST(Config, RejectsBadReplicas) {
  const std::string servers = "  servers:\n   - h:1:1\n   - h:2:1\n";
  const auto expect = [&](const std::string& lines, const std::string& key, const std::string& says) {
    expect_refused_at_line_3(lines + servers, key, says);
  };
  expect("  replicas: 0\n", "replicas", "cannot be 0");
  expect("  replicas: 3\n", "replicas", "the pool has 2");
  expect("  replicas: 2\n  distribution: random\n", "replicas", "random");
  expect("  replicas: 2\n  distribution: ring\n  bounded_load: 1.5\n", "replicas", "bounded_load");
  expect("  replica_writes: some\n", "replica_writes", "'all'");
  expect("  replica_reads: any\n", "replica_reads", "'first'");
}

// warmup_ms (off by default) and a server line's trailing `draining`; a warm-up the pool cannot do is
// refused with line and key.
TEST(Config, WarmUpAndDraining) {
  const std::string servers = "  servers:\n   - h:1:1\n   - h:2:1 b draining\n   - h:3:1 draining\n";
  const Pool none = parse("a:\n  listen: h:1\n  servers:\n   - h:1:1\n").pool("a");
  EXPECT_EQ(none.warmup_ms, 0u);
  EXPECT_FALSE(none.servers[0].draining);
  const Pool p = parse("a:\n  listen: h:1\n  warmup_ms: 30000\n" + servers).pool("a");
  EXPECT_EQ(p.warmup_ms, 30000u);
  EXPECT_FALSE(p.servers[0].draining);
  EXPECT_TRUE(p.servers[1].draining);
  EXPECT_EQ(p.servers[1].name, "b");
  EXPECT_EQ(p.servers[1].port, 2);
  EXPECT_TRUE(p.servers[2].draining);
  EXPECT_EQ(p.servers[2].name, "");
  const ConfigError e = error_of("a:\n  listen: h:1\n  warmup_ms: 10\n  replicas: 2\n" + servers);
  EXPECT_EQ(e.key(), "warmup_ms");
  EXPECT_EQ(e.line(), 3u);
  EXPECT_EQ(error_of("a:\n  listen: h:1\n  distribution: random\n" + servers).key(), "servers");
  EXPECT_EQ(error_of("a:\n  listen: h:1\n  warmup_ms: x\n" + servers).line(), 3u);
}

// Harmful quirks load, with a warning naming the pool and key.
TEST(Config, WarnsAboutHarmfulQuirks) {
  const Config c = parse(R"(a:
  listen: 127.0.0.1:1
  hash: crc32
  servers:
   - 10.0.0.1:11211:1
   - 10.0.0.2:11211:1
b:
  listen: 127.0.0.1:2
  distribution: modula
  auto_eject_hosts: true
  servers:
   - 10.0.0.1:11211:1
)",
                         "test.yml");
  ASSERT_EQ(c.warnings().size(), 2u);
  EXPECT_NE(c.warnings()[0].find("test.yml"), std::string::npos);
  EXPECT_NE(c.warnings()[0].find("pool 'a': key 'hash'"), std::string::npos);
  EXPECT_NE(c.warnings()[1].find("pool 'b': key 'auto_eject_hosts'"), std::string::npos);
}

// `protocol:` names the pool's protocol; nutcracker's `redis: true` spells the same, and the two
// may be given together only if they agree.
TEST(Config, ProtocolKeyAndNutcrackersRedisFlag) {
  const std::string head = "a:\n  listen: h:1\n";
  const std::string tail = "  servers:\n   - h:1:1\n";
  EXPECT_EQ(parse(head + "  protocol: redis\n" + tail).pool("a").protocol, "redis");
  EXPECT_EQ(parse(head + "  protocol: redis\n" + tail).pool("a").protocol_line, 3u);
  EXPECT_EQ(parse(head + "  redis: true\n" + tail).pool("a").protocol, "redis");
  EXPECT_EQ(parse(head + "  redis: true\n  protocol: redis\n" + tail).pool("a").protocol, "redis");
  EXPECT_EQ(parse(head + "  redis: false\n  protocol: memcache\n" + tail).pool("a").protocol, "memcache");
  // Where the protocol is written is not a setting: moving it is no change.
  EXPECT_TRUE(parse(head + "  protocol: redis\n" + tail).pool("a").same_settings(
      parse(head + "  redis: true\n" + tail).pool("a")));

  const ConfigError e = error_of(head + "  redis: false\n  protocol: redis\n" + tail);
  EXPECT_STREQ(e.what(), "test.yml:4: pool 'a': key 'protocol': 'redis' disagrees with 'redis: false' on line 3 "
                         "(give one of them)");
  EXPECT_EQ(error_of(head + "  protocol:\n" + tail).key(), "protocol");
  EXPECT_EQ(parse(head + "  protocol: redis\n  redis_auth: pw\n" + tail).pool("a").redis_auth, "pw");
}

// Redis ACL users: the user the proxy AUTHs as to its servers, and the users clients may AUTH as,
// a password written out or as its SHA-256 (kept lower-case).
TEST(Config, RedisUsers) {
  const std::string head = "a:\n  listen: h:1\n  redis: true\n  redis_auth: pw\n";
  const std::string tail = "  servers:\n   - h:1:1\n";
  const std::string hash(64, 'A');
  const Pool p = parse(head + "  redis_auth_user: app\n  redis_users:\n    alice: one\n    bob: sha256:" + hash + "\n" +
                       tail).pool("a");
  EXPECT_EQ(p.redis_auth_user, "app");
  EXPECT_EQ(p.redis_users, (std::map<std::string, std::string>{{"alice", "one"}, {"bob", "sha256:" + std::string(64, 'a')}}));

  EXPECT_STREQ(error_of(head + "  redis_users:\n    bob: sha256:abc\n" + tail).what(),
               "test.yml:6: pool 'a': key 'redis_users': 'sha256:' must be followed by the 64 hex digits of the "
               "password's SHA-256");
  EXPECT_EQ(error_of(head + "  redis_users:\n    default: x\n" + tail).line(), 6u);
  EXPECT_EQ(error_of(head + "  redis_users: alice\n" + tail).key(), "redis_users");
}

// A Redis pool's bound on clients' own connections, and whether KEYS, SCAN and DBSIZE fan out.
TEST(Config, RedisPinnedConnectionsAndFanOut) {
  const std::string tail = "  servers:\n   - h:1:1\n";
  const Pool defaults = parse("a:\n  listen: h:1\n  redis: true\n" + tail).pool("a");
  EXPECT_EQ(defaults.redis_pinned_connections, 1000u);
  EXPECT_TRUE(defaults.redis_fan_out);
  const Pool p = parse("a:\n  listen: h:1\n  redis: true\n  redis_pinned_connections: 5\n  redis_fan_out: false\n" +
                       tail).pool("a");
  EXPECT_EQ(p.redis_pinned_connections, 5u);
  EXPECT_FALSE(p.redis_fan_out);
  EXPECT_EQ(error_of("a:\n  listen: h:1\n  redis: true\n  redis_fan_out: maybe\n" + tail).line(), 4u);
}

// Errors carry the file, the line of the offending node, the pool and the key.
TEST(Config, ErrorsNameFileLinePoolAndKey) {
  const ConfigError e = error_of("alpha:\n  listen: 127.0.0.1:22121\n  redis: yes\n  servers:\n   - h:1:1\n");
  EXPECT_EQ(e.file(), "test.yml");
  EXPECT_EQ(e.line(), 3u);
  EXPECT_EQ(e.pool(), "alpha");
  EXPECT_EQ(e.key(), "redis");
  EXPECT_STREQ(e.what(), "test.yml:3: pool 'alpha': key 'redis': 'yes' is not \"true\" or \"false\"");

  const ConfigError s = error_of("alpha:\n  listen: 127.0.0.1:22121\n  servers:\n   - h:1:1\n   - h:99999:1\n");
  EXPECT_EQ(s.line(), 5u);
  EXPECT_EQ(s.key(), "servers");
}

// Each of these is rejected, as nutcracker -t rejects it (see NutcrackerAgrees for the live check).
TEST(Config, RejectsWhatTwemproxyRejects) {
  const std::string bad[] = {
      "a:\n  servers:\n   - h:1:1\n",                                                  // no listen
      "a:\n  listen: h:1\n  servers: []\n",                                            // no servers
      "a:\n  listen: h:1\n  sky: blue\n  servers:\n   - h:1:1\n",                       // unknown key
      "a:\n  listen: h:1\n  hash: md5\n  hash: md5\n  servers:\n   - h:1:1\n",          // duplicate key
      "a:\n  listen: h:1\n  timeout: 1.5\n  servers:\n   - h:1:1\n",                    // not a number
      "a:\n  listen: h:1\n  timeout: -1\n  servers:\n   - h:1:1\n",                     // negative
      "a:\n  listen: h:1\n  hash_tag: \"{\"\n  servers:\n   - h:1:1\n",                 // tag length
      "a:\n  listen: h:1\n  hash: crc\n  servers:\n   - h:1:1\n",                       // unknown hash
      "a:\n  listen: h:1\n  distribution: vnode\n  servers:\n   - h:1:1\n",             // unknown dist
      "a:\n  listen: h:1\n  server_connections: 0\n  servers:\n   - h:1:1\n",           // 0 connections
      "a:\n  listen: h:1\n  servers:\n   - h:1:0\n",                                    // zero weight
      "a:\n  listen: h:1\n  servers:\n   - h:1\n",                                      // no weight
      "a:\n  listen: h:1\n  servers:\n   - h:1:1 x y\n",                                // two names
      "a:\n  listen: h:1\n  servers:\n   - h:1:1 x\n   - g:2:1 x\n",                    // same name
      "a:\n  listen: h:1\n  servers:\n   - h:11211:1\n   - h:11211:2\n",                // same host
      "a:\n  listen: h:1\n  servers:\n   - /tmp/s.sock:1\n   - /tmp/s.sock:2\n",        // same socket
      "a:\n  listen: h:1\n  servers:\n   - /tmp/a:b.sock:1\n",                          // colon in path
      "a:\n  listen: h:1\n  servers:\n   - h:1:1\nb:\n  listen: h:1\n  servers:\n   - h:1:1\n",  // listen
      "a:\n  listen: h:99999\n  servers:\n   - h:1:1\n",                                // listen port
      "a:\n  listen: /tmp/l.sock 0999\n  servers:\n   - h:1:1\n",                       // permissions
      "a:\n  listen: [h, 1]\n  servers:\n   - h:1:1\n",                                 // not a scalar
      "- a\n- b\n",                                                                   // not a mapping
      "a: [\n",                                                                       // not YAML
  };
  for (const std::string& yaml : bad) EXPECT_THROW(parse(yaml), ConfigError) << yaml;
  // redis_auth on a memcache pool is refused by the protocols' check (tests/unit/proxy/protocols_test).
}

// Our additions validate their values too.
TEST(Config, RejectsBadAdditions) {
  EXPECT_EQ(error_of("a:\n  listen: h:1\n  bounded_load: 0.9\n  servers:\n   - h:1:1\n").key(), "bounded_load");
  EXPECT_EQ(error_of("a:\n  listen: h:1\n  ejection: sometimes\n  servers:\n   - h:1:1\n").key(), "ejection");
}

TEST(Config, PoolLookup) {
  const Config two = parse(kMinimal + "beta:\n  listen: 127.0.0.1:22122\n  servers:\n   - h:1:1\n");
  EXPECT_EQ(two.pool("beta").name, "beta");
  EXPECT_THROW(two.pool("gamma"), ConfigError);
  EXPECT_THROW(two.only_pool(), ConfigError);
  EXPECT_EQ(parse(kMinimal).only_pool().name, "alpha");
}

TEST(Config, LoadFileNamesAMissingFile) {
  try {
    load_file("/nonexistent/nutcracker.yml");
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.file(), "/nonexistent/nutcracker.yml");
  }
}

// A reload compares pools by every setting, so one added later cannot be forgotten; where a pool
// is written (its lines, its name) is not a setting.
TEST(Config, SameSettingsComparesEverySettingButWhereItIsWritten) {
  const Pool base = parse(kMinimal).pool("alpha");
  EXPECT_TRUE(base.same_settings(parse("# a comment moves every line\n\n" + kMinimal).pool("alpha")));
  for (const std::string extra : {"  bounded_load: 1.25\n", "  tcpkeepalive: true\n", "  ejection: stable\n",
                                  "  timeout: 400\n", "  server_retry_timeout: 200\n", "  hash_tag: \"{}\"\n"}) {
    EXPECT_FALSE(base.same_settings(parse(kMinimal + extra).pool("alpha"))) << extra;
  }
  EXPECT_FALSE(base.same_settings(parse(kMinimal + "   - 127.0.0.1:11212:1\n").pool("alpha")));
  EXPECT_FALSE(base.same_settings(
      parse("alpha:\n  listen: 127.0.0.1:22121\n  servers:\n   - 127.0.0.1:11211:2\n").pool("alpha")));
}

// An IPv6 listen address may be bracketed; the stats and admin ports are parsed here too.
TEST(Config, ListenTakesABracketedIpv6Host) {
  const Listen l = parse_listen("[::1]:22121");
  EXPECT_EQ(l.host, "::1");
  EXPECT_EQ(l.port, 22121);
  EXPECT_EQ(l.text, "[::1]:22121");
  EXPECT_EQ(parse_listen("::1:22121").host, "::1");  // twemproxy's spelling: split at the last colon
}

// A pool's members from etcd: the keys, their defaults, a pool with no `servers:`, and each mistake
// named with its line and key.
TEST(Config, Etcd) {
  const Pool p = parse("alpha:\n  listen: 127.0.0.1:22121\n  etcd: 10.0.0.1:2379, 10.0.0.2:2379\n"
                       "  etcd_prefix: /rl/alpha/\n").pool("alpha");
  ASSERT_TRUE(p.etcd.has_value());
  EXPECT_EQ(p.etcd->endpoints, (std::vector<std::string>{"10.0.0.1:2379", "10.0.0.2:2379"}));
  EXPECT_EQ(p.etcd->prefix, "/rl/alpha/");
  EXPECT_EQ(p.etcd->settle_ms, 100u);
  EXPECT_EQ(p.etcd->min_servers, 1u);
  EXPECT_TRUE(p.servers.empty());
  const Pool q = parse(kMinimal + "  etcd: 127.0.0.1:2379\n  etcd_prefix: /p/\n  etcd_user: u\n  etcd_password: pw\n"
                                  "  etcd_settle_ms: 0\n  etcd_min_servers: 3\n").pool("alpha");
  EXPECT_EQ(q.etcd->user, "u");
  EXPECT_EQ(q.etcd->password, "pw");
  EXPECT_EQ(q.etcd->settle_ms, 0u);
  EXPECT_EQ(q.etcd->min_servers, 3u);
  EXPECT_EQ(q.servers.size(), 1u);
  EXPECT_FALSE(parse(kMinimal).pool("alpha").etcd.has_value());

  const ConfigError bad_endpoint = error_of(kMinimal + "  etcd: 127.0.0.1\n  etcd_prefix: /p/\n");
  EXPECT_EQ(bad_endpoint.line(), 5u);
  EXPECT_EQ(bad_endpoint.key(), "etcd");
  EXPECT_NE(bad_endpoint.reason().find("'127.0.0.1'"), std::string::npos) << bad_endpoint.what();
  EXPECT_EQ(error_of(kMinimal + "  etcd: 127.0.0.1:2379\n").key(), "etcd_prefix");
  EXPECT_EQ(error_of(kMinimal + "  etcd_prefix: /p/\n").key(), "etcd");
  EXPECT_EQ(error_of(kMinimal + "  etcd: 127.0.0.1:2379\n  etcd_prefix: /p/\n  etcd_user: u\n").key(), "etcd_password");
  EXPECT_EQ(error_of(kMinimal + "  etcd: 127.0.0.1:2379\n  etcd_prefix: /p/\n  etcd_min_servers: 0\n").key(),
            "etcd_min_servers");
  EXPECT_EQ(error_of(kMinimal + "  etcd: 127.0.0.1:2379\n  etcd_prefix: /p/\n  etcd_colour: red\n").key(), "etcd_colour");
  EXPECT_EQ(error_of("alpha:\n  listen: 127.0.0.1:22121\n").key(), "servers");
}

// A pool's members from DNS: the keys, their defaults, a pool with no `servers:` (or with them, as a
// seed), and each mistake named with its line and key.
TEST(Config, Dns) {
  const std::string kNoServers = "alpha:\n  listen: 127.0.0.1:22121\n";
  const Pool p = parse(kNoServers + "  dns_srv: _memcache._tcp.cache.default.svc.cluster.local\n").pool("alpha");
  ASSERT_TRUE(p.dns.has_value());
  EXPECT_EQ(p.dns->srv, "_memcache._tcp.cache.default.svc.cluster.local");
  EXPECT_EQ(p.dns->name(), p.dns->srv);
  EXPECT_TRUE(p.dns->resolvers.empty());
  EXPECT_FALSE(p.dns->refresh_ms.has_value());
  EXPECT_FALSE(p.dns->weight.has_value());
  EXPECT_EQ(p.dns->min_servers, 1u);
  EXPECT_TRUE(p.servers.empty());

  const Pool q = parse(kMinimal + "  dns_a: cache.local:11211\n  dns_resolver: 127.0.0.1:5353, [::1]:53\n"
                                  "  dns_refresh_ms: 500\n  dns_min_servers: 2\n  dns_weight: 3\n").pool("alpha");
  EXPECT_EQ(q.dns->a, "cache.local");
  EXPECT_EQ(q.dns->a_port, 11211);
  EXPECT_EQ(q.dns->resolvers, (std::vector<std::string>{"127.0.0.1:5353", "[::1]:53"}));
  EXPECT_EQ(q.dns->refresh_ms, 500u);
  EXPECT_EQ(q.dns->min_servers, 2u);
  EXPECT_EQ(q.dns->weight, 3u);
  EXPECT_EQ(q.servers.size(), 1u);  // a seed: served until DNS first answers
  EXPECT_FALSE(parse(kMinimal).pool("alpha").dns.has_value());

  const ConfigError host_resolver = error_of(kMinimal + "  dns_srv: _m._tcp.c\n  dns_resolver: ns.example:53\n");
  EXPECT_EQ(host_resolver.line(), 6u);
  EXPECT_EQ(host_resolver.key(), "dns_resolver");
  EXPECT_NE(host_resolver.reason().find("not an IP address"), std::string::npos) << host_resolver.what();
  EXPECT_EQ(error_of(kMinimal + "  dns_a: cache.local\n").key(), "dns_a");          // no port
  EXPECT_EQ(error_of(kMinimal + "  dns_a: cache.local:0\n").key(), "dns_a");
  EXPECT_EQ(error_of(kMinimal + "  dns_srv: a b\n").key(), "dns_srv");
  EXPECT_EQ(error_of(kMinimal + "  dns_srv: _m._tcp.c\n  dns_refresh_ms: 0\n").key(), "dns_refresh_ms");
  EXPECT_EQ(error_of(kMinimal + "  dns_srv: _m._tcp.c\n  dns_min_servers: 0\n").key(), "dns_min_servers");
  EXPECT_EQ(error_of(kMinimal + "  dns_srv: _m._tcp.c\n  dns_weight: x\n").key(), "dns_weight");
  EXPECT_EQ(error_of(kMinimal + "  dns_srv: _m._tcp.c\n  dns_colour: red\n").key(), "dns_colour");
  EXPECT_EQ(error_of(kMinimal + "  dns_resolver: 127.0.0.1:53\n").key(), "dns_srv");  // settings, no name
  EXPECT_EQ(error_of(kMinimal + "  dns_srv: _m._tcp.c\n  dns_a: c:1\n").key(), "dns_a");  // one or the other
  const ConfigError both = error_of(kMinimal + "  dns_srv: _m._tcp.c\n  etcd: 127.0.0.1:2379\n  etcd_prefix: /p/\n");
  EXPECT_EQ(both.key(), "dns_srv");
  EXPECT_NE(both.reason().find("not both"), std::string::npos) << both.what();
  // Nothing to take servers from: the message names every source.
  EXPECT_NE(error_of(kNoServers).reason().find("dns_srv"), std::string::npos);
}

// A DNS pool whose distribution places by position is warned about: DNS keeps no slots.
TEST(Config, DnsWarnsAboutPositionalDistributions) {
  const Pool jump = parse(kMinimal + "  dns_srv: _m._tcp.c\n  distribution: jump\n").pool("alpha");
  ASSERT_EQ(jump.warnings.size(), 1u);
  EXPECT_NE(jump.warnings[0].find("DNS keeps no slots"), std::string::npos) << jump.warnings[0];
  EXPECT_TRUE(parse(kMinimal + "  dns_srv: _m._tcp.c\n  distribution: maglev\n").pool("alpha").warnings.empty());
}

// protocol: http's keys: read with their defaults, each bad value refused with its line and key,
// and refused in a pool of another protocol.
TEST(Config, HttpKeys) {
  const Pool defaults = parse(kMinimal + "  protocol: http\n").pool("alpha");
  EXPECT_EQ(defaults.http_key.source, Pool::HttpKey::Source::uri);
  EXPECT_EQ(defaults.http_key_missing, Pool::HttpKeyMissing::random);
  EXPECT_EQ(defaults.http_retries, 1u);
  EXPECT_EQ(defaults.health_check_path, "/");
  EXPECT_EQ(defaults.client_header_timeout_ms, 60'000u);  // nginx's client_header_timeout
  EXPECT_EQ(defaults.client_idle_timeout_ms, 60'000u);
  EXPECT_EQ(defaults.http_max_connections, 0u);  // no limit, as nginx's max_conns
  const Pool p = parse(kMinimal + "  protocol: http\n  http_key: cookie:user\n  http_key_missing: reject\n"
                                  "  http_retries: 0\n  health_check_path: /healthz\n  client_header_timeout: 5000\n"
                                  "  client_idle_timeout: 0\n  http_max_connections: 8\n").pool("alpha");
  EXPECT_EQ(p.http_max_connections, 8u);
  EXPECT_EQ(p.client_header_timeout_ms, 5000u);
  EXPECT_EQ(p.client_idle_timeout_ms, 0u);
  EXPECT_EQ(p.http_key, (Pool::HttpKey{Pool::HttpKey::Source::cookie, "user"}));
  EXPECT_EQ(p.http_key_missing, Pool::HttpKeyMissing::reject);
  EXPECT_EQ(p.http_retries, 0u);
  EXPECT_EQ(p.health_check_path, "/healthz");
  EXPECT_EQ(parse(kMinimal + "  protocol: http\n  http_key: path\n").pool("alpha").http_key.source,
            Pool::HttpKey::Source::path);

  for (const char* bad : {"  http_key: host\n", "  http_key: 'header:'\n", "  http_key: body:x\n",
                          "  http_key_missing: drop\n", "  http_retries: -1\n", "  health_check_path: healthz\n",
                          "  http_colour: red\n", "  client_header_timeout: soon\n", "  client_idle_timeout: -1\n", "  http_max_connections: many\n",
                          "  client_idle_timeouts: 5\n"}) {
    const ConfigError e = error_of(kMinimal + "  protocol: http\n" + bad);
    EXPECT_EQ(e.line(), 6u) << bad;
    EXPECT_EQ(e.key(), std::string(bad).substr(2, std::string(bad).find(':') - 2)) << bad;
  }
}

// TLS keys: files relative to the config file; a certificate needs its key; keys of one side need
// that side on; server_tls_verify: false warns.
TEST(Config, Tls) {
  const Pool p = parse("a:\n  listen: h:1\n  tls_cert: certs/proxy.pem\n  tls_key: /etc/keys/proxy.key\n"
                       "  tls_ca: ca.pem\n  tls_min_version: TLSv1.3\n  tls_handshake_timeout: 500\n"
                       "  server_tls: true\n  server_tls_verify: false\n  server_tls_sni: cache.example\n"
                       "  servers:\n   - h:1:1\n",
                       "/srv/conf/nutcracker.yml")
                     .pool("a");
  EXPECT_EQ(p.tls.cert, "/srv/conf/certs/proxy.pem");
  EXPECT_EQ(p.tls.key, "/etc/keys/proxy.key");
  EXPECT_EQ(p.tls.ca, "/srv/conf/ca.pem");
  EXPECT_EQ(p.tls.min_version, "TLSv1.3");
  EXPECT_EQ(p.tls.handshake_timeout_ms, 500u);
  EXPECT_TRUE(p.tls.server);
  EXPECT_FALSE(p.tls.server_verify);
  EXPECT_EQ(p.tls.server_sni, "cache.example");
  ASSERT_EQ(p.warnings.size(), 1u);
  EXPECT_NE(p.warnings[0].find("server_tls_verify"), std::string::npos);
  EXPECT_EQ(parse(kMinimal).pool("alpha").tls, Pool::Tls{});

  const auto expect = [&](const std::string& lines, const std::string& key, const std::string& says) {
    expect_refused_at_line_3(lines + "  servers:\n   - h:1:1\n", key, says);
  };
  expect("  tls_cert: c.pem\n", "tls_cert", "needs both tls_cert and tls_key");
  expect("  tls_key: k.pem\n", "tls_key", "needs both");
  expect("  tls_ca: ca.pem\n", "tls_ca", "without tls_cert");
  expect("  server_tls_ca: ca.pem\n", "server_tls_ca", "without server_tls: true");
  expect("  server_tls_cert: c.pem\n  server_tls_key: k.pem\n", "server_tls_cert", "without server_tls: true");
  expect("  tls_min_version: TLSv1.1\n  tls_cert: c\n  tls_key: k\n", "tls_min_version", "TLSv1.2 or TLSv1.3");
  expect("  server_tls: yes\n", "server_tls", "is not \"true\" or \"false\"");
  expect("  tls_certificate: c.pem\n", "tls_certificate", "unknown key");

  // etcd over https: its CA and client certificate, only with an https:// endpoint.
  const Pool e = parse("a:\n  listen: h:1\n  etcd: https://e1:2379, e2:2379\n  etcd_prefix: /p/\n  etcd_ca: ca.pem\n"
                       "  etcd_cert: c.pem\n  etcd_key: k.pem\n", "/srv/nutcracker.yml").pool("a");
  EXPECT_EQ(e.etcd->endpoints, (std::vector<std::string>{"https://e1:2379", "e2:2379"}));
  EXPECT_EQ(e.etcd->ca, "/srv/ca.pem");
  EXPECT_EQ(e.etcd->key, "/srv/k.pem");
  const ConfigError plain = error_of("a:\n  listen: h:1\n  etcd: e1:2379\n  etcd_prefix: /p/\n  etcd_ca: ca.pem\n");
  EXPECT_EQ(plain.key(), "etcd_ca");
  EXPECT_EQ(plain.line(), 5u);
  EXPECT_NE(std::string(plain.what()).find("https://"), std::string::npos);
  EXPECT_EQ(error_of("a:\n  listen: h:1\n  etcd: https://e1:2379\n  etcd_prefix: /p/\n  etcd_cert: c.pem\n").key(),
            "etcd_key");
}

}  // namespace
}  // namespace ringleader::config
