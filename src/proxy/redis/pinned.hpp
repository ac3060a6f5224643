// redis::Pinned: what one client runs on connections of its own to one server, because a connection
// that other clients share cannot carry it.
//
// - A transaction: WATCH, then MULTI ... EXEC or DISCARD. Every command of it must reach one
//   server on one connection, so the first of WATCH's keys or of the transaction's commands pins
//   the client to its server, on a connection of its own (the pool's other clients go on sharing
//   theirs). MULTI is answered here and sent with the first command that has keys. A command whose
//   keys live on another server, or that the proxy cannot send inside a transaction, gets an
//   error and the transaction is aborted, as Redis aborts one with a command it refused: EXEC
//   answers -EXECABORT. EXEC, DISCARD, UNWATCH outside MULTI, RESET and the client leaving let
//   go of the connection, which closes once its replies are in (or at once, the client gone).
// - A blocking command (BLPOP, BRPOP, BLMOVE, BLMPOP, BRPOPLPUSH, BZPOPMIN, BZPOPMAX, BZMPOP, and
//   XREAD or XREADGROUP with BLOCK): on a
//   connection of its own, closed once it is answered, so it holds up no other client. The server
//   keeps the client's own timeout; the pool's `timeout` does not apply to it.
//
// Each connection counts against the pool's redis_pinned_connections per worker thread: past it, the
// command gets an error (and a transaction aborts). A pool with replicas refuses both: one copy would run them, and the copies would differ. During
// a warm-up they go to the keys' new owners only.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/backend.hpp"
#include "proxy/redis/commands.hpp"
#include "proxy/redis/request_parser.hpp"

namespace ringleader::proxy {
class PoolWorker;
}

namespace ringleader::proxy::redis {

/// The error a client gets when no connection of its own may be opened (redis_pinned_connections).
std::string no_pinned_connection(const config::Pool& pool);

class Pinned {
 public:
  using Enqueue = std::function<void(std::shared_ptr<PendingReply>)>;
  Pinned(PoolWorker& pool, Enqueue enqueue) : pool_(pool), enqueue_(std::move(enqueue)) {}
  ~Pinned();
  Pinned(const Pinned&) = delete;
  Pinned& operator=(const Pinned&) = delete;

  /// Whether `args`, a `spec` command, is run here: a transaction's own command, a blocking one, or
  /// any command while MULTI is open.
  bool takes(const CommandSpec& spec, std::span<const std::string_view> args) const noexcept {
    return spec.routing == Routing::transaction || multi_ || spec.blocks_with(args);
  }
  /// Runs `request`, a command that takes() says is run here, with its `keys`, for a client
  /// speaking `dialect`.
  void run(const CommandSpec& spec, const Request& request, std::span<const std::string_view> keys, Dialect dialect);
  /// A blocking command waits for its reply.
  bool blocked() const noexcept {
    return std::any_of(blocked_.begin(), blocked_.end(), [](const auto& weak) {
      const auto connection = weak.lock();
      return connection && !connection->idle();
    });
  }
  /// A command of the transaction the session refused (wrong arguments): the transaction aborts.
  void refused() noexcept { aborted_ = multi_; }
  /// RESET: out of any transaction, the connection let go (its closing discards the transaction).
  void reset() { unpin(); }

 private:
  void transaction_command(const CommandSpec& spec, const Request& request, std::span<const std::string_view> keys,
                           Dialect dialect);
  void block(const CommandSpec& spec, const Request& request, std::span<const std::string_view> keys, Dialect dialect);
  /// Sends a command of the transaction (or WATCH) to the pinned server, pinning it first; false
  /// (the client told why) if its keys live elsewhere.
  bool send_pinned(const CommandSpec& spec, const Request& request, std::span<const std::string_view> keys,
                   Dialect dialect);
  /// The one server of `keys`, or false (the client told why) if they have none or several.
  bool one_server(const CommandSpec& spec, std::span<const std::string_view> keys, std::uint32_t& server);
  void send(Backend& connection, std::string_view request, bool sends);
  /// The request as servers get it: an inline command written as RESP.
  std::string_view as_resp(const Request& request);
  void reply(std::string_view bytes);
  /// Lets go of the pinned connection: it closes once its replies are in.
  void unpin();

  PoolWorker& pool_;
  Enqueue enqueue_;
  std::shared_ptr<Backend> pinned_;              // WATCH or the transaction's first command chose it
  std::shared_ptr<const PoolLayout> layout_;     // server_ is an index into it
  std::uint32_t server_ = 0;
  bool multi_ = false;       // between MULTI and EXEC or DISCARD
  bool multi_sent_ = false;  // MULTI went to the server (with the transaction's first command)
  bool aborted_ = false;     // a command was refused inside MULTI: EXEC discards
  std::vector<std::weak_ptr<Backend>> blocked_;  // blocking commands' connections, maybe still waiting
  std::vector<std::uint32_t> servers_;           // scratch: the server of each key
  std::string scratch_;                          // an inline command written as RESP
};

}  // namespace ringleader::proxy::redis
