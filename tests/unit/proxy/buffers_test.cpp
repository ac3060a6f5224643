// clear_and_trim: reused buffers keep a small capacity and give a large one back. BlockCache: the
// blocks large values are read into are reused on their thread, at most kMaxBlocks of them, and an
// idle thread lets them go.
#include <string>
#include <thread>
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

TEST(BlockCache, ABlockFreedIsTheNextOneTaken) {
  BlockCache::age();
  BlockCache::age();  // nothing taken since the first: empty
  ASSERT_EQ(BlockCache::cached(), 0u);
  const char* first = nullptr;
  {
    Bytes block(Bytes::kBlock);
    first = block.data();
  }
  EXPECT_EQ(BlockCache::cached(), 1u);
  Bytes again(Bytes::kBlock);
  EXPECT_EQ(again.data(), first);
  EXPECT_EQ(BlockCache::cached(), 0u);
  Bytes other(Bytes::kBlock - 1);  // not a block's size: not from the cache, nor kept
  other = Bytes();
  EXPECT_EQ(BlockCache::cached(), 0u);
  again = Bytes();  // a move-assignment lets go of the block too
  EXPECT_EQ(BlockCache::cached(), 1u);
  BlockCache::age();
  BlockCache::age();
  EXPECT_EQ(BlockCache::cached(), 0u);
}

TEST(BlockCache, KeepsAtMostABoundUntilAPeriodWithoutUse) {
  BlockCache::age();
  BlockCache::age();
  {
    std::vector<Bytes> value;  // values larger than the bound, in flight at once
    for (std::size_t i = 0; i < BlockCache::kMaxBlocks + 8; ++i) value.emplace_back(Bytes::kBlock);
  }
  EXPECT_EQ(BlockCache::cached(), BlockCache::kMaxBlocks);
  BlockCache::age();  // all of them were taken since the last call: kept
  EXPECT_EQ(BlockCache::cached(), BlockCache::kMaxBlocks);
  std::thread([] { EXPECT_EQ(BlockCache::cached(), 0u); }).join();  // each thread has its own
  {
    Bytes in_use(Bytes::kBlock);  // taken in one period, given back in the next
    BlockCache::age();
    EXPECT_EQ(BlockCache::cached(), BlockCache::kMaxBlocks - 1);
  }
  BlockCache::age();  // one given back since: all kept
  EXPECT_EQ(BlockCache::cached(), BlockCache::kMaxBlocks);
  BlockCache::age();  // none taken or given since: none kept
  EXPECT_EQ(BlockCache::cached(), 0u);
}

}  // namespace
}  // namespace ringleader::proxy
