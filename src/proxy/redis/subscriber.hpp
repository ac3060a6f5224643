// redis::Subscriber: a client's pub/sub subscriptions, on connections of its own to the servers.
//
// A channel (SUBSCRIBE) or shard channel (SSUBSCRIBE) is placed like a key, so PUBLISH and SPUBLISH,
// routed by their channel, reach the one server its subscribers listen to. A pattern (PSUBSCRIBE)
// may match channels anywhere: it is subscribed on every server. Each server the client listens to
// gets one connection of the client's own (Backend::on_message), and what the servers publish is
// passed on as it comes.
//
// The confirmations come back in the client's order, one per channel or pattern (a pattern's from
// its first server only), with the count Redis would give: the client's subscriptions after each,
// over every server. UNSUBSCRIBE without channels unsubscribes from those the client has.
//
// If a server's connection is lost, the client gets an error and its connection closes: a client
// library then connects again and subscribes again, to the servers that own its channels then. A
// new layout of the pool's servers (a reload, a membership change) closes it the same way, at once:
// its channels may have moved, and what is published to them goes to their new owners.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/backend.hpp"
#include "proxy/redis/pinned.hpp"

namespace ringleader::proxy {
class PoolWorker;
}

namespace ringleader::proxy::redis {

class Subscriber {
 public:
  using Enqueue = std::function<void(std::shared_ptr<PendingReply>)>;
  /// `enqueue` queues a reply to the client; `end` closes the client once its replies are sent.
  Subscriber(PoolWorker& pool, Enqueue enqueue, std::function<void()> end)
      : pool_(pool), enqueue_(std::move(enqueue)), end_(std::move(end)) {}
  ~Subscriber() { leave({}); }
  Subscriber(const Subscriber&) = delete;
  Subscriber& operator=(const Subscriber&) = delete;

  /// The client has a subscription (Redis's subscribed context).
  bool subscribed() const noexcept { return !channels_.empty() || !patterns_.empty() || !shards_.empty(); }
  /// Runs `args`, whose command `name` (upper case) is SUBSCRIBE, SSUBSCRIBE, PSUBSCRIBE or an
  /// UNSUBSCRIBE of them, for a client speaking `dialect`.
  void run(std::string_view name, std::span<const std::string_view> args, Dialect dialect);
  /// RESET: every subscription dropped. `answer` goes to the client once each server it listened
  /// to has reset that connection too, so that nothing published after it reaches the client and a
  /// PUBLISH sent after it counts this client no more; then those connections close.
  void reset(std::string_view answer);

 private:
  enum class Kind { channel, pattern, shard };
  /// A confirmation to come from a server: part `part` of `reply`, with `count`; or none (a
  /// pattern's from its other servers).
  struct Expected {
    std::shared_ptr<PendingReply> reply;
    std::uint32_t part;
    std::size_t count;
    bool reset = false;  // the server's +RESET, not a confirmation
  };
  struct Link {
    std::shared_ptr<Backend> connection;
    std::deque<Expected> expected;  // in the order the server sends them
    std::vector<std::string_view> request;  // the command being written for this server
    bool resetting = false;  // RESET sent: what it publishes is not the client's any more
  };
  using Links = std::map<std::uint32_t, Link>;

  std::set<std::string, std::less<>>& set_of(Kind kind);
  /// The connection to `server`, made at the first use; null if it may not be (redis_pinned_connections).
  Link* link(std::uint32_t server, Dialect dialect);
  /// A message on `link`: a confirmation goes into its reply, anything else to the client as it is.
  void message(Link& link, std::string_view bytes);
  /// A server's connection failed: every confirmation still to come is an error, and the client's
  /// connection ends.
  void lost();
  /// Drops every subscription and closes every connection; confirmations still to come get `error`.
  void leave(std::string_view error);
  /// Closes the connection of `link`, deaf to anything its server still sends.
  static void hang_up(Link& link);

  PoolWorker& pool_;
  Enqueue enqueue_;
  std::function<void()> end_;
  Links links_;                                      // by server
  std::vector<Links::node_type> resetting_;          // links RESET, until their server confirms it
  std::shared_ptr<void> layout_watch_;               // while links_ has any: a new layout ends them
  std::set<std::string, std::less<>> channels_, patterns_, shards_;
  std::vector<std::string_view> elements_;  // scratch: a message's
  std::vector<std::uint32_t> servers_;      // scratch: a channel's server
};

}  // namespace ringleader::proxy::redis
