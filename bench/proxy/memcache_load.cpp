// memcache_load: a memcached text-protocol load generator for bench/proxy/run and bench/proxy/latency.
//
// Why our own: memcslap (Debian's libmemcached-tools) reports only the total time, and the comparison
// needs latency percentiles as redis-benchmark prints them. Like redis-benchmark, each of
// --connections clients sends --pipeline requests, waits for all their replies, and records the
// round trip as the latency of every request in the batch.
//
// With --rate, the load is open: the clients together send that many requests per second, each batch
// at its scheduled time, and a batch's latency counts from that time, not from when it was sent, so
// a server that stalls is charged for the requests that queued behind the stall (no coordinated
// omission). A client behind its schedule sends at once.
//
//   memcache_load --port 22121 --connections 50 --pipeline 16 --test get --seconds 5
//   -> rps=123456 p50_ms=0.391 p99_ms=1.207 p999_ms=2.300 errors=0
//   memcache_load --port 22121 --connections 50 --rate 20000 --seconds 10
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::uint16_t port = 11211;
  int connections = 50;
  int pipeline = 1;
  std::string test = "get";
  double seconds = 5;
  int keys = 100'000;
  int value_size = 32;
  double rate = 0;  // requests per second of all clients together; 0: closed loop
};

struct Result {
  std::vector<std::uint32_t> latencies_us;  // one per request
  std::uint64_t errors = 0;
};

int connect_to(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    throw std::runtime_error(std::string("connect: ") + std::strerror(errno));
  }
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

// Reads until `replies` replies have arrived: a get's reply ends with END (or an error line), a set's
// is one line. Values are made of 'x', so "END\r\n" never occurs inside one.
bool read_replies(int fd, int replies, bool get, std::string& buffer, std::uint64_t& errors) {
  std::size_t scanned = 0;
  int seen = 0;
  buffer.clear();
  char chunk[64 * 1024];
  while (seen < replies) {
    const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    buffer.append(chunk, static_cast<std::size_t>(n));
    for (std::size_t eol; (eol = buffer.find("\r\n", scanned)) != std::string::npos; scanned = eol + 2) {
      const std::string_view line(buffer.data() + scanned, eol - scanned);
      const bool error = line.find("ERROR") != std::string_view::npos;
      if (error) ++errors;
      if (!get || line == "END" || error) ++seen;
    }
  }
  return true;
}

void client(const Options& o, Clock::time_point deadline, unsigned seed, Result& result) {
  const int fd = connect_to(o.port);
  std::mt19937 random(seed);
  std::uniform_int_distribution<int> key(0, o.keys - 1);
  const std::string value(static_cast<std::size_t>(o.value_size), 'x');
  const bool get = o.test == "get";
  std::string batch, buffer;
  // Open loop: this client's batches are due every `interval`, the first at a random offset in it.
  const auto interval = o.rate > 0 ? std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(
                                         o.connections * o.pipeline / o.rate))
                                   : Clock::duration::zero();
  auto due = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                interval * std::uniform_real_distribution<double>(0, 1)(random));
  while (Clock::now() < deadline) {
    batch.clear();
    for (int i = 0; i < o.pipeline; ++i) {
      const std::string k = "key:" + std::to_string(key(random));
      if (get) {
        batch += "get " + k + "\r\n";
      } else {
        batch += "set " + k + " 0 0 " + std::to_string(value.size()) + "\r\n" + value + "\r\n";
      }
    }
    auto start = Clock::now();
    if (o.rate > 0) {
      if (due >= deadline) break;
      std::this_thread::sleep_until(due);
      start = due;
      due += interval;
    }
    if (::send(fd, batch.data(), batch.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(batch.size()) ||
        !read_replies(fd, o.pipeline, get, buffer, result.errors)) {
      ++result.errors;
      break;
    }
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count();
    result.latencies_us.insert(result.latencies_us.end(), static_cast<std::size_t>(o.pipeline),
                               static_cast<std::uint32_t>(us));
  }
  ::close(fd);
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"memcached load, closed or at a fixed rate: requests/s and latency percentiles", "memcache_load"};
  app.add_option("--port", o.port, "memcached (or proxy) port on 127.0.0.1");
  app.add_option("--connections", o.connections, "Concurrent clients")->check(CLI::Range(1, 10000));
  app.add_option("--pipeline", o.pipeline, "Requests per batch")->check(CLI::Range(1, 10000));
  app.add_option("--test", o.test, "get or set")->check(CLI::IsMember({"get", "set"}));
  app.add_option("--seconds", o.seconds, "Duration")->check(CLI::Range(0.1, 3600.0));
  app.add_option("--keys", o.keys, "Key space")->check(CLI::Range(1, 100'000'000));
  app.add_option("--value-size", o.value_size, "Bytes per value (set)")->check(CLI::Range(1, 1 << 20));
  app.add_option("--rate", o.rate, "Requests per second of all clients together, each batch at its time (open loop); "
                                   "0: each client sends its next batch when the last is answered")
      ->check(CLI::Range(0.0, 1e8));
  CLI11_PARSE(app, argc, argv);

  std::vector<Result> results(static_cast<std::size_t>(o.connections));
  std::vector<std::thread> threads;
  std::atomic<int> failed{0};
  const auto start = Clock::now();
  const auto deadline = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.seconds));
  for (int c = 0; c < o.connections; ++c) {
    threads.emplace_back([&, c] {
      try {
        client(o, deadline, static_cast<unsigned>(c) + 1, results[static_cast<std::size_t>(c)]);
      } catch (const std::exception& e) {
        std::fprintf(stderr, "client %d: %s\n", c, e.what());
        ++failed;
      }
    });
  }
  for (auto& t : threads) t.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();

  std::vector<std::uint32_t> all;
  std::uint64_t errors = 0;
  for (auto& r : results) {
    all.insert(all.end(), r.latencies_us.begin(), r.latencies_us.end());
    errors += r.errors;
  }
  if (all.empty() || failed > 0) {
    std::fprintf(stderr, "memcache_load: no successful requests\n");
    return 1;
  }
  auto percentile = [&](double p) {
    const auto at = static_cast<std::size_t>(p * static_cast<double>(all.size() - 1));
    std::nth_element(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(at), all.end());
    return all[at] / 1000.0;
  };
  const double p50 = percentile(0.50);
  const double p99 = percentile(0.99);
  const double p999 = percentile(0.999);
  std::printf("rps=%.0f p50_ms=%.3f p99_ms=%.3f p999_ms=%.3f errors=%llu\n", static_cast<double>(all.size()) / elapsed,
              p50, p99, p999, static_cast<unsigned long long>(errors));
  return 0;
}
