// What a reload carries over from the old pool to the new one, without sockets: a server's
// ejection state (PoolHealth::create with the previous health), the silence of a retired health,
// and a server's stats counters (Registry::update).
#include <gtest/gtest.h>

#include "proxy/config/config.hpp"
#include "proxy/ejection.hpp"
#include "proxy/route_table.hpp"
#include "proxy/stats/registry.hpp"

namespace ringleader::proxy {
namespace {

config::Pool pool_of(const std::string& servers) {
  return config::parse("p:\n  listen: 127.0.0.1:22121\n  auto_eject_hosts: true\n  server_failure_limit: 1\n"
                       "  server_retry_timeout: 60000\n  servers:\n" + servers)
      .pools.at(0);
}

std::shared_ptr<const PoolLayout> layout_of(const std::string& servers) {
  return std::make_shared<const PoolLayout>(PoolLayout{pool_of(servers), {}, nullptr});
}

TEST(ReloadState, AnEjectedServerStaysEjectedWhereverTheReloadPutsIt) {
  RouteTable routes;
  auto before = PoolHealth::create(layout_of("   - 10.0.0.1:11211:1\n   - 10.0.0.2:11211:1\n   - 10.0.0.3:11211:1\n"),
                                   routes);
  before->failure(1, "test");
  ASSERT_TRUE(before->ejected(1));
  EXPECT_EQ(routes.current()->placement->live_count(), 2u);

  // 10.0.0.2 moves to the last place, 10.0.0.1 goes, 10.0.0.4 comes.
  before->retire();
  auto after = PoolHealth::create(layout_of("   - 10.0.0.3:11211:1\n   - 10.0.0.4:11211:1\n   - 10.0.0.2:11211:1\n"),
                                  routes, before.get());
  EXPECT_FALSE(after->ejected(0));
  EXPECT_FALSE(after->ejected(1));
  EXPECT_TRUE(after->ejected(2));
  EXPECT_EQ(routes.current()->health, after);
  EXPECT_EQ(routes.current()->placement->server_count(), 3u);
  EXPECT_EQ(routes.current()->placement->live_count(), 2u);
}

TEST(ReloadState, ARetiredHealthPublishesNothing) {
  RouteTable routes;
  auto before = PoolHealth::create(layout_of("   - 10.0.0.1:11211:1\n   - 10.0.0.2:11211:1\n"), routes);
  before->retire();
  auto after = PoolHealth::create(layout_of("   - 10.0.0.1:11211:1\n   - 10.0.0.2:11211:1\n   - 10.0.0.3:11211:1\n"),
                                  routes, before.get());
  const auto version = routes.version();
  before->failure(0, "a late failure on a connection of the old pool");  // would eject: limit 1
  EXPECT_EQ(routes.version(), version);
  EXPECT_EQ(routes.current()->placement->server_count(), 3u);
  EXPECT_EQ(routes.current()->health, after);
}

TEST(ReloadState, AServerKeepsItsCountersAndTheStatsListTheNewServers) {
  const config::Pool before = pool_of("   - 10.0.0.1:11211:1\n   - 10.0.0.2:11211:1\n");
  stats::Registry registry(2);
  ASSERT_EQ(registry.add_pool(before), 0u);
  stats::ServerCounters& kept = registry.server(1, 0, before.servers[1]);
  kept.requests.add(7);

  const config::Pool changed = pool_of("   - 10.0.0.2:11211:2\n   - 10.0.0.3:11211:1\n");
  registry.update(0, changed);
  EXPECT_EQ(&registry.server(1, 0, changed.servers[0]), &kept);  // same address, new weight: same counters
  const std::string json = registry.twemproxy_json("test");
  EXPECT_NE(json.find("\"10.0.0.2:11211\": {\"server_eof\":0, \"server_err\":0, \"server_timedout\":0, "
                      "\"server_connections\":0, \"server_ejected_at\":0, \"requests\":7"),
            std::string::npos)
      << json;
  EXPECT_NE(json.find("\"10.0.0.3:11211\""), std::string::npos) << json;
  EXPECT_EQ(json.find("\"10.0.0.1:11211\""), std::string::npos) << json;
  EXPECT_NE(registry.prometheus().find("server=\"10.0.0.3:11211\""), std::string::npos);
}

TEST(ReloadState, AddedPoolsAreShownAndRemovedOnesAreNot) {
  stats::Registry registry(1);
  config::Pool a = pool_of("   - 10.0.0.1:11211:1\n");
  config::Pool b = a;
  b.name = "added";
  const std::size_t first = registry.add_pool(a);
  const std::size_t second = registry.add_pool(b);
  registry.pool(first).worker(0).client_connections.add(2);
  registry.remove_pool(first);
  EXPECT_EQ(registry.pool(first).clients(), 2u);  // its clients may go on counting
  const std::string json = registry.twemproxy_json("test");
  EXPECT_EQ(json.find("\"p\": {"), std::string::npos) << json;
  EXPECT_NE(json.find("\"added\": {"), std::string::npos) << json;
  EXPECT_EQ(registry.prometheus().find("pool=\"p\""), std::string::npos);
  EXPECT_NE(registry.prometheus().find("pool=\"added\""), std::string::npos);
  EXPECT_EQ(second, 1u);
}

}  // namespace
}  // namespace ringleader::proxy
