// ringleader serve when things go wrong (unreachable and silent backends, authentication, bad
// configs) and with per-pool options (unix socket listener, preconnect).
#include <gtest/gtest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <thread>

#include "cluster.hpp"

namespace ringleader::test {
namespace {

std::string pool(const std::string& name, const std::string& listen, const std::vector<std::uint16_t>& servers,
                 const std::string& options) {
  std::string text = name + ":\n  listen: " + listen + "\n  hash: md5\n  distribution: ketama\n" + options +
                     "  servers:\n";
  for (auto port : servers) text += "   - 127.0.0.1:" + std::to_string(port) + ":1\n";
  return text;
}

std::string tcp(std::uint16_t port) { return "127.0.0.1:" + std::to_string(port); }

// A server that accepts connections (the kernel does, from the backlog) and never answers.
class SilentServer {
 public:
  SilentServer() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof address;
    ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address);
    ::listen(fd_, 16);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &size);
    port = ntohs(address.sin_port);
  }
  ~SilentServer() { ::close(fd_); }
  std::uint16_t port = 0;

 private:
  int fd_ = -1;
};

// Keys on a server nobody listens on fail fast with the reason; keys on the live server still work.
TEST(ProxyFailures, UnreachableServerFailsOnlyItsKeysQuickly) {
  TempDir dir;
  auto live = start_memcached(dir);
  auto live_redis = start_redis(dir);
  const std::uint16_t dead = free_port();  // nothing listens there
  const std::uint16_t mc = free_port(), rd = free_port();
  const auto file = dir.write("c.yml", pool("cache", tcp(mc), {live.port, dead}, "  timeout: 2000\n") +
                                           pool("store", tcp(rd), {live_redis.port, dead}, "  redis: true\n"));
  auto proxy = start_ringleader(dir, file, {mc, rd});
  Connection c(mc);
  Connection r(rd);
  int failed = 0, stored = 0;
  for (int i = 0; i < 40; ++i) {
    const std::string key = "k" + std::to_string(i);
    const std::string reply = memcache(c, "set " + key + " 0 0 1\r\nx\r\n");
    if (reply == "STORED\r\n") {
      ++stored;
    } else {
      EXPECT_TRUE(reply.starts_with("SERVER_ERROR cannot connect to 127.0.0.1:" + std::to_string(dead))) << reply;
      ++failed;
    }
    const std::string redis_reply = redis(r, {"SET", key, "x"});
    EXPECT_TRUE(redis_reply == "+OK\r\n" || redis_reply.starts_with("-ERR cannot connect to")) << redis_reply;
  }
  EXPECT_GT(failed, 0);
  EXPECT_GT(stored, 0);
  // A request split over both servers fails as a whole: a partial answer would look like misses.
  std::string get = "get";
  std::vector<std::string> mget{"MGET"};
  for (int i = 0; i < 40; ++i) {
    get += " k" + std::to_string(i);
    mget.push_back("k" + std::to_string(i));
  }
  EXPECT_TRUE(memcache(c, get + "\r\n").starts_with("SERVER_ERROR cannot connect to")) << get;
  EXPECT_TRUE(redis(r, mget).starts_with("-ERR cannot connect to"));
}

// A backend that does not answer within `timeout` gives that request an error naming the timeout.
TEST(ProxyFailures, SilentServerTimesOut) {
  TempDir dir;
  SilentServer silent;
  const std::uint16_t mc = free_port(), rd = free_port();
  const auto file = dir.write("c.yml", pool("cache", tcp(mc), {silent.port}, "  timeout: 300\n") +
                                           pool("store", tcp(rd), {silent.port}, "  timeout: 300\n  redis: true\n"));
  auto proxy = start_ringleader(dir, file, {mc, rd});
  Connection c(mc);
  EXPECT_EQ(memcache(c, "get a b c\r\n"),
            "SERVER_ERROR timeout: no reply from 127.0.0.1:" + std::to_string(silent.port) + " within 300 ms\r\n");
  EXPECT_TRUE(memcache(c, "version\r\n").starts_with("VERSION"));
  Connection r(rd);
  EXPECT_EQ(redis(r, {"GET", "a"}),
            "-ERR timeout: no reply from 127.0.0.1:" + std::to_string(silent.port) + " within 300 ms\r\n");
}

// bounded_load through the proxy: a server that stops answering holds at most its bound of
// requests in flight, so the client's next keys for it go to the live server instead of waiting for
// the timeout. The same requests without bounded_load: about half wait and time out.
int timeouts_with(const std::string& bounded_load) {
  TempDir dir;
  auto live = start_memcached(dir);
  SilentServer silent;
  const std::uint16_t listen = free_port();
  const auto file = dir.write("c.yml", "p:\n  listen: " + tcp(listen) + "\n  hash: xxh3\n  distribution: maglev\n" +
                                           bounded_load + "  timeout: 1500\n  servers:\n   - " + tcp(live.port) +
                                           ":1\n   - " + tcp(silent.port) + ":1\n");
  auto proxy = start_ringleader(dir, file, {listen}, {"--threads", "1"});
  Connection c(listen);
  constexpr int kRequests = 40;
  for (int i = 0; i < kRequests; ++i) {  // spaced, so the live server's replies come back between them
    c.send("set k" + std::to_string(i) + " 0 0 1\r\nv\r\n");
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  int timeouts = 0;
  for (int i = 0; i < kRequests; ++i) {
    const std::string reply = c.receive([](std::string_view in) {
      const auto end = in.find("\r\n");
      return end == std::string_view::npos ? 0 : end + 2;
    });
    if (reply.starts_with("SERVER_ERROR timeout")) ++timeouts;
    else EXPECT_EQ(reply, "STORED\r\n");
  }
  return timeouts;
}

TEST(ProxyFailures, BoundedLoadKeepsASilentServerToItsShare) {
  const int bounded = timeouts_with("  bounded_load: 1.5\n");
  const int unbounded = timeouts_with("");
  std::printf("requests that waited for a silent server: %d with bounded_load 1.5, %d without\n", bounded, unbounded);
  // With only its own requests in flight, the silent server's bound is ceil(1.5 x (n + 1) / 2): it
  // takes a new request while it holds fewer than 3.
  EXPECT_LE(bounded, 3);
  EXPECT_GE(unbounded, 10);
}

// Clients must AUTH with redis_auth; backends get AUTH and SELECT redis_db on every connection.
TEST(ProxyFailures, RedisAuthAndDb) {
  TempDir dir;
  auto backend = start_redis(dir, {"--requirepass", "s3cret"});
  const std::uint16_t rd = free_port();
  const auto file = dir.write("c.yml", pool("store", tcp(rd), {backend.port},
                                            "  redis: true\n  redis_auth: s3cret\n  redis_db: 2\n"));
  auto proxy = start_ringleader(dir, file, {rd});
  Connection c(rd);
  EXPECT_EQ(redis(c, {"GET", "k"}), "-NOAUTH Authentication required.\r\n");
  EXPECT_TRUE(redis(c, {"AUTH", "wrong"}).starts_with("-WRONGPASS"));
  EXPECT_EQ(redis(c, {"AUTH", "s3cret"}), "+OK\r\n");
  EXPECT_EQ(redis(c, {"SET", "k", "in-db-2"}), "+OK\r\n");
  Connection direct(backend.port);
  EXPECT_EQ(redis(direct, {"AUTH", "s3cret"}), "+OK\r\n");
  EXPECT_EQ(redis(direct, {"GET", "k"}), "$-1\r\n");
  EXPECT_EQ(redis(direct, {"SELECT", "2"}), "+OK\r\n");
  EXPECT_EQ(redis(direct, {"GET", "k"}), "$7\r\nin-db-2\r\n");
  // A RESP3 client's commands go on connections opened with AUTH, HELLO 3 and SELECT.
  EXPECT_TRUE(redis(c, {"HELLO", "3"}).starts_with("%8\r\n"));
  EXPECT_EQ(redis(c, {"GET", "k"}), "$7\r\nin-db-2\r\n");
  EXPECT_EQ(redis(c, {"GET", "nosuch"}), "_\r\n");
}

// A subscriber whose server dies is disconnected, so its library connects and subscribes again; a
// client blocked on that server gets an error naming it.
TEST(ProxyFailures, SubscriberAndBlockedClientWhoseServerDies) {
  TempDir dir;
  auto backend = start_redis(dir);
  const std::uint16_t rd = free_port();
  const auto file = dir.write("c.yml", pool("store", tcp(rd), {backend.port}, "  redis: true\n"));
  auto proxy = start_ringleader(dir, file, {rd});
  Connection sub(rd);
  EXPECT_EQ(redis(sub, {"SUBSCRIBE", "news"}), "*3\r\n$9\r\nsubscribe\r\n$4\r\nnews\r\n:1\r\n");
  Connection blocked(rd);
  blocked.send(resp({"BLPOP", "jobs", "0"}));
  Connection direct(backend.port);
  for (int i = 0; i < 2000 && redis(direct, {"INFO", "clients"}).find("blocked_clients:1") == std::string::npos; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  backend.process.stop();
  EXPECT_TRUE(sub.closed_by_peer());
  const std::string error = redis_reply(blocked);
  EXPECT_TRUE(error.starts_with("-ERR") && error.find("127.0.0.1:" + std::to_string(backend.port)) != std::string::npos)
      << error;
}

// redis_pinned_connections bounds a worker's connections of clients' own: past it, a blocking
// command gets an error and a transaction aborts; one coming free makes room again.
// redis_fan_out: false refuses KEYS, SCAN and DBSIZE.
TEST(ProxyFailures, PinnedConnectionsLimitAndFanOutOff) {
  TempDir dir;
  auto backend = start_redis(dir);
  const std::uint16_t rd = free_port();
  const auto file = dir.write("c.yml", pool("store", tcp(rd), {backend.port},
                                            "  redis: true\n  redis_pinned_connections: 1\n  redis_fan_out: false\n"));
  auto proxy = start_ringleader(dir, file, {rd}, {"--threads", "1"});
  Connection blocked(rd);
  blocked.send(resp({"BLPOP", "q", "0"}));
  Connection c(rd);
  const std::string refused = redis(c, {"BLPOP", "other", "0"});
  EXPECT_TRUE(refused.starts_with("-ERR redis_pinned_connections (1 per worker thread) reached")) << refused;
  EXPECT_EQ(redis(c, {"MULTI"}), "+OK\r\n");
  EXPECT_TRUE(redis(c, {"SET", "k", "v"}).starts_with("-ERR redis_pinned_connections"));
  EXPECT_EQ(redis(c, {"EXEC"}), "-EXECABORT Transaction discarded because of previous errors.\r\n");
  EXPECT_EQ(redis(c, {"RPUSH", "q", "x"}), ":1\r\n");
  EXPECT_EQ(redis_reply(blocked), "*2\r\n$1\r\nq\r\n$1\r\nx\r\n");
  // The blocked client's connection closes once answered: room for another.
  std::string reply;
  for (int i = 0; i < 2000; ++i) {
    reply = redis(c, {"BLPOP", "other", "0.01"});
    if (reply == "*-1\r\n") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(reply, "*-1\r\n");
  EXPECT_EQ(redis(c, {"DBSIZE"}),
            "-ERR command 'DBSIZE' is not supported by proxy: the pool has redis_fan_out: false\r\n");
}

// With replicas, a transaction or a blocking pop would run on one copy only: refused, as KEYS is
// (each key would count once per copy). A subscriber listens to its channel's first copy, and a
// PUBLISH (a write) goes to every copy: the message comes once.
TEST(ProxyFailures, PinnedCommandsWithReplicas) {
  TempDir dir;
  auto first = start_redis(dir);
  auto second = start_redis(dir);
  const std::uint16_t rd = free_port();
  const auto file = dir.write("c.yml", pool("store", tcp(rd), {first.port, second.port},
                                            "  redis: true\n  replicas: 2\n"));
  auto proxy = start_ringleader(dir, file, {rd});
  Connection c(rd);
  EXPECT_EQ(redis(c, {"MULTI"}), "-ERR MULTI is not supported by proxy on a pool with replicas\r\n");
  EXPECT_EQ(redis(c, {"WATCH", "k"}), "-ERR WATCH is not supported by proxy on a pool with replicas\r\n");
  EXPECT_EQ(redis(c, {"BLPOP", "k", "0"}), "-ERR BLPOP is not supported by proxy on a pool with replicas\r\n");
  EXPECT_EQ(redis(c, {"KEYS", "*"}), "-ERR command 'KEYS' is not supported by proxy on a pool with replicas\r\n");
  Connection sub(rd);
  EXPECT_EQ(redis(sub, {"SUBSCRIBE", "news"}), "*3\r\n$9\r\nsubscribe\r\n$4\r\nnews\r\n:1\r\n");
  redis(c, {"PUBLISH", "news", "once"});
  EXPECT_EQ(redis_reply(sub), "*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$4\r\nonce\r\n");
  EXPECT_EQ(redis(sub, {"PING"}), "*2\r\n$4\r\npong\r\n$0\r\n\r\n");  // and no second copy before it
}

// A server without RESP3 (here, one that refuses HELLO as a Redis before 6 does): a RESP3 client's
// commands get an error that says why, and RESP2 clients go on as before.
TEST(ProxyFailures, ServerWithoutResp3) {
  TempDir dir;
  auto backend = start_redis(dir, {"--rename-command", "HELLO", "\"\""});
  const std::uint16_t rd = free_port();
  const auto file = dir.write("c.yml", pool("store", tcp(rd), {backend.port}, "  redis: true\n"));
  auto proxy = start_ringleader(dir, file, {rd});
  Connection c(rd);
  Connection resp2(rd);
  EXPECT_TRUE(redis(c, {"HELLO", "3"}).starts_with("%8\r\n"));
  for (int i = 0; i < 3; ++i) {
    const std::string refused = redis(c, {"GET", "k"});
    EXPECT_TRUE(refused.starts_with("-ERR") && refused.find("RESP3 (HELLO 3) refused by") != std::string::npos)
        << refused;
    EXPECT_EQ(redis(resp2, {"GET", "k"}), "$-1\r\n");
  }
}

// A wrong redis_auth: the client gets the server's own reply, as through nutcracker, again and
// again (the server is not failed for it; operations/redis_auth_test.py compares with nutcracker).
TEST(ProxyFailures, BackendRefusesAuth) {
  TempDir dir;
  auto backend = start_redis(dir, {"--requirepass", "right"});
  const std::uint16_t rd = free_port();
  const auto file = dir.write("c.yml", pool("store", tcp(rd), {backend.port}, "  redis: true\n  redis_auth: wrong\n"));
  auto proxy = start_ringleader(dir, file, {rd});
  Connection c(rd);
  EXPECT_EQ(redis(c, {"AUTH", "wrong"}), "+OK\r\n");
  EXPECT_EQ(redis(c, {"GET", "k"}), "-NOAUTH Authentication required.\r\n");
  EXPECT_EQ(redis(c, {"SET", "k", "v"}), "-NOAUTH Authentication required.\r\n");
}

// --check accepts a good config and rejects a bad one with a message naming the problem.
TEST(ProxyFailures, CheckValidatesConfig) {
  TempDir dir;
  const auto good = dir.write("good.yml", pool("cache", "127.0.0.1:22121", {11211}, ""));
  const auto bad = dir.write("bad.yml", pool("cache", "127.0.0.1:22121", {11211}, "  distribution: nosuch\n"));
  auto [ok_status, ok_output] = run_shell(ringleader_executable() + " serve --check -c " + good.string());
  EXPECT_EQ(ok_status, 0) << ok_output;
  auto [bad_status, bad_output] = run_shell(ringleader_executable() + " serve --check -c " + bad.string());
  EXPECT_NE(bad_status, 0);
  EXPECT_NE(bad_output.find("distribution"), std::string::npos) << bad_output;
  auto [missing_status, missing_output] = run_shell(ringleader_executable() + " serve --check -c /nonexistent.yml");
  EXPECT_NE(missing_status, 0) << missing_output;
}

// A pool listening on a unix socket serves clients there.
TEST(ProxyFailures, UnixSocketListener) {
  TempDir dir;
  auto backend = start_memcached(dir);
  const std::uint16_t mc = free_port();
  const std::string path = (dir.path() / "proxy.sock").string();
  // The proxy opens its listeners in config order before it serves any: with the unix pool first,
  // the TCP port answering (what start_ringleader waits for) means the socket file exists too.
  const auto file = dir.write("c.yml", pool("local", path + " 0600", {backend.port}, "") +
                                           pool("cache", tcp(mc), {backend.port}, ""));
  auto proxy = start_ringleader(dir, file, {mc});
  Connection c(path);
  EXPECT_EQ(memcache(c, "set u 0 0 1\r\nx\r\n"), "STORED\r\n");
  Connection t(mc);
  EXPECT_EQ(memcache(t, "get u\r\n"), "VALUE u 0 1\r\nx\r\nEND\r\n");
}

// preconnect: every worker thread connects to every server at start, before any request.
TEST(ProxyFailures, Preconnect) {
  TempDir dir;
  auto backend = start_memcached(dir);
  const std::uint16_t mc = free_port();
  const auto file = dir.write("c.yml", pool("cache", tcp(mc), {backend.port}, "  preconnect: true\n"));
  auto proxy = start_ringleader(dir, file, {mc}, {"--threads", "2"});
  Connection stats(backend.port);
  auto connections = [&] {
    stats.send("stats\r\n");
    const std::string reply = stats.receive([](std::string_view b) {
      const auto end = b.find("END\r\n");
      return end == std::string_view::npos ? 0 : end + 5;
    });
    const auto at = reply.find("STAT curr_connections ");
    return std::stoi(reply.substr(at + 22));
  };
  // 2 workers + this stats connection; wait, bounded, for the workers to connect.
  int seen = 0;
  for (int i = 0; i < 500 && (seen = connections()) < 3; ++i) ::usleep(10'000);
  EXPECT_GE(seen, 3);
}

}  // namespace
}  // namespace ringleader::test
