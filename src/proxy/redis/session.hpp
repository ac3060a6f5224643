// redis::Session: a client speaking Redis RESP2 (or inline commands) to a pool.
//
// Commands are routed per commands.hpp: a command's keys must all live on one server (hash tags put
// related keys together), except MGET, DEL, UNLINK, TOUCH, EXISTS and MSET, which are split per
// server and merged (merged_replies.hpp). Transactions and blocking commands run on connections of
// the client's own (pinned.hpp), and so do subscriptions (subscriber.hpp). PING, ECHO, QUIT and AUTH
// (against redis_auth) are
// answered here; commands that cannot work through a sharding proxy get
// "-ERR ... not supported by proxy" and the connection stays open. A protocol error closes the
// connection after its error reply, as Redis does.
//
// A write whose argument is larger than kStreamAbove (a SET of a large value), with its keys
// before that argument, streams to its server as memcache::Session streams a large value
// (streamed_request.hpp); any other command is held whole.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "proxy/client_session.hpp"
#include "proxy/redis/commands.hpp"
#include "proxy/redis/connection_commands.hpp"
#include "proxy/redis/pinned.hpp"
#include "proxy/redis/subscriber.hpp"
#include "proxy/redis/request_parser.hpp"
#include "proxy/redis/route_command.hpp"
#include "proxy/route/router.hpp"
#include "proxy/streamed_request.hpp"

namespace ringleader::proxy {
class PoolWorker;
}

namespace ringleader::proxy::redis {

class Session final : public ClientSession {
 public:
  Session(Socket socket, PoolWorker& pool);
  ~Session() override;

 protected:
  std::size_t consume(std::string_view input) override;
  void input_drained() override;
  bool input_paused() const override;
  /// Also when a blocking command waits: as Redis drops a blocked client that closed, rather than
  /// waiting for a reply that may never come.
  bool input_cut_short() const override { return input_streaming() || pinned_.blocked(); }
  bool input_streaming() const override { return stream_.active() && !rest_.done(); }

 private:
  /// False when the connection must close after this command (QUIT).
  bool handle(const Request& request);
  void reply_error(std::string_view message);
  /// A command whose argument streams (Request::streamed) that can stream: a write whose keys all
  /// come before that argument, by a client that may send it.
  const CommandSpec* streamable(const Request& request) const;
  /// Routes a streamable command and sends what it has; the rest follows in forward_rest().
  void start_stream(const CommandSpec& spec, const Request& request);
  /// Forwards the part of `input` that belongs to the streamed command (or drops it, when the
  /// command was refused); returns the bytes used.
  std::size_t forward_rest(std::string_view input, const Limits& limits);

  PoolWorker& pool_;
  Request request_;                      // reused between commands
  ConnectionState connection_;           // authenticated, name, id
  std::vector<std::string_view> keys_;   // keys of the current command
  RouteCommand command_;                 // the current command, described for router_
  route::Router router_;                 // where each command goes (route/router.hpp)...
  Pinned pinned_;                        // ...but a transaction's and a blocking command's (pinned.hpp)
  Subscriber subscriber_;                // ...and pub/sub's (subscriber.hpp)
  std::string request_bytes_;            // an inline command written as RESP
  StreamedRequest stream_;               // a command whose argument streams...
  StreamedRest rest_;                    // ...and what is still to come of it (or to drop)
  bool stream_waits_ = false;            // a streamed command waits for the commands before it
};

}  // namespace ringleader::proxy::redis
