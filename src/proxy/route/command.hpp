// route::Command: one request as the route layer sees it. A protocol's session parses a request,
// describes it in a Command (what it does, its keys, how to ask a server for some of them, how to
// merge the replies) and hands it to its Router (router.hpp), which decides where it goes: its
// owner, a split over servers, every copy, a copy failing over to the next, a warm-up. No session
// knows those policies; no policy knows a protocol.
//
// A session keeps one Command and fills it in for each request, so describing allocates nothing.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "proxy/keys_by_server.hpp"
#include "proxy/pending_reply.hpp"
#include "proxy/protocol.hpp"

namespace ringleader::proxy::route {

class Command {
 public:
  /// What a request does to its keys, for a warm-up (warm_up.hpp).
  enum class Effect {
    read,    // a miss of a moved key is asked of its previous owner
    write,   // noted, so no older copy replaces it
    remove,  // also sent to the previous owner
  };

  virtual ~Command() = default;

  // A command of one key that never splits (an HTTP request) needs none of the four below.

  /// The request for key k alone: a read of it (for a read of many keys asked key by key), or,
  /// for a remove, its delete. By default the whole request, right for a command of one key.
  virtual void one_key(std::size_t k, std::string& out) const;
  /// The reply merging one part per key of such a read (only for a command that splits).
  virtual std::shared_ptr<PendingReply> per_key_reply(std::size_t keys) const;
  /// For a command that splits: the request for keys `keys` (positions in `keys`, ascending)...
  virtual void split_request(std::span<const std::uint32_t> keys, std::string& out) const;
  /// ...and the reply merging the parts of `parts`.
  virtual std::shared_ptr<PendingReply> split_reply(const KeysByServer& parts) const;

  std::string_view name;                    // for messages ("keys of 'MSET' live on ...")
  std::span<const std::string_view> keys;   // at least one
  std::array<std::string_view, 4> request;  // the whole request as servers get it, in pieces
  ReplyKind kind = 0;                       // what the request expects back
  Dialect dialect = 0;                      // the client's version of the protocol: servers answer in it
  Effect effect = Effect::write;
  bool reads = false;     // only reads its keys: with replicas, one copy answers (failing over)
  bool splits = false;    // its keys may live on different servers (split_request, split_reply)
  bool counts = false;    // its reply counts keys: a read of many is not warmed key by key
  bool with_cas = false;  // a read that asked for cas values
  bool sends = true;      // false: noreply, the server's answer is dropped
  std::uint32_t retries = 0;  // a one-key command sent again to the key's next servers, up to this
                              // many, when its server fails before answering (http_retries)
};

}  // namespace ringleader::proxy::route
