// What a value costs in memory work grows linearly with its size (issue 28): the bytes allocated and
// copied per value byte are the same for a 1 MB and a 16 MB value, whether it arrives in a read
// buffer or comes back from several servers as a merged reply. An implementation that grows or
// shifts a buffer by a fixed step per read, or re-copies the reply built so far for each part, does
// O(size^2) work and fails here long before it shows in a benchmark.
//
// Allocations are counted by replacing the global operator new in this test binary (which is why it
// is a binary of its own), and for a read buffer (Bytes, which comes from malloc so that it can
// grow by realloc) by watching its capacity change; copies by watching where a read buffer's bytes
// go (a realloc that moved them by mremap, without a copy, counts as one: an upper bound).
//
// The same counting shows that a small request's reply slot, and its place in the queues it passes
// through, cost no allocation (RequestCost).
#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "proxy/buffers.hpp"
#include "proxy/memcache/values_reply.hpp"
#include "proxy/pending_reply.hpp"
#include "proxy/recycled.hpp"
#include "proxy/redis/merged_replies.hpp"
#include "proxy/ring_queue.hpp"

namespace {
bool counting = false;
std::size_t allocations = 0;
std::size_t allocated_bytes = 0;
}  // namespace

void* operator new(std::size_t size) {
  if (counting) {
    ++allocations;
    allocated_bytes += size;
  }
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t size) { return ::operator new(size); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace ringleader::proxy {
namespace {

constexpr std::size_t kMB = 1'000'000;

struct Cost {
  std::size_t allocations = 0;
  std::size_t allocated = 0;  // bytes
  std::size_t copied = 0;     // bytes moved inside the process (where it can be seen)
};

/// Counts the allocations `work` makes.
template <class Work>
Cost allocations_of(Work&& work) {
  allocations = allocated_bytes = 0;
  counting = true;
  work();
  counting = false;
  return {allocations, allocated_bytes, 0};
}

/// A reply of `size` bytes read as a backend reads one into its buffer (backend.cpp read_some):
/// reads of at most 64 KiB (what a socket gives at a time), each after make_room() for the rest of
/// the reply (`known`: the framing said how long it is) or for 16 KiB more. Copies are seen as the
/// bytes not yet taken changing place.
Cost read_reply(std::size_t size, bool known) {
  constexpr std::size_t kRead = 64 * 1024, kMinRead = 16 * 1024;
  Cost cost;
  const Cost allocated = allocations_of([&] {
    Bytes buffer;
    std::size_t taken = 0;
    while (buffer.size() - taken < size) {
      const std::size_t have = buffer.size() - taken;
      const char* before = buffer.data() + taken;
      const std::size_t capacity = buffer.capacity();
      make_room(buffer, taken, std::max(have, known ? size : 0) + kMinRead);
      if (buffer.capacity() != capacity) {
        ++cost.allocations;
        cost.allocated += buffer.capacity();
      }
      if (have > 0 && buffer.data() + taken != before) cost.copied += have;
      const std::size_t n = std::min({kRead, buffer.room(), size - have});
      std::memset(buffer.tail(), 'v', n);
      buffer.filled(n);
    }
    taken = buffer.size();  // the reply is whole: it is taken
  });
  cost.allocations += allocated.allocations;
  cost.allocated += allocated.allocated;
  return cost;
}

/// Per byte of a value of 1 MB and of 16 MB: the second may cost no more than the first, give or
/// take 25% (geometric growth lands at different points of its last doubling).
void expect_linear(const Cost& small, std::size_t small_size, const Cost& large, std::size_t large_size) {
  const auto per_byte = [](std::size_t bytes, std::size_t size) { return double(bytes) / double(size); };
  EXPECT_LE(per_byte(large.allocated, large_size), 1.25 * per_byte(small.allocated, small_size) + 0.01)
      << "allocated " << small.allocated << " bytes for " << small_size << ", " << large.allocated << " for "
      << large_size;
  // Copies: no more per byte than the small value's, or than once per byte, which a doubling buffer
  // may need (a realloc extends a heap block in place, copying nothing, at one size and not another).
  EXPECT_LE(per_byte(large.copied, large_size), std::max(1.25 * per_byte(small.copied, small_size), 1.1))
      << "copied " << small.copied << " bytes for " << small_size << ", " << large.copied << " for " << large_size;
  // Blocks of 128 KiB or more (a doubling buffer: O(log size) of them), not one per small read.
  EXPECT_LE(large.allocations, large_size / (128 * 1024) + 16);
  // And in absolute terms: a few times the value, not tens of times.
  EXPECT_LE(large.allocated, 5 * large_size);
  EXPECT_LE(large.copied, 3 * large_size);
}

// A reply of known length: room for all of it at once, nothing copied.
TEST(ValueCopies, ReadBufferOfAKnownLength) {
  const Cost small = read_reply(kMB, true), large = read_reply(16 * kMB, true);
  expect_linear(small, kMB, large, 16 * kMB);
  EXPECT_EQ(large.copied, 0u);
  EXPECT_LE(large.allocations, 2u);
}

// A reply whose end is not known ahead (a multi-get's part: one value after another): the buffer
// doubles, each byte is copied O(1) times.
TEST(ValueCopies, ReadBufferOfAnUnknownLength) {
  expect_linear(read_reply(kMB, false), kMB, read_reply(16 * kMB, false), 16 * kMB);
}

/// One server's part of a multi-get: `values` VALUE blocks of `size` bytes, then END.
std::string memcache_part(char server, std::size_t values, std::size_t size) {
  std::string part;
  const std::string value(size, 'v');
  for (std::size_t i = 0; i < values; ++i) {
    part += "VALUE " + std::string(1, server) + std::to_string(i) + " 0 " + std::to_string(size) + "\r\n";
    part += value + "\r\n";
  }
  return part + "END\r\n";
}

/// A memcached get of 100 keys over 2 servers, values of `size` bytes, merged. (The reply's blocks
/// past its first 256 KiB are Bytes, from malloc, so not counted: one per 256 KiB, by construction.)
Cost merge_memcache(std::size_t size) {
  const std::string a = memcache_part('a', 50, size), b = memcache_part('b', 50, size);
  std::size_t merged = 0;
  const Cost cost = allocations_of([&] {
    memcache::ValuesReply reply(2);
    reply.complete(1, b, false);
    reply.complete(0, a, false);
    merged = reply.size();
  });
  EXPECT_EQ(merged, a.size() + b.size() - 5);  // one END
  return cost;
}

TEST(ValueCopies, MergedMemcacheReply) {
  // 100 values of 10 KB and of 160 KB: merged replies of ~1 MB and ~16 MB.
  expect_linear(merge_memcache(10'000), kMB, merge_memcache(160'000), 16 * kMB);
}

/// One Redis server's MGET answer: `values` bulk strings of `size` bytes.
std::string redis_part(std::size_t values, std::size_t size) {
  std::string part = "*" + std::to_string(values) + "\r\n";
  const std::string value(size, 'v');
  for (std::size_t i = 0; i < values; ++i) part += "$" + std::to_string(size) + "\r\n" + value + "\r\n";
  return part;
}

/// A Redis MGET of 100 keys over 2 servers (alternate keys on each), values of `size` bytes, merged.
Cost merge_redis(std::size_t size) {
  std::vector<std::vector<std::uint32_t>> positions(2);
  for (std::uint32_t key = 0; key < 100; ++key) positions[key % 2].push_back(key);
  const std::string part = redis_part(50, size);
  std::size_t merged = 0;
  Cost cost;
  {
    redis::ValuesInOrderReply reply(100, std::move(positions));
    cost = allocations_of([&] {
      reply.complete(1, part, false);
      reply.complete(0, part, false);
      merged = reply.size();
    });
  }
  EXPECT_EQ(merged, 2 * part.size() - 4);  // "*50\r\n" twice, "*100\r\n" once
  return cost;
}

TEST(ValueCopies, MergedRedisReply) {
  expect_linear(merge_redis(10'000), kMB, merge_redis(160'000), 16 * kMB);
}

struct LentMerge {
  Cost cost;              // of completing the reply
  std::string bytes;      // what its client is sent
  std::size_t from_lent;  // of those, the bytes sent from inside the lent buffers (not copied)
};

/// Completes `reply` with two parts, each in a read buffer of its own and lent with it (part 1
/// first), as a backend lends a large reply (Backend::answered_in_input), and gathers what its
/// client is sent.
LentMerge merge_lent(PendingReply& reply, const std::string& part0, const std::string& part1) {
  Bytes lent[2] = {Bytes::copy_of(part0), Bytes::copy_of(part1)};
  const std::string_view views[2] = {lent[0].view(), lent[1].view()};
  LentMerge merged{allocations_of([&] {
                     reply.complete(1, views[1], false, &lent[1]);
                     reply.complete(0, views[0], false, &lent[0]);
                   }),
                   {}, 0};
  EXPECT_TRUE(reply.ready());
  std::vector<asio::const_buffer> out;
  reply.gather(out);
  for (const auto& buffer : out) {
    const char* data = static_cast<const char*>(buffer.data());
    merged.bytes.append(data, buffer.size());
    for (const std::string_view part : views) {
      if (data >= part.data() && data + buffer.size() <= part.data() + part.size()) merged.from_lent += buffer.size();
    }
  }
  return merged;
}

// A merged reply keeps the buffers its large parts were read into and sends their values from
// there: none of a ~16 MB memcached get is copied, and merging allocates only its bookkeeping.
TEST(ValueCopies, MergedMemcachePartsLentAreNotCopied) {
  const std::string a = memcache_part('a', 50, 160'000), b = memcache_part('b', 50, 160'000);
  memcache::ValuesReply reply(2);
  const LentMerge merged = merge_lent(reply, a, b);
  EXPECT_LE(merged.cost.allocated, 4096u);
  EXPECT_EQ(merged.bytes, b.substr(0, b.size() - 5) + a.substr(0, a.size() - 5) + "END\r\n");
  EXPECT_EQ(merged.from_lent, merged.bytes.size() - 5);  // all but the one END
}

// The same for a Redis MGET whose values come back in the client's order, alternately from each
// server's part: each value is sent from where its server's reply was read.
TEST(ValueCopies, MergedRedisPartsLentAreNotCopied) {
  std::vector<std::vector<std::uint32_t>> positions(2);
  for (std::uint32_t key = 0; key < 100; ++key) positions[key % 2].push_back(key);
  std::string part = "*50\r\n", expected = "*100\r\n";
  for (int i = 0; i < 50; ++i) part += "$160000\r\n" + std::string(160'000, char('a' + i % 26)) + "\r\n";
  for (int i = 0; i < 100; ++i) expected += "$160000\r\n" + std::string(160'000, char('a' + i / 2 % 26)) + "\r\n";
  redis::ValuesInOrderReply reply(100, std::move(positions));
  const LentMerge merged = merge_lent(reply, part, part);
  EXPECT_LE(merged.cost.allocated, 16384u);
  EXPECT_EQ(merged.bytes, expected);
  EXPECT_EQ(merged.from_lent, merged.bytes.size() - 6);  // all but "*100\r\n"
}

// A small request's reply slot (one per request, made by the router) takes the memory the last one
// freed (recycled.hpp), and making and answering it allocates nothing. With std::make_shared, each
// one is a new allocation.
TEST(RequestCost, AReplySlotReusesTheMemoryOfTheLastOne) {
  const void* last = make_recycled<PassThroughReply>(true).get();  // freed at once, and kept
  const Cost cost = allocations_of([&] {
    for (int i = 0; i < 100; ++i) {
      const auto reply = make_recycled<PassThroughReply>(true);
      EXPECT_EQ(static_cast<const void*>(reply.get()), last);
      reply->complete(0, "$3\r\nabc\r\n", false);
      EXPECT_EQ(reply->bytes(), "$3\r\nabc\r\n");
    }
  });
  EXPECT_EQ(cost.allocations, 0u);

  // A reply longer than a std::string holds in itself (a value of 100 bytes) takes the memory of
  // the last one's bytes (SpareStrings): no allocation either, once the first has been freed.
  const std::string value = "$100\r\n" + std::string(100, 'v') + "\r\n";
  make_recycled<PassThroughReply>(true)->complete(0, value, false);
  const Cost longer = allocations_of([&] {
    for (int i = 0; i < 100; ++i) {
      const auto reply = make_recycled<PassThroughReply>(true);
      reply->complete(0, value, false);
      EXPECT_EQ(reply->bytes(), value);
    }
  });
  EXPECT_EQ(longer.allocations, 0u);
}

// A client's replies and a backend's requests wait in RingQueues (ring_queue.hpp). A queue
// allocates when it first holds something and when it outgrows its array, never per request: with
// std::deque, constructing one allocated twice and a steady stream of requests once per 512-byte
// block. The order is first in, first out across the array's end and across a growth, and a
// request put back at the front comes out first.
TEST(RequestCost, AQueueAllocatesOnlyWhenItOutgrowsItsArray) {
  RingQueue<std::shared_ptr<int>> queue;
  int next_in = 0;
  int next_out = 0;
  const Cost steady = allocations_of([&] {
    for (int i = 0; i < 1000; ++i) {  // up to 3 waiting, as with a client that pipelines 3 deep
      queue.push_back(nullptr);
      ++next_in;
      if (queue.size() == 3) {
        queue.pop_front();
        ++next_out;
      }
    }
  });
  EXPECT_EQ(steady.allocations, 1u);  // the first push
  EXPECT_EQ(queue.size(), static_cast<std::size_t>(next_in - next_out));

  RingQueue<int> numbers;
  for (int i = 0; i < 3; ++i) numbers.push_back(i);
  numbers.pop_front();
  numbers.pop_front();
  for (int i = 3; i < 20; ++i) numbers.push_back(i);  // wraps past the array's end, then grows twice
  numbers.push_front(1);
  ASSERT_EQ(numbers.size(), 19u);
  for (int i = 1; i < 20; ++i) {
    EXPECT_EQ(numbers.front(), i);
    numbers.pop_front();
  }
  EXPECT_TRUE(numbers.empty());

  // A popped element lets go of what it holds at once, not when its slot is reused.
  const auto held = std::make_shared<int>(7);
  queue.clear();
  queue.push_back(held);
  EXPECT_EQ(held.use_count(), 2);
  queue.pop_front();
  EXPECT_EQ(held.use_count(), 1);

  RingQueue<int> moved = std::move(numbers);
  moved.push_back(5);
  EXPECT_EQ(moved.front(), 5);
}

}  // namespace
}  // namespace ringleader::proxy
