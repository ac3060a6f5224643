// memcache::protocol(); see protocol.hpp.
#include "proxy/memcache/protocol.hpp"

#include <memory>

#include "proxy/memcache/reply_parser.hpp"
#include "proxy/memcache/session.hpp"
#include "proxy/pool_worker.hpp"

namespace ringleader::proxy::memcache {
namespace {

class TextProtocol final : public Protocol {
 public:
  void start_session(Socket socket, PoolWorker& pool, stats::PoolCounters& counters) const override {
    std::make_shared<Session>(std::move(socket), pool)->start(counters, pool.pool().max_replies_in_flight);
  }

  proxy::ReplyFrame frame_reply(std::string_view input, ReplyKind kind) const noexcept override {
    return reply_frame_of(memcache::frame_reply(input, kind == Reply::values));
  }

  std::string error_reply(std::string_view reason) const override {
    std::string reply = "SERVER_ERROR ";
    reply.append(reason).append("\r\n");
    return reply;
  }

  std::vector<ProbeStep> probe(const config::Pool&) const override {
    return {{"version\r\n", "VERSION ", true, "unexpected reply to version: "}};
  }
};

}  // namespace

const Protocol& protocol() {
  static const TextProtocol text;
  return text;
}

}  // namespace ringleader::proxy::memcache
