// Real clients against ringleader serve: redis-cli, pymemcache + redis-py under /usr/bin/python3, and
// Node.js's node-redis and ioredis.
#include <gtest/gtest.h>

#include "cluster.hpp"

namespace ringleader::test {
namespace {

// redis-cli sets and reads keys through the proxy.
TEST(RealClients, RedisCli) {
  Cluster cluster;
  const std::string cli = "redis-cli -p " + std::to_string(cluster.ringleader_ports.redis) + " ";
  EXPECT_EQ(run_shell(cli + "SET cli:key hello").second, "OK\n");
  EXPECT_EQ(run_shell(cli + "GET cli:key").second, "hello\n");
  EXPECT_EQ(run_shell(cli + "MSET a 1 b 2 c 3").second, "OK\n");
  EXPECT_EQ(run_shell(cli + "MGET c b a").second, "3\n2\n1\n");
  EXPECT_EQ(run_shell(cli + "DEL a b c cli:key").second, "4\n");
  // -2 opens with HELLO 2, -3 with HELLO 3: RESP3 from then on, as from the server itself (its
  // map printed as key and value, its double, its null).
  EXPECT_EQ(run_shell(cli + "-2 SET cli:hello 2").second, "OK\n");
  EXPECT_EQ(run_shell(cli + "-3 HSET cli:map f 1").second, "1\n");
  EXPECT_EQ(run_shell(cli + "-3 HGETALL cli:map").second, "f 1\n");
  EXPECT_EQ(run_shell(cli + "-3 ZADD cli:z 2.5 m").second, "1\n");
  EXPECT_EQ(run_shell(cli + "-3 ZSCORE cli:z m").second, "2.5\n");
  EXPECT_TRUE(run_shell(cli + "-3 HELLO").second.starts_with("server redis\nversion 7.0.0\nproto 3\nid "));
  EXPECT_EQ(run_shell(cli + "-3 DEL cli:hello cli:map cli:z").second, "3\n");
}

// node-redis 5 (RESP2 and RESP3), node-redis 4 and ioredis, each connecting as it does by default
// (node/redis_clients.mjs; scripts/install-deps installs them from node/package-lock.json).
TEST(RealClients, NodeLibraries) {
  Cluster cluster;
  auto [status, output] = run_shell("node " RINGLEADER_PROXY_TEST_DIR "/node/redis_clients.mjs " +
                                    std::to_string(cluster.ringleader_ports.redis));
  EXPECT_EQ(status, 0) << output;
  EXPECT_EQ(output, "ok\n");
}

// Each library's subscriber and blocked client when the server behind them dies, the pool's one
// server shut down by the script (node/redis_failures.mjs, redis_failures.py): the blocked client
// gets an error that names the server, and the subscriber is disconnected.
TEST(RealClients, LibrariesWhenTheServerDies) {
  for (const std::string library : {"node5", "node5resp3", "node4", "ioredis", "redis-py"}) {
    SCOPED_TRACE(library);
    TempDir dir;
    auto server = start_redis(dir);
    const std::uint16_t port = free_port();
    const auto file = dir.write("c.yml", "store:\n  listen: 127.0.0.1:" + std::to_string(port) +
                                             "\n  redis: true\n  servers:\n   - 127.0.0.1:" +
                                             std::to_string(server.port) + ":1\n");
    auto proxy = start_ringleader(dir, file, {port});
    const std::string ports = std::to_string(port) + " " + std::to_string(server.port);
    auto [status, output] =
        run_shell(library == "redis-py"
                      ? "/usr/bin/python3 " RINGLEADER_PROXY_TEST_DIR "/redis_failures.py " + ports
                      : "node " RINGLEADER_PROXY_TEST_DIR "/node/redis_failures.mjs " + library + " " + ports);
    EXPECT_EQ(status, 0) << output;
    EXPECT_EQ(output, "ok\n");
  }
}

// pymemcache and redis-py, including their multi-key calls and pipelines.
TEST(RealClients, PythonLibraries) {
  Cluster cluster;
  auto [status, output] = run_shell("/usr/bin/python3 " RINGLEADER_PROXY_TEST_DIR "/clients.py " +
                              std::to_string(cluster.ringleader_ports.memcache) + " " +
                              std::to_string(cluster.ringleader_ports.redis));
  EXPECT_EQ(status, 0) << output;
  EXPECT_EQ(output, "ok\n");
}

}  // namespace
}  // namespace ringleader::test
