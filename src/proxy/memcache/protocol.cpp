// memcache::protocol(); see protocol.hpp.
#include "proxy/memcache/protocol.hpp"

#include <memory>

#include "proxy/memcache/reply_parser.hpp"
#include "proxy/memcache/session.hpp"
#include "proxy/memcache/warmup_steps.hpp"
#include "proxy/pool_worker.hpp"

namespace ringleader::proxy::memcache {
namespace {

class TextProtocol final : public Protocol {
 public:
  void start_session(Socket socket, const Socket::endpoint_type&, PoolWorker& pool,
                     stats::PoolCounters& counters) const override {
    make_session<Session>(std::move(socket), pool)
        ->start(counters, *pool.layout(), pool.pool().max_value_bytes.value_or(Limits{}.max_value));
  }

  proxy::ReplyFrame frame_reply(std::string_view input, ReplyKind kind) const noexcept override {
    if (kind == Reply::meta) return reply_frame_of(memcache::frame_meta_reply(input));
    return reply_frame_of(memcache::frame_reply(input, kind == Reply::values));
  }

  std::string error_reply(std::string_view reason) const override {
    std::string reply = "SERVER_ERROR ";
    reply.append(reason).append("\r\n");
    return reply;
  }

  std::vector<ProbeStep> probe(const config::Pool&) const override {
    return {{"version\r\n", {"VERSION "}, true, "unexpected reply to version: "}};
  }

  // memcached's doc/protocol.txt: ERROR, CLIENT_ERROR ... and SERVER_ERROR ... are errors;
  // NOT_STORED, EXISTS and NOT_FOUND are the server's own no.
  WriteOutcome judge_write(std::string_view reply) const noexcept override {
    if (reply.starts_with("ERROR") || reply.starts_with("CLIENT_ERROR") || reply.starts_with("SERVER_ERROR"))
      return WriteOutcome::error;
    if (reply.starts_with("NOT_STORED") || reply.starts_with("EXISTS") || reply.starts_with("NOT_FOUND"))
      return WriteOutcome::refused;
    return WriteOutcome::success;
  }

  bool is_miss(std::string_view reply) const noexcept override { return reply == kEnd; }
  const WarmUpSteps* warm_up_steps() const noexcept override { return &memcache::warm_up_steps(); }
};

}  // namespace

const Protocol& protocol() {
  static const TextProtocol text;
  return text;
}

}  // namespace ringleader::proxy::memcache
