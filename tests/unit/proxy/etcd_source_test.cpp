// EtcdSource against a fake etcd (EtcdClient is its one seam): what reaches the pool, the settle
// window, the min-servers guard, bad values, resuming after a failure from the last revision seen,
// reading again after a compaction, and prompt destruction. The real etcd: etcd_test.py, fleet_test.py.
#include "proxy/membership/etcd_source.hpp"

#include <gtest/gtest.h>

#include <condition_variable>
#include <deque>
#include <mutex>

#include "proxy/membership/base64.hpp"

namespace ringleader::proxy::membership {
namespace {

using namespace std::chrono_literals;

// An etcd in memory: writes become watch events; fail() makes every call throw until heal().
class FakeEtcd : public EtcdClient {
 public:
  struct Shared {
    std::mutex mutex;
    std::condition_variable changed;
    std::map<std::string, std::string> kvs;
    std::int64_t revision = 1;
    std::deque<WatchBatch> events;  // not yet delivered
    bool failing = false;
    bool compact = false;  // the next watch is told its revision was compacted
    bool cancelled = false;
    int ranges = 0;
    std::vector<std::int64_t> watch_starts;
  };
  explicit FakeEtcd(std::shared_ptr<Shared> s) : s_(std::move(s)) {}

  Range range(const std::string&) override {
    std::lock_guard lock(s_->mutex);
    throw_if_failing();
    ++s_->ranges;
    Range r{s_->revision, {}};
    for (const auto& [k, v] : s_->kvs) r.kvs.push_back({k, v});
    s_->events.clear();  // the range holds them
    return r;
  }
  void watch(const std::string&, std::int64_t start, WatchHandler& handler) override {
    std::unique_lock lock(s_->mutex);
    throw_if_failing();
    s_->watch_starts.push_back(start);
    lock.unlock();
    WatchBatch created;
    created.created = true;
    if (!handler.on_batch(created)) return;
    lock.lock();
    while (true) {
      throw_if_failing();
      if (s_->compact) {
        s_->compact = false;
        WatchBatch b;
        b.compact_revision = s_->revision;
        lock.unlock();
        if (!handler.on_batch(b)) return;
        lock.lock();
        continue;
      }
      if (!s_->events.empty()) {
        WatchBatch b = s_->events.front();
        s_->events.pop_front();
        lock.unlock();
        if (!handler.on_batch(b)) return;
        lock.lock();
        continue;
      }
      lock.unlock();
      const auto limit = handler.quiet_limit();
      lock.lock();
      if (!s_->changed.wait_for(lock, limit, [&] { return s_->cancelled || s_->failing || s_->compact || !s_->events.empty(); })) {
        lock.unlock();
        if (!handler.on_quiet()) return;
        lock.lock();
      }
    }
  }
  void check_alive() override {
    std::lock_guard lock(s_->mutex);
    throw_if_failing();
  }
  std::int64_t grant(std::chrono::seconds) override { return 0; }
  bool keep_alive(std::int64_t) override { return true; }
  void revoke(std::int64_t) override {}
  void put(const std::string&, const std::string&, std::int64_t) override {}
  bool put_if_unchanged(const std::string&, std::int64_t, const std::vector<Put>&) override { return true; }
  void cancel() noexcept override {
    std::lock_guard lock(s_->mutex);
    s_->cancelled = true;
    s_->changed.notify_all();
  }
  std::string endpoint() const override { return "fake:1"; }

 private:
  void throw_if_failing() const {
    if (s_->cancelled) throw EtcdError("cancelled");
    if (s_->failing) throw EtcdError("etcd is down (fake)");
  }
  std::shared_ptr<Shared> s_;
};

// The test's side: writes into the fake, and what the source applied.
class EtcdSourceTest : public ::testing::Test {
 protected:
  void write(const std::string& key, std::optional<std::string> value) {
    std::lock_guard lock(etcd_->mutex);
    const std::int64_t revision = ++etcd_->revision;
    WatchBatch b;
    b.revision = revision;
    b.events.push_back({!value, {key, value.value_or("")}});
    if (value)
      etcd_->kvs[key] = *value;
    else
      etcd_->kvs.erase(key);
    etcd_->events.push_back(b);
    etcd_->changed.notify_all();
  }
  void set_failing(bool failing) {
    std::lock_guard lock(etcd_->mutex);
    etcd_->failing = failing;
    etcd_->changed.notify_all();
  }
  std::unique_ptr<EtcdSource> start(config::Etcd settings, std::vector<config::Server> initial = {}) {
    EtcdSource::Timing timing{1ms, 5ms, 50ms};
    return std::make_unique<EtcdSource>(
        "cache", settings, std::move(initial), std::make_unique<FakeEtcd>(etcd_),
        [this](std::vector<config::Server> members) {
          std::lock_guard lock(mutex_);
          std::vector<std::string> texts;
          for (const auto& s : members) texts.push_back(s.text);
          applied_.push_back(texts);
          std::promise<bool> done;
          done.set_value(true);
          return done.get_future();
        },
        status_, timing);
  }
  // Waits (up to 10 s) until `predicate` holds of the applied lists.
  template <typename Predicate>
  bool eventually(Predicate predicate) {
    for (int i = 0; i < 1000; ++i) {
      {
        std::lock_guard lock(mutex_);
        if (predicate(applied_)) return true;
      }
      std::this_thread::sleep_for(10ms);
    }
    return false;
  }
  std::vector<std::string> last() {
    std::lock_guard lock(mutex_);
    return applied_.empty() ? std::vector<std::string>{} : applied_.back();
  }
  std::size_t count() {
    std::lock_guard lock(mutex_);
    return applied_.size();
  }
  static config::Etcd settings(std::uint32_t settle_ms = 10, std::uint32_t min_servers = 1) {
    return {{"fake:1"}, "/p/", "", "", settle_ms, min_servers, "", "", ""};
  }

  std::shared_ptr<FakeEtcd::Shared> etcd_ = std::make_shared<FakeEtcd::Shared>();
  stats::SourceStatus status_;
  std::mutex mutex_;
  std::vector<std::vector<std::string>> applied_;
};

using Texts = std::vector<std::string>;

// The first read is applied as it is, in key order, with its revision in the stats.
TEST_F(EtcdSourceTest, FirstReadApplied) {
  etcd_->kvs = {{"/p/b", "10.0.0.2:11211:1"}, {"/p/a", "10.0.0.1:11211:1"}};
  etcd_->revision = 7;
  auto source = start(settings());
  ASSERT_TRUE(eventually([](auto& a) { return !a.empty(); }));
  EXPECT_EQ(last(), (Texts{"10.0.0.1:11211:1", "10.0.0.2:11211:1"}));
  EXPECT_TRUE(eventually([&](auto&) { return status_.revision == 7; }));
}

// Puts and deletes reach the pool; those within the settle window are applied as one.
TEST_F(EtcdSourceTest, ChangesWithinTheSettleWindowApplyTogether) {
  etcd_->kvs = {{"/p/a", "10.0.0.1:11211:1"}};
  auto source = start(settings(300));
  ASSERT_TRUE(eventually([](auto& a) { return a.size() == 1; }));
  write("/p/b", "10.0.0.2:11211:1");
  write("/p/c", "10.0.0.3:11211:1");
  write("/p/a", std::nullopt);
  ASSERT_TRUE(eventually([](auto& a) { return a.size() >= 2; }));
  std::this_thread::sleep_for(400ms);  // a later, separate apply would show by now
  EXPECT_EQ(count(), 2u);
  EXPECT_EQ(last(), (Texts{"10.0.0.2:11211:1", "10.0.0.3:11211:1"}));
}

// A membership below etcd_min_servers is never applied; the old one is kept and the refusal counted.
TEST_F(EtcdSourceTest, MinServersGuard) {
  etcd_->kvs = {{"/p/a", "10.0.0.1:11211:1"}, {"/p/b", "10.0.0.2:11211:1"}};
  auto source = start(settings(1, 2));
  ASSERT_TRUE(eventually([](auto& a) { return a.size() == 1; }));
  write("/p/a", std::nullopt);
  ASSERT_TRUE(eventually([&](auto&) { return status_.refused == 1; }));
  EXPECT_EQ(count(), 1u);
  EXPECT_EQ(source->members().size(), 2u);
  write("/p/c", "10.0.0.3:11211:1");
  ASSERT_TRUE(eventually([](auto& a) { return a.size() == 2; }));
  EXPECT_EQ(last(), (Texts{"10.0.0.2:11211:1", "10.0.0.3:11211:1"}));
}

// A value that is no server line, or names a server already listed, is skipped; the rest applies.
TEST_F(EtcdSourceTest, BadValuesSkipped) {
  etcd_->kvs = {{"/p/a", "10.0.0.1:11211:1"}, {"/p/bad", "not a server"}, {"/p/twice", "10.0.0.1:11211:1"}};
  auto source = start(settings());
  ASSERT_TRUE(eventually([](auto& a) { return !a.empty(); }));
  EXPECT_EQ(last(), (Texts{"10.0.0.1:11211:1"}));
}

// Stable slots: K/live stands in K's place while it exists, and without it K's line marked removed
// keeps the slot, also when its server is listed again under another key.
TEST(EtcdMembers, LiveLinesStandInTheirSlots) {
  const std::map<std::string, std::string> values = {
      {"/p/00000001", "10.0.0.1:11211:1 a removed"}, {"/p/00000001/live", "10.0.0.1:11211:1 a"},
      {"/p/00000002", "10.0.0.2:11211:1 b removed"},
      {"/p/00000003", "10.0.0.3:11211:1 c removed"}, {"/p/c", "10.0.0.3:11211:1 c"}};
  const auto members = members_of("p", values);
  ASSERT_EQ(members.size(), 4u);
  EXPECT_EQ(members[0].text, "10.0.0.1:11211:1 a");
  EXPECT_FALSE(members[0].removed);
  EXPECT_TRUE(members[1].removed);
  EXPECT_EQ(members[1].name, "b");
  EXPECT_TRUE(members[2].removed);
  EXPECT_EQ(members[2].name, "c");
  EXPECT_EQ(members[3].text, "10.0.0.3:11211:1 c");
}

// etcd failing: errors counted, the pool keeps its members; back, the watch resumes right after the
// last revision seen, and what was written meanwhile is applied.
TEST_F(EtcdSourceTest, ResumesFromTheLastRevisionAfterAFailure) {
  etcd_->kvs = {{"/p/a", "10.0.0.1:11211:1"}};
  auto source = start(settings());
  ASSERT_TRUE(eventually([](auto& a) { return a.size() == 1; }));
  write("/p/b", "10.0.0.2:11211:1");
  // The stats take the revision just after the members are applied: wait for it, not for them.
  ASSERT_TRUE(eventually([&](auto&) { return status_.revision == 2; }));
  const std::int64_t seen = status_.revision;
  set_failing(true);
  ASSERT_TRUE(eventually([&](auto&) { return status_.errors >= 3 && !status_.connected; }));
  write("/p/c", "10.0.0.3:11211:1");
  set_failing(false);
  ASSERT_TRUE(eventually([](auto& a) { return a.size() == 3; }));
  EXPECT_EQ(last().size(), 3u);
  std::lock_guard lock(etcd_->mutex);
  EXPECT_EQ(etcd_->ranges, 1);  // no read again: the watch resumed
  EXPECT_EQ(etcd_->watch_starts.back(), seen + 1);
}

// A watch whose revision was compacted away: the source reads the prefix again.
TEST_F(EtcdSourceTest, ReadsAgainAfterACompaction) {
  etcd_->kvs = {{"/p/a", "10.0.0.1:11211:1"}};
  auto source = start(settings());
  ASSERT_TRUE(eventually([](auto& a) { return a.size() == 1; }));
  {
    std::lock_guard lock(etcd_->mutex);
    etcd_->kvs["/p/b"] = "10.0.0.2:11211:1";  // written and compacted: no event for it
    etcd_->revision += 5;
    etcd_->compact = true;
    etcd_->changed.notify_all();
  }
  ASSERT_TRUE(eventually([](auto& a) { return a.size() == 2; }));
  EXPECT_EQ(last(), (Texts{"10.0.0.1:11211:1", "10.0.0.2:11211:1"}));
}

// Destroying the source ends its watch at once (the test would hang otherwise).
TEST_F(EtcdSourceTest, DestroyedWhileWatching) {
  etcd_->kvs = {{"/p/a", "10.0.0.1:11211:1"}};
  auto source = start(settings());
  ASSERT_TRUE(eventually([](auto& a) { return a.size() == 1; }));
  source.reset();
  SUCCEED();
}

// Base64 as etcd's gateway writes it (RFC 4648 test vectors), and the end of a prefix's range.
TEST(EtcdGateway, Base64AndPrefixRangeEnd) {
  const std::pair<std::string, std::string> vectors[] = {
      {"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"}, {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(base64_encode(plain), encoded);
    EXPECT_EQ(base64_decode(encoded), plain);
  }
  EXPECT_EQ(base64_decode("Zm9"), std::nullopt);
  EXPECT_EQ(base64_decode("Zm=v"), std::nullopt);
  EXPECT_EQ(base64_decode("Z!9v"), std::nullopt);
  EXPECT_EQ(prefix_range_end("/p/"), "/p0");
  EXPECT_EQ(prefix_range_end(std::string("a\xff")), "b");
  EXPECT_EQ(prefix_range_end(std::string("\xff")), std::string(1, '\0'));
}

}  // namespace
}  // namespace ringleader::proxy::membership
