// Warm-up reads and copies; see warmup.hpp.
#include "proxy/warmup.hpp"

#include "proxy/pool_worker.hpp"

namespace ringleader::proxy {
namespace {

// The new owner's reply to a copy: counted, and the copy undone if the key was written while it
// was out (the write may have landed first, on another worker's connection: docs/warmup.md).
class CopyReply final : public PendingReply {
 public:
  CopyReply(PoolWorker& pool, const WarmUpSteps& steps, std::shared_ptr<Backend> owner, std::string_view key,
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
    steps_.remove(key_, data_, reply, owner_->output());
    owner_->send(std::make_shared<PassThroughReply>(false), 0, steps_.copy_kind());
  }

 private:
  PoolWorker& pool_;
  const WarmUpSteps& steps_;
  std::shared_ptr<Backend> owner_;
  std::string key_;
  std::string data_;  // the value copied, to undo only that
  RecentWrites::Clock::time_point read_;
};

}  // namespace

WarmUpRead::WarmUpRead(PoolWorker& pool, const WarmUpSteps& steps, std::uint32_t server,
                       std::shared_ptr<Backend> previous, std::string_view key, std::string_view request,
                       ReplyKind kind, bool with_cas, bool sends)
    : pool_(pool),
      steps_(steps),
      layout_(pool.layout()),
      server_(server),
      previous_(std::move(previous)),
      key_(key),
      request_(request),
      kind_(kind),
      with_cas_(with_cas) {
  sends_ = sends;
  passes_through_ = true;  // a large hit on the new owner goes out in pieces, as without warm-up
}

void WarmUpRead::send() {
  Backend& owner = pool_.backend(server_);
  owner.output().append(request_);
  owner.send(shared_from_this(), 0, kind_);
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
  previous_->output().append(request_);
  previous_->send(shared_from_this(), 0, steps_.previous_kind());
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
  Backend& owner = pool_.backend(server_);
  owner.output().append(again_);
  owner.send(shared_from_this(), 0, kind_);
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
  Backend& owner = pool_.backend(server_);
  if (!steps_.copy(key_, value, owner.output())) {
    pool_.counters().warmup_copies_skipped.add();
    return false;
  }
  owner.send(std::make_shared<CopyReply>(pool_, steps_, owner.shared_from_this(), key_, value.data, began_), 0,
             steps_.copy_kind());
  return true;
}

}  // namespace ringleader::proxy
