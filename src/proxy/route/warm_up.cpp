// Warm-up reads and copies; see warm_up.hpp.
#include "proxy/route/warm_up.hpp"

#include <vector>

#include "proxy/recycled.hpp"
#include "proxy/route/replicas.hpp"

namespace ringleader::proxy {
namespace {

// The new owner's reply to a copy: counted, and the copy undone if the key was written while it
// was out (the write may have landed first, on another worker's connection: docs/warmup.md).
class CopyReply final : public PendingReply {
 public:
  CopyReply(RouteContext& pool, const WarmUpSteps& steps, std::shared_ptr<Connection> owner, std::string_view key,
            std::string_view data, RecentWrites::Clock::time_point read)
      : pool_(pool), steps_(steps), owner_(std::move(owner)), key_(key), data_(data), read_(read) {
    sends_ = false;
  }

 protected:
  void on_part(std::uint32_t, std::string_view reply, bool failed) override {
    if (failed || !steps_.stored(reply)) {
      pool_.counters().warmup_copies_skipped.add();
      return;
    }
    pool_.counters().warmup_copies.add();
    if (!pool_.recent_writes().written_since(key_, read_)) return;
    // Sent after the copy on the same connection, so the server deletes the copy, not a write.
    std::string undo;
    steps_.remove(key_, data_, reply, undo);
    owner_->send({undo}, make_recycled<PassThroughReply>(false), 0, steps_.copy_kind());
  }

 private:
  RouteContext& pool_;
  const WarmUpSteps& steps_;
  std::shared_ptr<Connection> owner_;
  std::string key_;
  std::string data_;  // the value copied, to undo only that
  RecentWrites::Clock::time_point read_;
};

}  // namespace

WarmUpRead::WarmUpRead(RouteContext& pool, const WarmUpSteps& steps, std::uint32_t server,
                       std::shared_ptr<Connection> previous, std::string_view key, std::string_view request,
                       ReplyKind kind, bool with_cas, bool sends, Dialect dialect)
    : pool_(pool),
      steps_(steps),
      layout_(pool.layout()),
      server_(server),
      previous_(std::move(previous)),
      key_(key),
      request_(request),
      kind_(kind),
      dialect_(dialect),
      with_cas_(with_cas) {
  sends_ = sends;
  passes_through_ = true;  // a large hit on the new owner goes out in pieces, as without warm-up
}

void WarmUpRead::send() {
  pool_.connection(server_, dialect_).send({request_}, shared_from_this(), 0, kind_);
}

bool WarmUpRead::retried(std::uint32_t, std::string_view reply, bool failed) {
  if (asked_again_ || failed) return false;
  if (asked_previous_) return previous_answered(reply);
  if (!pool_.protocol().is_miss(reply)) return false;
  // A reload since the request was routed renumbers the servers: the miss is the answer.
  if (!client_waits() || pool_.layout() != layout_) return false;
  asked_previous_ = true;
  passes_through_ = false;  // the previous owner's reply is rewritten for the client
  bytes_.assign(reply);     // the client's answer if the previous owner has nothing either
  began_ = RecentWrites::Clock::now();
  pool_.counters().warmup_reads.add();
  again_.swap(request_);
  steps_.read_previous(key_, with_cas_, request_);
  previous_->send({request_}, shared_from_this(), 0, steps_.previous_kind());
  return true;
}

bool WarmUpRead::previous_answered(std::string_view reply) {
  const auto value = steps_.value_of(reply);
  if (!value) return false;  // the new owner's miss stands
  pool_.counters().warmup_hits.add();
  std::string answer;
  const bool answered = steps_.answer(key_, *value, with_cas_, answer);
  const bool copied = copy(*value);
  if (answered) {
    bytes_.swap(answer);
    return false;
  }
  if (!copied) return false;  // the miss: never a value the copy would not have been allowed to bring
  // After the copy on the same connection: the new owner answers with the value copied, or a newer one.
  asked_again_ = true;
  passes_through_ = true;
  pool_.connection(server_, dialect_).send({again_}, shared_from_this(), 0, kind_);
  return true;
}

void WarmUpRead::on_part(std::uint32_t, std::string_view reply, bool) {
  // The previous owner's reply is never the client's: retried() has set bytes_ from it, or kept the miss.
  if (!asked_previous_ || asked_again_) bytes_.assign(reply);
}

bool WarmUpRead::copy(const WarmValue& value) {
  if (pool_.layout() != layout_ || pool_.recent_writes().written_since(key_, began_)) {
    pool_.counters().warmup_copies_skipped.add();
    return false;
  }
  std::string copy;
  if (!steps_.copy(key_, value, copy)) {
    pool_.counters().warmup_copies_skipped.add();
    return false;
  }
  auto owner = pool_.connection(server_, dialect_).shared();
  owner->send({copy}, std::make_shared<CopyReply>(pool_, steps_, owner, key_, value.data, began_), 0,
              steps_.copy_kind());
  return true;
}

namespace route {
namespace {

using Enqueue = std::function<void(std::shared_ptr<PendingReply>)>;

// A delete of moved keys: each also goes to its previous owner. True if it was sent here.
bool remove(RouteContext& pool, const WarmUpSteps& steps, const Command& command, std::span<const std::uint32_t> servers,
            std::span<const std::shared_ptr<Connection>> previous, const Enqueue& enqueue) {
  std::string request;
  if (command.keys.size() == 1 && steps.deletes_answered_by_either()) {
    // The first owner that deleted answers (the key was on one of them).
    auto reply = std::make_shared<ReplicatedWrite>(2, false, command.sends, pool.protocol());
    enqueue(reply);
    command.one_key(0, request);
    pool.connection(servers[0], command.dialect).send({request}, reply, 0, command.kind);
    previous[0]->send({request}, reply, 1, command.kind);
    return true;
  }
  // Sent before the command itself, their replies dropped: the client's answer is the new owners'.
  for (std::size_t k = 0; k < command.keys.size(); ++k) {
    if (previous[k] == nullptr) continue;
    request.clear();
    command.one_key(k, request);
    previous[k]->send({request}, make_recycled<PassThroughReply>(false), 0, command.kind);
  }
  return false;
}

// A read of moved keys: each asks its previous owner on a miss.
bool read(RouteContext& pool, const WarmUpSteps& steps, const Command& command, std::span<const std::uint32_t> servers,
          std::span<const std::shared_ptr<Connection>> previous, const Enqueue& enqueue) {
  const auto warm_read = [&](std::size_t k, std::string_view request) {
    return std::make_shared<WarmUpRead>(pool, steps, servers[k], previous[k], command.keys[k], request, command.kind,
                                        command.with_cas, command.sends, command.dialect);
  };
  std::string request;
  if (command.keys.size() == 1) {
    for (const std::string_view piece : command.request) request.append(piece);
    auto reply = warm_read(0, request);
    enqueue(reply);
    reply->send();
    return true;
  }
  if (command.counts) return false;  // a count of keys that exist: not warmed
  // Key by key, each moved key asking its previous owner on its own.
  auto whole = command.per_key_reply(command.keys.size());
  enqueue(whole);
  pool.counters().fragments.add(command.keys.size());
  for (std::size_t k = 0; k < command.keys.size(); ++k) {
    request.clear();
    command.one_key(k, request);
    const auto part = static_cast<std::uint32_t>(k);
    if (previous[k] != nullptr) {
      auto read = warm_read(k, request);
      read->answer_into(whole, part);
      read->send();
      continue;
    }
    auto reply = make_recycled<PassThroughReply>();
    reply->answer_into(whole, part);
    pool.connection(servers[k], command.dialect).send({request}, std::move(reply), 0, command.kind);
  }
  return true;
}

}  // namespace

bool warm_up(RouteContext& pool, const Command& command, std::span<const std::uint32_t> servers,
             const Enqueue& enqueue) {
  const WarmUpSteps& steps = *pool.protocol().warm_up_steps();  // config checks (check_protocols)
  if (command.effect == Command::Effect::read && !pool.warm_reads()) return false;
  std::vector<std::shared_ptr<Connection>> previous(command.keys.size());
  bool moved = false;
  for (std::size_t k = 0; k < command.keys.size(); ++k) {
    previous[k] = pool.previous_owner(command.keys[k], servers[k]);
    if (previous[k] == nullptr) continue;
    moved = true;
    if (command.effect != Command::Effect::read) pool.recent_writes().wrote(command.keys[k]);
  }
  if (!moved) return false;
  switch (command.effect) {
    case Command::Effect::read: return read(pool, steps, command, servers, previous, enqueue);
    case Command::Effect::remove: return remove(pool, steps, command, servers, previous, enqueue);
    case Command::Effect::write: return false;  // to the new owner only, as usual
  }
  return false;
}

}  // namespace route
}  // namespace ringleader::proxy
