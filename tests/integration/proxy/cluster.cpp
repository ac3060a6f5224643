// Cluster and the protocol helpers of the proxy integration tests; see cluster.hpp.
#include "cluster.hpp"

#include <stdexcept>

#include "proxy/memcache/reply_parser.hpp"
#include "proxy/redis/reply_parser.hpp"

namespace ringleader::test {

Cluster::Cluster(bool with_nutcracker, const std::string& pool_options) : pool_options_(pool_options) {
  for (int i = 0; i < 3; ++i) memcached.push_back(start_memcached(dir, {"-I", "2m"}));
  for (int i = 0; i < 3; ++i) redis.push_back(start_redis(dir));
  for (int attempt = 0; !ringleader; ++attempt) {
    ringleader_ports = {free_port(), free_port()};
    const auto file = dir.write("ringleader.yml", config(ringleader_ports));
    try {
      ringleader.emplace(start_ringleader(dir, file, {ringleader_ports.memcache, ringleader_ports.redis},
                                          {"--threads", "2"}));
    } catch (const std::runtime_error&) {
      if (attempt == 2) throw;
    }
  }
  for (int attempt = 0; with_nutcracker && !nutcracker; ++attempt) {
    nutcracker_ports = {free_port(), free_port()};
    const auto file = dir.write("nutcracker.yml", config(nutcracker_ports));
    try {
      nutcracker.emplace(start_nutcracker(dir, file, {nutcracker_ports.memcache, nutcracker_ports.redis}));
    } catch (const std::runtime_error&) {
      if (attempt == 2) throw;
    }
  }
}

std::string Cluster::config(PoolPorts ports) const {
  std::string text;
  text += "cache:\n  listen: 127.0.0.1:" + std::to_string(ports.memcache) + "\n";
  text += "  hash: md5\n  distribution: ketama\n" + pool_options_ + "  servers:\n";
  for (const auto& s : memcached) text += "   - 127.0.0.1:" + std::to_string(s.port) + ":1\n";
  text += "store:\n  listen: 127.0.0.1:" + std::to_string(ports.redis) + "\n";
  text += "  hash: murmur\n  distribution: ketama\n  redis: true\n  hash_tag: \"{}\"\n" + pool_options_;
  text += "  servers:\n";
  for (const auto& s : redis) text += "   - 127.0.0.1:" + std::to_string(s.port) + ":1\n";
  return text;
}

std::string memcache_reply(Connection& c, bool values) {
  return c.receive([values](std::string_view buffer) -> std::size_t {
    const auto frame = proxy::memcache::frame_reply(buffer, values);
    if (frame.status == proxy::memcache::ReplyStatus::malformed) {
      throw std::runtime_error("malformed memcached reply: " + std::string(buffer.substr(0, 200)));
    }
    return frame.status == proxy::memcache::ReplyStatus::complete ? frame.size : 0;
  });
}

std::string memcache(Connection& c, const std::string& request) {
  c.send(request);
  const bool values = request.starts_with("get") || request.starts_with("gat");
  return memcache_reply(c, values);
}

std::string resp(const std::vector<std::string>& args) {
  std::string out = "*" + std::to_string(args.size()) + "\r\n";
  for (const auto& a : args) out += bulk(a);
  return out;
}

std::string bulk(const std::string& value) { return "$" + std::to_string(value.size()) + "\r\n" + value + "\r\n"; }

std::string redis_reply(Connection& c) {
  return c.receive([](std::string_view buffer) -> std::size_t {
    const auto frame = proxy::redis::frame_reply(buffer);
    if (frame.status == proxy::redis::ReplyStatus::malformed) {
      throw std::runtime_error("malformed Redis reply: " + std::string(buffer.substr(0, 200)));
    }
    return frame.status == proxy::redis::ReplyStatus::complete ? frame.size : 0;
  });
}

std::string redis(Connection& c, const std::vector<std::string>& args) {
  c.send(resp(args));
  return redis_reply(c);
}

}  // namespace ringleader::test
