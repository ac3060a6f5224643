// http::protocol(); see protocol.hpp.
#include "proxy/http/protocol.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <memory>

#include "proxy/http/message_head.hpp"
#include "proxy/http/response_frame.hpp"
#include "proxy/http/session.hpp"
#include "proxy/http/status_reply.hpp"
#include "proxy/pool_worker.hpp"

namespace ringleader::proxy::http {
namespace {

/// The client's address as X-Forwarded-For gives it ("unix" for a Unix socket).
std::string peer_address(const Socket::endpoint_type& peer) {
  if (peer.size() == 0) return "unknown";
  char text[INET6_ADDRSTRLEN] = {};
  const sockaddr* address = peer.data();
  if (address->sa_family == AF_INET) {
    // By hand: inet_ntop formats with sprintf, about 1,500 instructions per client (callgrind).
    const auto* octets = reinterpret_cast<const unsigned char*>(&reinterpret_cast<const sockaddr_in*>(address)->sin_addr);
    std::string out;
    for (int i = 0; i < 4; ++i) {
      if (i > 0) out += '.';
      const unsigned octet = octets[i];
      if (octet >= 100) out += static_cast<char>('0' + octet / 100);
      if (octet >= 10) out += static_cast<char>('0' + octet / 10 % 10);
      out += static_cast<char>('0' + octet % 10);
    }
    return out;
  }
  if (address->sa_family == AF_INET6)
    return ::inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(address)->sin6_addr, text, sizeof text) ? text : "unknown";
  return "unix";
}

class Http11 final : public Protocol {
 public:
  void start_session(Socket socket, const Socket::endpoint_type& peer, PoolWorker& pool,
                     stats::PoolCounters& counters) const override {
    std::string client = peer_address(peer);
    // Bodies stream on a connection of their own, which waits for the client (pending_reply.hpp):
    // what a client leaves unread is a few pieces, whatever the body's size.
    constexpr std::size_t kBodyLimit = 64 * 1024 * 1024;
    make_session<Session>(std::move(socket), pool, std::move(client))
        ->start(counters, *pool.layout(), pool.pool().max_value_bytes.value_or(kBodyLimit));
  }

  std::string_view alpn() const noexcept override { return "http/1.1"; }

  proxy::ReplyFrame frame_reply(std::string_view input, ReplyKind kind) const noexcept override {
    try {
      const ResponseFrame frame = frame_response(input, static_cast<Reply>(kind), kMaxResponseHead);
      switch (frame.status) {
        case ResponseFrame::Status::complete:
          return {proxy::ReplyFrame::Status::complete, frame.size, 0, false, std::nullopt, frame.closes};
        case ResponseFrame::Status::malformed:
          return {proxy::ReplyFrame::Status::malformed, 0, 0, false, std::nullopt};
        case ResponseFrame::Status::need_more:
          break;
      }
      return {proxy::ReplyFrame::Status::need_more, 0, static_cast<std::size_t>(frame.certain), frame.certain_ends,
              frame.then_chunks ? std::optional<ReplyKind>(Reply::chunks) : std::nullopt, frame.closes,
              frame.ends_at_close};
    } catch (const std::bad_alloc&) {
      return {proxy::ReplyFrame::Status::malformed, 0, 0, false, std::nullopt};
    }
  }

  // Backend::fail's reasons name the server ("cannot connect to 10.0.0.1:80: ..."); the client is
  // told what happened but not where (as nginx, the address stays in the proxy's log).
  std::string error_reply(std::string_view reason) const override {
    if (reason.starts_with("timeout:")) return status_reply(504, "timeout: the server did not respond in time", false);
    if (reason.starts_with("cannot connect")) return status_reply(502, "cannot connect to the server", false);
    if (reason.starts_with("no free connection")) return status_reply(503, "no free connection to the server in time", false);
    if (reason.starts_with("malformed") || reason.starts_with("unexpected"))
      return status_reply(502, "the server's response could not be read", false);
    return status_reply(502, "the server closed the connection", false);
  }

  std::vector<ProbeStep> probe(const config::Pool& pool) const override {
    const std::string& path = pool.health_check_path;
    return {{"GET " + path + " HTTP/1.1\r\nHost: ringleader\r\nUser-Agent: ringleader-health-check\r\nConnection: close\r\n\r\n",
             {"HTTP/1.1 2", "HTTP/1.1 3", "HTTP/1.0 2", "HTTP/1.0 3"},  // an HTTP/1.0 server is healthy too
             true,
             "unexpected reply to GET " + path + ": ",
             Reply::response}};
  }

  bool servers_close_idle() const noexcept override { return true; }
  bool replayable(std::string_view request) const noexcept override {
    return idempotent(request.substr(0, request.find(' ')));
  }
  ConnectionPolicy connection_policy() const noexcept override { return ConnectionPolicy::per_request; }

  // Replicas are for caches; an http pool uses FailoverRead for its retries only (is_miss: never).
  WriteOutcome judge_write(std::string_view reply) const noexcept override {
    return reply.starts_with("HTTP/1.1 2") ? WriteOutcome::success : WriteOutcome::error;
  }
  bool is_miss(std::string_view) const noexcept override { return false; }
  std::span<const std::string_view> own_keys() const noexcept override {
    static constexpr std::string_view keys[] = {"http_key", "http_key_missing", "http_retries", "health_check_path",
                                                "http_underscores_in_headers", "http_max_connections",
                                                "client_header_timeout", "client_idle_timeout"};
    return keys;
  }
  std::optional<PoolProblem> check(const config::Pool& pool) const override {
    if (pool.replicas <= 1) return std::nullopt;
    return PoolProblem{"replicas", "an http pool keeps no copies (its servers hold their own data); http_retries "
                                   "sends a failed request to the key's next server"};
  }

 private:
  static constexpr std::size_t kMaxResponseHead = 64 * 1024;
};

}  // namespace

const Protocol& protocol() {
  static const Http11 http;
  return http;
}

}  // namespace ringleader::proxy::http
