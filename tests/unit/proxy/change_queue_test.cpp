// ChangeQueue (src/proxy/change_queue.hpp): membership changes prepared one at a time, in order, and
// a waiting change replaced by a newer one of the same key.
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "proxy/change_queue.hpp"

namespace ringleader::proxy {
namespace {

using namespace std::chrono_literals;

// Records the order in which changes are prepared; each one reports `applied`.
struct Recorder {
  std::mutex mutex;
  std::vector<std::string> prepared;

  ChangeQueue::Prepare change(std::string name, bool applied = true) {
    return [this, name, applied](std::promise<bool> done) {
      {
        std::lock_guard lock(mutex);
        prepared.push_back(name);
      }
      done.set_value(applied);
    };
  }
};

// A change whose preparation waits until `release` is set: the changes pushed meanwhile queue up.
ChangeQueue::Prepare blocked_until(std::shared_future<void> release) {
  return [release](std::promise<bool> done) {
    release.wait();
    done.set_value(true);
  };
}

// Changes of different keys are all prepared, in the order pushed; each future says how it ended.
TEST(ChangeQueue, PreparesEveryChangeInOrder) {
  Recorder recorder;
  std::vector<std::future<bool>> results;
  {
    ChangeQueue changes;
    results.push_back(changes.push("a", recorder.change("a")));
    results.push_back(changes.push("b", recorder.change("b", false)));
    results.push_back(changes.push("c", recorder.change("c")));
    for (auto& result : results) ASSERT_EQ(result.wait_for(10s), std::future_status::ready);
  }
  EXPECT_EQ(recorder.prepared, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_TRUE(results[0].get());
  EXPECT_FALSE(results[1].get());
  EXPECT_TRUE(results[2].get());
}

// Two updates of one key queued while another change resolves coalesce: only the last is prepared,
// the first reports false at once. It goes after what was pushed between them.
TEST(ChangeQueue, LastUpdateOfAKeyWins) {
  Recorder recorder;
  std::promise<void> release;
  ChangeQueue changes;
  auto busy = changes.push("busy", blocked_until(release.get_future().share()));
  auto first = changes.push("pool", recorder.change("pool: first"));
  auto between = changes.push("other", recorder.change("other"));
  auto last = changes.push("pool", recorder.change("pool: last"));
  ASSERT_EQ(first.wait_for(0s), std::future_status::ready) << "the replaced update must report at once";
  EXPECT_FALSE(first.get());
  release.set_value();
  EXPECT_TRUE(busy.get());
  EXPECT_TRUE(between.get());
  EXPECT_TRUE(last.get());
  EXPECT_EQ(recorder.prepared, (std::vector<std::string>{"other", "pool: last"}));
}

// A change being prepared is not replaced: the newer one of its key runs after it.
TEST(ChangeQueue, RunningChangeIsNotReplaced) {
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  ChangeQueue changes;
  auto running = changes.push("pool", blocked_until(released));
  std::this_thread::sleep_for(50ms);  // let the queue's thread take it
  Recorder recorder;
  auto next = changes.push("pool", recorder.change("next"));
  release.set_value();
  EXPECT_TRUE(running.get());
  EXPECT_TRUE(next.get());
}

// Changes still waiting when the queue is destroyed report false; the running one finishes.
TEST(ChangeQueue, DestroyedQueueReportsWaitingChanges) {
  std::promise<void> release;
  std::future<bool> running;
  std::future<bool> waiting;
  Recorder recorder;
  std::thread releaser;
  {
    ChangeQueue changes;
    running = changes.push("busy", blocked_until(release.get_future().share()));
    std::this_thread::sleep_for(50ms);
    waiting = changes.push("later", recorder.change("later"));
    releaser = std::thread([&release] {  // while the destructor waits for the running change
      std::this_thread::sleep_for(50ms);
      release.set_value();
    });
  }
  releaser.join();
  EXPECT_TRUE(recorder.prepared.empty());
  EXPECT_TRUE(running.get());
  EXPECT_FALSE(waiting.get());
}

}  // namespace
}  // namespace ringleader::proxy
