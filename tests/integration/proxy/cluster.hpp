// Cluster: what the proxy integration tests run against: 3 memcached and 3 redis-server backends,
// ringleader in front of them (a memcached pool and a Redis pool, 2 worker threads), and optionally
// nutcracker in front of the same backends with the same pools. Everything is stopped with the
// Cluster, also when a test fails.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "harness/servers.hpp"

namespace ringleader::test {

struct PoolPorts {
  std::uint16_t memcache;
  std::uint16_t redis;
};

class Cluster {
 public:
  /// `pool_options` is added to both pools (e.g. "  timeout: 200\n"); with_nutcracker starts it too.
  explicit Cluster(bool with_nutcracker = false, const std::string& pool_options = "");

  /// The nutcracker.yml both proxies read, for listen ports `ports`.
  std::string config(PoolPorts ports) const;

  TempDir dir;
  std::vector<Server> memcached;
  std::vector<Server> redis;
  PoolPorts ringleader_ports{};
  PoolPorts nutcracker_ports{};
  std::optional<Server> ringleader;
  std::optional<Server> nutcracker;

 private:
  std::string pool_options_;
};

/// Reads one memcached reply; `values` for get/gets/gat/gats.
std::string memcache_reply(Connection& c, bool values);
/// Sends `request` and reads its reply.
std::string memcache(Connection& c, const std::string& request);

/// One RESP command from its arguments.
std::string resp(const std::vector<std::string>& args);
/// Reads one Redis reply.
std::string redis_reply(Connection& c);
/// Sends a command and reads its reply.
std::string redis(Connection& c, const std::vector<std::string>& args);
/// "$<n>\r\n<value>\r\n"
std::string bulk(const std::string& value);

}  // namespace ringleader::test
