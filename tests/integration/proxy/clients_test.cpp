// Real clients against ringleader serve: redis-cli, and pymemcache + redis-py under /usr/bin/python3.
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
  // -2 opens with HELLO 2; -3 with HELLO 3, which the proxy refuses as Redis refuses a version it
  // lacks (NOPROTO), and redis-cli goes on in RESP2.
  EXPECT_EQ(run_shell(cli + "-2 SET cli:hello 2").second, "OK\n");
  const auto [status, output] = run_shell(cli + "-3 GET cli:hello");
  EXPECT_EQ(status, 0);
  EXPECT_TRUE(output.ends_with("\n2\n") && output.find("NOPROTO") != std::string::npos) << output;
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
