// Warm-up: for `warmup_ms` after a membership change (and while a server is `draining`), a miss of a
// key whose owner changed is asked of the key's previous owner; a hit there answers the client and
// is copied to the new owner, with its flags and its remaining TTL, only if the new owner still has
// no value (memcached's meta `ms ... ME`, add mode). Writes go to the new owner only; deletes go to
// both (WarmUpWindow::previous_owner says where). docs/warmup.md has the whole design.
//
// This is the protocol-neutral half: the shape of FailoverRead (a read that is sent again elsewhere
// on a miss), with a different request for the second server and a copy after it. A protocol says
// how to ask the previous owner for a value with its TTL, how to answer the client with it and how
// to copy it (WarmUpSteps).
//
// Never a wrong answer: a copy must not bring back an older value over a write or delete made after
// the change. RecentWrites, shared by every worker of the pool, notes when moved keys are written or
// deleted; a copy is sent only if its key was not written from a hold-off before its read began,
// and a copy stored although the key was written meanwhile (on another worker's connection) is
// deleted again on the same connection, after it, if it is still the copy (memcached: its cas;
// Redis: its DUMP), so a write that came after the copy is kept. A cache miss is always a right answer; an old
// value is not.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "proxy/pending_reply.hpp"
#include "proxy/protocol.hpp"
#include "proxy/route/command.hpp"
#include "proxy/route/context.hpp"
#include "proxy/route_table.hpp"

namespace ringleader::proxy {

/// A value read from a previous owner.
struct WarmValue {
  std::string_view data;
  std::string_view flags;  // as the protocol writes them back
  std::string_view cas;    // empty if not asked for
  long long ttl = -1;      // seconds left; -1: none
};

/// What a protocol does for warm-up.
class WarmUpSteps {
 public:
  virtual ~WarmUpSteps() = default;
  /// The request that reads `key` with its TTL from the previous owner, and its reply kind.
  virtual void read_previous(std::string_view key, bool with_cas, std::string& out) const = 0;
  virtual ReplyKind previous_kind() const noexcept = 0;
  /// The previous owner's reply as a value, or nothing (a miss, an error).
  virtual std::optional<WarmValue> value_of(std::string_view reply) const noexcept = 0;
  /// The client's reply to its read of `key`, answered with `value`; false if the protocol cannot
  /// write it (Redis: a DUMP payload is no reply to HGET): the read is then sent to the new owner
  /// again, after the copy, and its answer is the client's.
  virtual bool answer(std::string_view key, const WarmValue& value, bool with_cas, std::string& out) const = 0;
  /// The request that stores `value` at `key` only if the new owner has none; false if it must not
  /// be copied (it is about to expire).
  virtual bool copy(std::string_view key, const WarmValue& value, std::string& out) const = 0;
  virtual ReplyKind copy_kind() const noexcept = 0;
  /// The new owner stored the copy (it had no value).
  virtual bool stored(std::string_view reply) const noexcept = 0;
  /// The request that deletes `key` only if it still holds the copy of `data` that the new owner
  /// stored with `stored_reply` (a copy undone; a write made after the copy is kept), answered like
  /// a copy.
  virtual void remove(std::string_view key, std::string_view data, std::string_view stored_reply,
                      std::string& out) const = 0;
  /// A delete of one moved key is answered by whichever owner deleted it (memcached's DELETED);
  /// false: by the new owner, as if the previous one had not been asked (Redis's counts).
  virtual bool deletes_answered_by_either() const noexcept = 0;
};

namespace route {

/// `command` during a warm-up (RouteContext::warming()), its keys owned by `servers` now: each
/// moved key's write is noted (RecentWrites) and its delete goes to the previous owner too; a read
/// of moved keys asks their previous owner on a miss. True if the command was sent here (its reply
/// handed to `enqueue` first); false if it goes its usual way.
bool warm_up(RouteContext& pool, const Command& command, std::span<const std::uint32_t> servers,
             const std::function<void(std::shared_ptr<PendingReply>)>& enqueue);

}  // namespace route

/// A single-key read of a moved key during a warm-up.
class WarmUpRead final : public PendingReply, public std::enable_shared_from_this<WarmUpRead> {
 public:
  /// `request`, as the new owner `server` gets it, reads `key`; `with_cas`: the client asked for cas;
  /// `dialect`: the client's (the previous owner is asked in the protocol's usual one: its reply
  /// is never the client's).
  WarmUpRead(RouteContext& pool, const WarmUpSteps& steps, std::uint32_t server, std::shared_ptr<Connection> previous,
             std::string_view key, std::string_view request, ReplyKind kind, bool with_cas, bool sends,
             Dialect dialect = 0);

  /// Sends the request to the new owner.
  void send();

 protected:
  bool retried(std::uint32_t part, std::string_view reply, bool failed) override;
  void on_part(std::uint32_t part, std::string_view reply, bool failed) override;

 private:
  /// Copies `value` to the new owner unless the key was written since the read began; false if not sent.
  bool copy(const WarmValue& value);
  /// The previous owner's `reply`: true if the read was sent again (to the new owner).
  bool previous_answered(std::string_view reply);

  RouteContext& pool_;
  const WarmUpSteps& steps_;
  std::shared_ptr<const PoolLayout> layout_;  // server_ is an index into it
  std::uint32_t server_;
  std::shared_ptr<Connection> previous_;
  std::string key_;
  std::string request_;
  ReplyKind kind_;
  Dialect dialect_;
  bool with_cas_;
  bool asked_previous_ = false;
  bool asked_again_ = false;  // the new owner, after the copy (WarmUpSteps::answer() could not)
  std::string again_;         // the request, kept for that
  RecentWrites::Clock::time_point began_;  // the read, for RecentWrites::written_since()
};

}  // namespace ringleader::proxy
