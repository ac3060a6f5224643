// clear_and_trim: reused buffers keep a small capacity and give a large one back. BlockPool: the
// blocks large values are read in are reused while values come, and freed once they stop.
// LargeBuffers: buffers larger than a block are reused, and freed once they stop being.
// ReadBlocks: a client's first read buffer is reused by the next client.
#include <cstring>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "proxy/buffers.hpp"

namespace ringleader::proxy {
namespace {

TEST(ClearAndTrim, KeepsASmallCapacityForReuse) {
  std::string buffer(1000, 'x');
  const auto capacity = buffer.capacity();
  clear_and_trim(buffer, 4096);
  EXPECT_TRUE(buffer.empty());
  EXPECT_EQ(buffer.capacity(), capacity);
}

TEST(ClearAndTrim, GivesALargeCapacityBack) {
  std::string buffer(1 << 20, 'x');  // a large value went through
  clear_and_trim(buffer, 4096);
  EXPECT_TRUE(buffer.empty());
  EXPECT_LE(buffer.capacity(), 4096u);

  std::vector<int> keys(100000);  // a request with many keys
  clear_and_trim(keys, 256);
  EXPECT_TRUE(keys.empty());
  EXPECT_LE(keys.capacity(), 256u);
}

/// Empties the pool (other tests in this binary may have left blocks in it).
void empty_pool() {
  BlockPool::release_unused();
  BlockPool::release_unused();
}

TEST(BlockPool, TheNextValueTakesTheBlockTheLastOneFreed) {
  empty_pool();
  Bytes first(BlockPool::kBlockSize);
  const char* block = first.data();
  first = Bytes();  // written to its client and freed
  Bytes next(BlockPool::kBlockSize);
  EXPECT_EQ(next.data(), block);  // still mapped, likely still in the cache
  Bytes other(BlockPool::kBlockSize / 2);  // not the pool's size: malloc's
  EXPECT_NE(other.data(), block);
}

TEST(BlockPool, FreesTheBlocksNoValueTookSinceTheCallBefore) {
  empty_pool();
  std::vector<Bytes> burst;
  for (int i = 0; i < 4; ++i) burst.emplace_back(BlockPool::kBlockSize);
  burst.clear();  // four blocks back in the pool
  EXPECT_EQ(BlockPool::release_unused(), 0u);  // they were in use during this period
  Bytes again(BlockPool::kBlockSize);  // one is taken again in the next
  again = Bytes();
  EXPECT_EQ(BlockPool::release_unused(), 3u);  // the three untouched go; the one in use stays
  EXPECT_EQ(BlockPool::release_unused(), 1u);  // and goes once a period passes without values
  EXPECT_EQ(BlockPool::release_unused(), 0u);
}

void empty_large_buffers();

TEST(BlockPool, ABlockGrownPastItsSizeLeavesThePool) {
  empty_pool();
  empty_large_buffers();  // else it would grow into a kept buffer, giving the block back
  Bytes value(BlockPool::kBlockSize);
  std::memset(value.data(), 'v', BlockPool::kBlockSize);
  value.filled(BlockPool::kBlockSize);
  value.grow(2 * BlockPool::kBlockSize);  // realloc: the bytes kept, the memory now malloc's
  EXPECT_EQ(value.view(), std::string(BlockPool::kBlockSize, 'v'));
  value = Bytes();
  EXPECT_EQ(BlockPool::release_unused(), 0u);  // nothing was given back to the pool
  EXPECT_EQ(BlockPool::release_unused(), 0u);
}

/// Empties LargeBuffers' pool.
void empty_large_buffers() {
  LargeBuffers::release_unused();
  LargeBuffers::release_unused();
}

// A buffer larger than a block (a merged reply's part, read whole) is kept when freed, and the next
// large one takes it, mapped already, rather than grow into new memory: also a buffer that grows
// past a block keeps growing in it, with its bytes.
TEST(LargeBuffers, TheNextLargeBufferTakesTheLastOneFreed) {
  empty_large_buffers();
  Bytes part(8 * BlockPool::kBlockSize);
  const char* freed = part.data();
  part = Bytes();
  Bytes next(3 * BlockPool::kBlockSize);
  EXPECT_EQ(next.data(), freed);
  EXPECT_EQ(next.capacity(), 8 * BlockPool::kBlockSize);  // all of it may be read into
  next = Bytes();

  Bytes growing(ReadBlocks::kSize);
  std::memset(growing.data(), 'v', ReadBlocks::kSize);
  growing.filled(ReadBlocks::kSize);
  growing.grow(2 * BlockPool::kBlockSize);
  EXPECT_EQ(growing.data(), freed);
  EXPECT_EQ(growing.view(), std::string(ReadBlocks::kSize, 'v'));
  Bytes larger(16 * BlockPool::kBlockSize);  // larger than any kept: malloc's
  EXPECT_NE(larger.data(), freed);
}

// Kept buffers are bounded, and freed once a period passes in which no buffer was taken.
TEST(LargeBuffers, FreesTheBuffersNoReplyTookSinceTheCallBefore) {
  empty_large_buffers();
  {
    std::vector<Bytes> burst;
    for (std::size_t i = 0; i < LargeBuffers::kKeep + 2; ++i) burst.emplace_back(2 * BlockPool::kBlockSize);
  }  // kKeep kept, two freed
  Bytes again(2 * BlockPool::kBlockSize);
  EXPECT_EQ(LargeBuffers::release_unused(), 0u);  // all given back (or taken) during this period
  again = Bytes();
  EXPECT_EQ(LargeBuffers::release_unused(), LargeBuffers::kKeep - 1);  // the one given again stays
  EXPECT_EQ(LargeBuffers::release_unused(), 1u);
  EXPECT_EQ(LargeBuffers::release_unused(), 0u);
}

// A client's first read buffer is the one the last client's connection freed on this thread; one
// grown past it by realloc keeps its bytes.
TEST(ReadBlocks, TheNextClientTakesTheBufferTheLastOneFreed) {
  char* freed = nullptr;
  {
    Bytes buffer;
    buffer.grow(ReadBlocks::kSize);  // as make_room does at a client's first byte
    freed = buffer.data();
  }
  Bytes next;
  next.grow(ReadBlocks::kSize);
  EXPECT_EQ(next.data(), freed);
  std::memcpy(next.tail(), "abc", 3);
  next.filled(3);
  next.grow(4 * ReadBlocks::kSize);
  EXPECT_EQ(next.view(), "abc");
}

}  // namespace
}  // namespace ringleader::proxy
