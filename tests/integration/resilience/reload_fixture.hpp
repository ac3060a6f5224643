// The fixture of the reload tests (reload_test.cpp, SIGHUP to the ringleader process) and of the
// membership input tests (membership_test.cpp, Server::set_members() in this process): five real
// memcached servers, each with a direct connection, and the ways to see where keys are.
//
// Pools hash with md5: fnv1a_64 barely mixes the last byte, so "key:0".."key:9" sit on one short
// arc of the ring and the fraction of keys that move would say little about the ring.
#pragma once

#include <gtest/gtest.h>

#include <signal.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "faults.hpp"

namespace ringleader::test {

inline const std::string kKetama = "  hash: md5\n  distribution: ketama\n  timeout: 2000\n";

inline std::vector<std::string> numbered_keys(int count) {
  std::vector<std::string> keys;
  for (int i = 0; i < count; ++i) keys.push_back("key:" + std::to_string(i));
  return keys;
}

inline std::string set(const std::string& key, const std::string& value) {
  return "set " + key + " 0 0 " + std::to_string(value.size()) + "\r\n" + value + "\r\n";
}

inline std::string found(const std::string& key, const std::string& value) {
  return "VALUE " + key + " 0 " + std::to_string(value.size()) + "\r\n" + value + "\r\nEND\r\n";
}

// The values the memcached behind `c` holds for `keys`, asked with multi-key gets of 100 keys each.
inline std::map<std::string, std::string> values_on(Connection& c, const std::vector<std::string>& keys) {
  std::map<std::string, std::string> values;
  for (std::size_t first = 0; first < keys.size(); first += 100) {
    std::string request = "get";
    for (std::size_t i = first; i < std::min(first + 100, keys.size()); ++i) request += " " + keys[i];
    const std::string reply = memcache(c, request + "\r\n", true);
    // VALUE <key> <flags> <bytes>\r\n<data>\r\n ... END\r\n
    for (std::size_t at = 0; reply.compare(at, 6, "VALUE ") == 0;) {
      const auto key_end = reply.find(' ', at + 6);
      const auto line_end = reply.find("\r\n", at);
      const auto bytes = std::stoul(reply.substr(reply.rfind(' ', line_end) + 1));
      values[reply.substr(at + 6, key_end - at - 6)] = reply.substr(line_end + 2, bytes);
      at = line_end + 2 + bytes + 2;
    }
  }
  return values;
}

// memcached's count of every connection it ever accepted: it grows if the proxy reconnects.
inline long total_connections(Connection& c) {
  const std::string stats = memcache(c, "stats\r\n", true);
  const std::string name = "STAT total_connections ";
  const auto at = stats.find(name);
  if (at == std::string::npos) throw std::runtime_error("no total_connections in: " + stats);
  return std::stol(stats.substr(at + name.size()));
}

class Reload : public ::testing::Test {
 protected:
  // Five memcached servers (pools use some of them), each with a direct connection opened before
  // the proxy starts, so that the test's own reads never add to a server's total_connections.
  Reload() {
    for (int i = 0; i < 5; ++i) servers_.push_back(start_memcached(dir_));
    direct_.reserve(servers_.size());
    for (const auto& server : servers_) direct_.emplace_back(server.port);
  }

  // Stops the proxy and looks at its last words: under the asan preset a memory error in the proxy
  // (a backend used after a reload retired it, say) is reported only in its log.
  void TearDown() override {
    if (!proxy_) return;
    proxy_->process.stop();
    const std::string log = proxy().log();
    EXPECT_EQ(log.find("Sanitizer"), std::string::npos) << log;
  }

  // A memcached pool over the servers numbered `which`, named "server-<number>": the keys that move
  // are then the same in every run, whatever ports the servers got.
  std::string pool(const std::vector<int>& which, const std::string& options = kKetama) const {
    std::vector<std::uint16_t> ports;
    std::vector<std::string> names;
    for (int i : which) {
      ports.push_back(servers_.at(i).port);
      names.push_back("server-" + std::to_string(i));
    }
    return memcache_pool(listen_, ports, names, options);
  }

  // One worker thread unless told: then the proxy holds exactly one connection to each server.
  void start(const std::string& config, int threads = 1) {
    file_ = dir_.write("c.yml", config);
    proxy_.emplace(start_ringleader(dir_, file_, {listen_}, {"--threads", std::to_string(threads)}));
  }

  const Process& proxy() const { return proxy_->process; }

  // Rewrites the config file, sends SIGHUP and waits for one more log line with msg="<message>".
  ::testing::AssertionResult reload(const std::string& config, const std::string& message) {
    const std::string line = "msg=\"" + message + "\"";
    const int before = count_in_log(proxy(), line);
    dir_.write("c.yml", config);
    ::kill(proxy().pid(), SIGHUP);
    if (wait_for_log_count(proxy(), line, before + 1)) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "no new " << line << " after SIGHUP; log:\n" << proxy().log();
  }

  // Which server (index) holds each key, asked of every server directly; a key held by none or by
  // two servers fails the test.
  std::map<std::string, int> owners(const std::vector<std::string>& keys) {
    std::map<std::string, int> owner;
    for (std::size_t s = 0; s < servers_.size(); ++s) {
      for (const auto& [key, value] : values_on(direct_[s], keys)) {
        EXPECT_FALSE(owner.contains(key)) << key << " is on servers " << owner[key] << " and " << s;
        owner[key] = static_cast<int>(s);
      }
    }
    EXPECT_EQ(owner.size(), keys.size()) << "a key set through the proxy is on no server";
    return owner;
  }

  // Sets every key to `value` through `client`.
  static void set_all(Connection& client, const std::vector<std::string>& keys, const std::string& value) {
    for (const auto& key : keys) ASSERT_EQ(memcache(client, set(key, value)), "STORED\r\n") << key;
  }

  // Reads every key through `client`: the keys found (with `value`), and the keys not found.
  static std::pair<std::vector<std::string>, std::vector<std::string>> read_all(
      Connection& client, const std::vector<std::string>& keys, const std::string& value) {
    std::vector<std::string> hits, misses;
    for (const auto& key : keys) {
      const std::string reply = memcache(client, "get " + key + "\r\n", true);
      if (reply == "END\r\n") misses.push_back(key);
      else if (reply == found(key, value)) hits.push_back(key);
      else ADD_FAILURE() << "get " << key << ": " << reply;
    }
    return {hits, misses};
  }

  TempDir dir_;
  std::vector<Server> servers_;
  std::vector<Connection> direct_;
  std::uint16_t listen_ = free_port();
  std::filesystem::path file_;
  std::optional<Server> proxy_;
};

}  // namespace ringleader::test
