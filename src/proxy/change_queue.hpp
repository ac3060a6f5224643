// ChangeQueue: the thread on which membership changes are prepared (a config file read, server names
// resolved), one at a time and in the order asked, so that a slow or failing DNS lookup never blocks
// a worker's io_context nor the handling of signals.
//
// Changes are keyed (one pool's members, one config file). A change pushed while an older one of the
// same key still waits replaces it: a source that sends updates faster than they resolve gets only its
// last one applied (the last one wins), and the older one reports false at once. A change being
// prepared is not replaced; the newer one waits for its turn.
//
//   ChangeQueue changes;
//   std::future<bool> applied = changes.push("members of cache", [](std::promise<bool> done) {
//     ... resolve, then hand `done` to whoever applies the change ...
//   });
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <string>
#include <thread>

namespace ringleader::proxy {

class ChangeQueue {
 public:
  /// Prepares a change on the queue's thread; keeps `done` (true: applied, false: failed), or hands
  /// it on to the thread that applies the change. It reports its failures there: it must not throw.
  using Prepare = std::function<void(std::promise<bool> done)>;

  ChangeQueue();
  /// Changes still waiting report false; the one being prepared finishes first.
  ~ChangeQueue();
  ChangeQueue(const ChangeQueue&) = delete;
  ChangeQueue& operator=(const ChangeQueue&) = delete;

  /// Queues `prepare` under `key`, replacing a waiting change of the same key. Safe from any thread;
  /// returns at once.
  std::future<bool> push(std::string key, Prepare prepare);

 private:
  struct Change {
    std::string key;
    Prepare prepare;
    std::promise<bool> done;
  };
  void loop();

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Change> waiting_;
  bool stopping_ = false;
  std::thread thread_;  // last: it starts once the rest exists
};

}  // namespace ringleader::proxy
