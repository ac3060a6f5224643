// Replicas: a pool with `replicas: R` keeps each key on the first R live servers of its probe order
// (Placement::servers_for). This is the protocol-neutral half: sending a write to every copy and
// merging the copies' replies, and sending a read to one copy after another until one answers.
// A protocol's route::Command says which requests are reads; its Protocol says how good a reply to a
// write is (judge_write) and what a miss looks like (is_miss).
//
// Writes (ReplicatedWrite): the same request goes to every copy; copy c answers part c. With
// replica_writes: all the client gets the worst reply (an error before a refusal before a success;
// among equals, the earliest copy's), as mcrouter's AllSync route does; with one, the first success
// answers at once and the other copies finish in the background (their replies are dropped), and
// only if no copy succeeds does the client get the worst.
//
// Reads (FailoverRead): the request goes to the first live copy; when that server fails (it cannot
// be reached, times out, or breaks the stream: Backend fails the request), or, with
// replica_reads: miss_failover, answers with a miss, the same request goes to the next copy, and
// the client sees only the last answer. A reply already passed on in pieces is not retried (the
// client has part of it). A multi-key read split over several servers by each key's first live
// copy would not fail over part by part (a part's keys have different next copies), so such a read is
// sent as one read per key instead (send_each), each failing over on its own.
//
// Guarantees: with replicas: 1 the Router (router.hpp) uses none of this, except HTTP's retries.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/pending_reply.hpp"
#include "proxy/protocol.hpp"
#include "proxy/route/context.hpp"

namespace ringleader::proxy {

/// A write's reply merged from its copies' replies (part c: copy c's).
class ReplicatedWrite final : public PendingReply {
 public:
  ReplicatedWrite(std::uint32_t copies, bool wait_for_all, bool sends, const Protocol& protocol);
  /// One for a write to `copies` copies in `pool`: its replica_writes mode and its protocol.
  static std::shared_ptr<ReplicatedWrite> make(RouteContext& pool, std::uint32_t copies, bool sends);

  /// Sends `request` to each copy, copy c answering part c of `reply`; `dialect`: the client's.
  static void send(const std::shared_ptr<ReplicatedWrite>& reply, RouteContext& pool, std::span<const std::uint32_t> copies,
                   std::string_view request, ReplyKind kind, Dialect dialect = 0);

 protected:
  void on_part(std::uint32_t part, std::string_view reply, bool failed) override;

 private:
  const Protocol& protocol_;
  bool wait_for_all_;
  WriteOutcome worst_ = WriteOutcome::success;
  std::uint32_t worst_part_ = 0;
  bool any_ = false;  // a part is in
};

/// A single-key read that fails over to the key's next copy.
class FailoverRead final : public PendingReply, public std::enable_shared_from_this<FailoverRead> {
 public:
  /// `copies` of the key, first live copy first; `request` as the servers get it; `dialect`: the client's.
  FailoverRead(RouteContext& pool, std::span<const std::uint32_t> copies, std::string_view request, ReplyKind kind,
               bool sends, Dialect dialect = 0);
  ~FailoverRead() override { SpareStrings::give(request_); }

  /// Sends the request to the first copy.
  void send();

  /// A read of many keys: one FailoverRead per key, key k's answering part k of `whole` (the
  /// protocol's merging reply, made with one part per key). `request_for(k, out)` writes key k's
  /// request as the servers get it into `out`. Each key fails over on its own; a key with no live
  /// server gets the protocol's error.
  static void send_each(RouteContext& pool, const std::shared_ptr<PendingReply>& whole,
                        std::span<const std::string_view> keys,
                        const std::function<void(std::size_t, std::string&)>& request_for, ReplyKind kind,
                        Dialect dialect = 0);

 protected:
  bool retried(std::uint32_t part, std::string_view reply, bool failed) override;
  void on_part(std::uint32_t, std::string_view reply, bool) override { SpareStrings::assign(bytes_, reply); }

 private:
  RouteContext& pool_;
  std::shared_ptr<const PoolLayout> layout_;  // the copies are indices into its servers
  Copies copies_;
  std::uint32_t next_ = 0;  // the copy the request goes to next
  std::string request_;     // kept for the next copy
  ReplyKind kind_;
  Dialect dialect_;
  bool miss_failover_;
};

}  // namespace ringleader::proxy
