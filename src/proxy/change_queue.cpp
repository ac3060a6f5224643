// ChangeQueue; see change_queue.hpp.
#include "proxy/change_queue.hpp"

#include <algorithm>

namespace ringleader::proxy {

ChangeQueue::ChangeQueue() : thread_([this] { loop(); }) {}

ChangeQueue::~ChangeQueue() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    for (auto& change : waiting_) change.done.set_value(false);
    waiting_.clear();
  }
  wake_.notify_all();
  thread_.join();
}

std::future<bool> ChangeQueue::push(std::string key, Prepare prepare) {
  Change change{std::move(key), std::move(prepare), {}};
  auto done = change.done.get_future();
  {
    std::lock_guard lock(mutex_);
    // Replaced, not updated in place: the newer change takes its turn after everything pushed
    // before it (a file reload pushed in between must not overwrite it).
    const auto older = std::find_if(waiting_.begin(), waiting_.end(), [&](const Change& c) { return c.key == change.key; });
    if (older != waiting_.end()) {
      older->done.set_value(false);
      waiting_.erase(older);
    }
    waiting_.push_back(std::move(change));
  }
  wake_.notify_one();
  return done;
}

void ChangeQueue::loop() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [this] { return stopping_ || !waiting_.empty(); });
    if (stopping_) return;
    Change change = std::move(waiting_.front());
    waiting_.pop_front();
    lock.unlock();  // pushes go on while this one resolves: that is when they coalesce
    change.prepare(std::move(change.done));
    lock.lock();
  }
}

}  // namespace ringleader::proxy
