// Replicated writes and failover reads; see replicas.hpp.
#include "proxy/route/replicas.hpp"

#include <algorithm>

#include "proxy/recycled.hpp"

namespace ringleader::proxy {

ReplicatedWrite::ReplicatedWrite(std::uint32_t copies, bool wait_for_all, bool sends, const Protocol& protocol)
    : PendingReply(copies), protocol_(protocol), wait_for_all_(wait_for_all) {
  sends_ = sends;
}

std::shared_ptr<ReplicatedWrite> ReplicatedWrite::make(RouteContext& pool, std::uint32_t copies, bool sends) {
  return make_recycled<ReplicatedWrite>(copies, pool.pool().replica_writes == config::Pool::ReplicaWrites::all,
                                           sends, pool.protocol());
}

void ReplicatedWrite::send(const std::shared_ptr<ReplicatedWrite>& reply, RouteContext& pool,
                           std::span<const std::uint32_t> copies, std::string_view request, ReplyKind kind,
                           Dialect dialect) {
  for (std::uint32_t c = 0; c < copies.size(); ++c) {
    pool.connection(copies[c], dialect).send({request}, reply, c, kind);
  }
}

void ReplicatedWrite::on_part(std::uint32_t part, std::string_view reply, bool failed) {
  const WriteOutcome outcome = failed ? WriteOutcome::error : protocol_.judge_write(reply);
  if (!any_ || outcome > worst_ || (outcome == worst_ && part < worst_part_)) {
    worst_ = outcome;
    worst_part_ = part;
    bytes_.assign(reply);
  }
  any_ = true;
  if (!wait_for_all_ && outcome == WriteOutcome::success) {
    bytes_.assign(reply);
    answer_early();
  }
}

FailoverRead::FailoverRead(RouteContext& pool, std::span<const std::uint32_t> copies, std::string_view request,
                           ReplyKind kind, bool sends, Dialect dialect)
    : pool_(pool),
      layout_(pool.layout()),
      kind_(kind),
      dialect_(dialect),
      miss_failover_(pool.pool().replica_reads == config::Pool::ReplicaReads::miss_failover) {
  SpareStrings::assign(request_, request);
  sends_ = sends;
  passes_through_ = true;
  copies_.count = std::min(copies.size(), kMaxReplicas);
  std::copy_n(copies.begin(), copies_.count, copies_.server);
}

void FailoverRead::send() {
  pool_.connection(copies_.server[next_++], dialect_).send({request_}, shared_from_this(), 0, kind_);
}

void FailoverRead::send_each(RouteContext& pool, const std::shared_ptr<PendingReply>& whole,
                             std::span<const std::string_view> keys,
                             const std::function<void(std::size_t, std::string&)>& request_for, ReplyKind kind,
                             Dialect dialect) {
  Copies copies;
  std::string request;
  pool.counters().fragments.add(keys.size());
  for (std::size_t k = 0; k < keys.size(); ++k) {
    pool.copies(keys[k], copies);
    if (copies.count == 0) {
      whole->complete(static_cast<std::uint32_t>(k), pool.protocol().error_reply("no server available"), true);
      continue;
    }
    request.clear();
    request_for(k, request);
    auto read = make_recycled<FailoverRead>(pool, copies.servers(), request, kind, true, dialect);
    read->answer_into(whole, static_cast<std::uint32_t>(k));
    read->send();
  }
}

bool FailoverRead::retried(std::uint32_t, std::string_view reply, bool failed) {
  if (next_ >= copies_.count) return false;  // the last copy's answer is the client's
  // The pool worker outlives its clients; a reload since the request was routed renumbers servers.
  if (!client_waits() || pool_.layout() != layout_) return false;
  if (!failed && !(miss_failover_ && pool_.protocol().is_miss(reply))) return false;
  pool_.counters().replica_failovers.add();
  send();
  return true;
}

}  // namespace ringleader::proxy
