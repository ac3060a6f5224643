// redis::protocol(); see protocol.hpp.
#include "proxy/redis/protocol.hpp"

#include <memory>

#include "proxy/log.hpp"
#include "proxy/redis/reply_parser.hpp"
#include "proxy/redis/resp.hpp"
#include "proxy/redis/session.hpp"
#include "proxy/redis/warmup_steps.hpp"
#include "proxy/pool_worker.hpp"

namespace ringleader::proxy::redis {
namespace {

// The AUTH every server connection and health probe starts with: as redis_auth_user, if set (an
// ACL user), else as the default user.
std::string auth_command(const config::Pool& pool) {
  if (pool.redis_auth_user.empty()) return command({"AUTH", pool.redis_auth});
  return command({"AUTH", pool.redis_auth_user, pool.redis_auth});
}

enum Step : std::uint32_t { auth, select, hello };

class RespProtocol final : public Protocol {
 public:
  void start_session(Socket socket, const Socket::endpoint_type&, PoolWorker& pool,
                     stats::PoolCounters& counters) const override {
    make_session<Session>(std::move(socket), pool)
        ->start(counters, *pool.layout(), pool.pool().max_value_bytes.value_or(Limits{}.max_bulk));
  }

  proxy::ReplyFrame frame_reply(std::string_view input, ReplyKind) const noexcept override {
    return reply_frame_of(redis::frame_reply(input));
  }

  std::string error_reply(std::string_view reason) const override { return redis::error_reply(reason); }

  Handshake handshake(const config::Pool& pool, Dialect dialect) const override {
    Handshake hello;
    if (!pool.redis_auth.empty()) {
      hello.bytes += auth_command(pool);
      hello.steps.push_back({Step::auth, "AUTH"});
    }
    if (dialect == kResp3) {
      hello.bytes += command({"HELLO", "3"});
      hello.steps.push_back({Step::hello, "HELLO 3"});
    }
    if (pool.redis_db != 0) {
      const std::string db = std::to_string(pool.redis_db);
      hello.bytes += command({"SELECT", db});
      hello.steps.push_back({Step::select, "SELECT " + db});
    }
    return hello;
  }
  Dialect dialects() const noexcept override { return 2; }

  // A wrong redis_auth is a configuration mistake, not a failing server: nothing is counted against
  // the server (no ejection of a healthy one). The connection stays, and each request gets the
  // reply the server gives a client that is not authenticated (`-NOAUTH Authentication required.`),
  // as through nutcracker, which swallows its AUTH's reply. A server without a password refuses
  // AUTH too, and then simply serves.
  HandshakeVerdict judge_handshake(const HandshakeStep& step, std::string_view reply, bool refused_before,
                                   std::string_view server) const override {
    if (!reply.starts_with("-")) return {};
    const std::string text(reply.substr(1, reply.find_first_of("\r\n") - 1));
    if (step.tag == Step::auth) {
      log::warn("server refused AUTH (redis_auth); clients get its replies",
                {{"server", std::string(server)}, {"reply", text}});
      return {.refused = true, .failure = {}};
    }
    // SELECT or HELLO refused after AUTH was: the server answers every request with -NOAUTH anyway.
    if (refused_before) return {.refused = true, .failure = {}};
    // HELLO 3 refused (a Redis before 6 has no RESP3): the clients that asked for RESP3 get why.
    if (step.tag == Step::hello)
      return {.refused = true, .failure = "RESP3 (HELLO 3) refused by " + std::string(server) + ": " + text};
    // SELECT refused on its own (redis_db beyond the server's databases): requests would go on
    // reading and writing database 0, so the connection is failed (those already pipelined behind
    // the SELECT have run there). Not the server's failure either.
    return {.refused = true, .failure = step.command + " refused by " + std::string(server) + ": " + text};
  }

  // An error reply starts with '-' (or '!', RESP3's blob error); anything else is the command's answer.
  WriteOutcome judge_write(std::string_view reply) const noexcept override {
    return reply.starts_with('-') || reply.starts_with('!') ? WriteOutcome::error : WriteOutcome::success;
  }

  // A nil bulk string or nil array (RESP2), or a null (RESP3): GET, HGET, LINDEX ... of a key that
  // is not there; or the one nil of a single-key MGET (replicas send an MGET key by key).
  bool is_miss(std::string_view reply) const noexcept override {
    return reply == "$-1\r\n" || reply == "*-1\r\n" || reply == "_\r\n" || reply == "*1\r\n$-1\r\n" ||
           reply == "*1\r\n_\r\n";
  }
  const WarmUpSteps* warm_up_steps() const noexcept override { return &redis::warm_up_steps(); }

  std::span<const std::string_view> own_keys() const noexcept override {
    static constexpr std::string_view keys[] = {"redis_auth", "redis_auth_user", "redis_users",
                                                "redis_pinned_connections", "redis_fan_out"};
    return keys;
  }
  std::optional<PoolProblem> check(const config::Pool& pool) const override {
    if (pool.redis_auth_user.empty() || !pool.redis_auth.empty()) return std::nullopt;
    return PoolProblem{"redis_auth_user", "needs redis_auth, the password the proxy gives with the user's name"};
  }

  std::vector<ProbeStep> probe(const config::Pool& pool) const override {
    std::vector<ProbeStep> steps;
    if (!pool.redis_auth.empty()) steps.push_back({auth_command(pool), {"+OK"}, false, "AUTH refused: "});
    steps.push_back({command({"PING"}), {"+PONG"}, false, "unexpected reply to PING: "});
    return steps;
  }
};

}  // namespace

const Protocol& protocol() {
  static const RespProtocol resp;
  return resp;
}

}  // namespace ringleader::proxy::redis
