// Helpers of the resilience tests: a memcached client over the harness Connection, a server that
// answers garbage, and waiting for (or counting) a line in a process log. Every wait is bounded.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "harness/servers.hpp"

namespace ringleader::test {

/// Sends a memcached request and reads one reply (`values`: a get, read up to END).
std::string memcache(Connection& c, const std::string& request, bool values = false);

/// A pool of memcached servers in nutcracker.yml syntax.
std::string memcache_pool(std::uint16_t listen, const std::vector<std::uint16_t>& servers, const std::string& options);
/// The same with each server named ("127.0.0.1:port:1 name"): ketama then places keys by the names,
/// so where a key goes does not depend on which free ports the servers happened to get.
std::string memcache_pool(std::uint16_t listen, const std::vector<std::uint16_t>& servers,
                          const std::vector<std::string>& names, const std::string& options);

/// True once `text` appears in the process log (checked every 50 ms, up to `timeout`).
bool wait_for_log(const Process& process, const std::string& text,
                  std::chrono::milliseconds timeout = std::chrono::seconds(20));
/// How many times `text` appears in the process log (a reload logs the same line each time).
int count_in_log(const Process& process, const std::string& text);
/// True once `text` appears at least `count` times in the process log (checked every 50 ms, up to `timeout`).
bool wait_for_log_count(const Process& process, const std::string& text, int count,
                        std::chrono::milliseconds timeout = std::chrono::seconds(20));
/// The last line of the process log that contains `text`; empty if none.
std::string last_log_line(const Process& process, const std::string& text);

/// Accepts connections on 127.0.0.1:port and answers every one with a line of garbage.
class GarbageServer {
 public:
  explicit GarbageServer(std::uint16_t port);
  ~GarbageServer();
  GarbageServer(const GarbageServer&) = delete;
  GarbageServer& operator=(const GarbageServer&) = delete;
  int accepted() const noexcept { return accepted_; }

 private:
  int fd_ = -1;
  std::atomic<bool> stop_{false};
  std::atomic<int> accepted_{0};
  std::thread thread_;
};

}  // namespace ringleader::test
