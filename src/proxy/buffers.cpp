// BlockCache; see buffers.hpp.
#include "proxy/buffers.hpp"

#include <vector>

namespace ringleader::proxy {
namespace {

// Set once the thread's cache is destroyed (at the thread's exit): a block freed later, by another
// thread-local object going away, is simply freed. A bool needs no destructor, so it outlives the cache.
thread_local bool cache_gone = false;

struct ThreadBlocks {
  std::vector<std::unique_ptr<char[]>> free;
  bool used = false;  // a block taken or given since the last age()

  ~ThreadBlocks() { cache_gone = true; }
};

ThreadBlocks& blocks() noexcept {
  thread_local ThreadBlocks mine;
  return mine;
}

}  // namespace

std::unique_ptr<char[]> BlockCache::take() {
  if (cache_gone) return std::make_unique_for_overwrite<char[]>(Bytes::kBlock);
  ThreadBlocks& mine = blocks();
  mine.used = true;
  if (mine.free.empty()) return std::make_unique_for_overwrite<char[]>(Bytes::kBlock);
  std::unique_ptr<char[]> block = std::move(mine.free.back());
  mine.free.pop_back();
  return block;
}

void BlockCache::give(std::unique_ptr<char[]> block) noexcept {
  if (cache_gone) return;
  ThreadBlocks& mine = blocks();
  mine.used = true;
  if (mine.free.size() >= kMaxBlocks) return;  // freed with `block`
  if (mine.free.capacity() == 0) {
    try {
      mine.free.reserve(kMaxBlocks);  // once per thread, so giving back allocates nothing after
    } catch (...) {
      return;
    }
  }
  mine.free.push_back(std::move(block));
}

void BlockCache::age() noexcept {
  if (cache_gone) return;
  ThreadBlocks& mine = blocks();
  if (!mine.used) mine.free.clear();
  mine.used = false;
}

std::size_t BlockCache::cached() noexcept { return cache_gone ? 0 : blocks().free.size(); }

}  // namespace ringleader::proxy
