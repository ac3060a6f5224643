// BlockPool, LargeBuffers and ReadBlocks; see buffers.hpp.
#include "proxy/buffers.hpp"

#include <sanitizer/asan_interface.h>  // no-ops unless built with AddressSanitizer

#include <algorithm>
#include <cstdlib>
#include <mutex>
#include <new>
#include <utility>
#include <vector>

#include "proxy/recycled.hpp"

namespace ringleader::proxy {
namespace {

// One pool for all workers: a block read by one worker's backend may be freed by the same worker's
// client, but the release runs on the control thread, and a lock per 256 KiB costs nothing.
struct Pool {
  std::mutex mutex;
  std::vector<char*> free;  // taken from the back
  std::size_t untouched = 0;  // free[0, untouched) were not taken since the last release_unused()
};

// Never destroyed: a Bytes freed during static destruction may still give its block back.
Pool& pool() {
  static Pool* const instance = new Pool;
  return *instance;
}

}  // namespace

char* BlockPool::take() {
  {
    Pool& p = pool();
    std::lock_guard lock(p.mutex);
    if (!p.free.empty()) {
      char* block = p.free.back();
      p.free.pop_back();
      p.untouched = std::min(p.untouched, p.free.size());
      ASAN_UNPOISON_MEMORY_REGION(block, kBlockSize);
      return block;
    }
  }
  char* block = static_cast<char*>(std::malloc(kBlockSize));
  if (block == nullptr) throw std::bad_alloc();
  return block;
}

void BlockPool::give(char* block) noexcept {
  Pool& p = pool();
  std::lock_guard lock(p.mutex);
  try {
    p.free.push_back(block);
  } catch (const std::bad_alloc&) {
    std::free(block);
    return;
  }
  ASAN_POISON_MEMORY_REGION(block, kBlockSize);  // a use after give() is reported as one after free
}

// Under the lock: it runs on the control thread once per trim period, and the workers wait for it
// only if they take or give a block at that moment.
std::size_t BlockPool::release_unused() noexcept {
  Pool& p = pool();
  std::lock_guard lock(p.mutex);
  const std::size_t released = p.untouched;
  for (std::size_t i = 0; i < released; ++i) {
    ASAN_UNPOISON_MEMORY_REGION(p.free[i], kBlockSize);
    std::free(p.free[i]);
  }
  p.free.erase(p.free.begin(), p.free.begin() + static_cast<std::ptrdiff_t>(released));
  p.untouched = p.free.size();
  return released;
}

namespace {

// One for all workers, as BlockPool's, for the same reasons.
struct LargePool {
  struct Kept {
    LargeBuffers::Buffer buffer;
    bool recent = true;  // taken or given since the last release_unused()
  };
  std::mutex mutex;
  std::vector<Kept> kept;
  std::size_t bytes = 0;  // in kept

  /// Removes `*i` from the pool; returns its buffer.
  LargeBuffers::Buffer remove(std::vector<Kept>::iterator i) {
    const LargeBuffers::Buffer buffer = i->buffer;
    bytes -= buffer.capacity;
    kept.erase(i);
    return buffer;
  }
  static bool smaller(const Kept& a, const Kept& b) noexcept { return a.buffer.capacity < b.buffer.capacity; }
  std::vector<Kept>::iterator largest() { return std::max_element(kept.begin(), kept.end(), smaller); }
  std::vector<Kept>::iterator smallest() { return std::min_element(kept.begin(), kept.end(), smaller); }
};

LargePool& large_pool() {
  static LargePool* const instance = new LargePool;
  return *instance;
}

void free_buffer(LargeBuffers::Buffer buffer) noexcept {
  ASAN_UNPOISON_MEMORY_REGION(buffer.data, buffer.capacity);
  std::free(buffer.data);
}

}  // namespace

LargeBuffers::Buffer LargeBuffers::take(std::size_t capacity) noexcept {
  LargePool& p = large_pool();
  std::lock_guard lock(p.mutex);
  const auto largest = p.largest();
  if (largest == p.kept.end() || largest->buffer.capacity < capacity) return {};
  const Buffer buffer = p.remove(largest);
  ASAN_UNPOISON_MEMORY_REGION(buffer.data, buffer.capacity);
  return buffer;
}

void LargeBuffers::give(Buffer buffer) noexcept {
  LargePool& p = large_pool();
  std::lock_guard lock(p.mutex);
  try {
    p.kept.reserve(kKeep + 1);
  } catch (const std::bad_alloc&) {
    std::free(buffer.data);
    return;
  }
  ASAN_POISON_MEMORY_REGION(buffer.data, buffer.capacity);  // a use after give() is reported as one after free
  p.kept.push_back({buffer});
  p.bytes += buffer.capacity;
  while (p.kept.size() > kKeep || p.bytes > kKeepBytes) free_buffer(p.remove(p.smallest()));  // past the bounds
}

std::size_t LargeBuffers::release_unused() noexcept {
  LargePool& p = large_pool();
  std::lock_guard lock(p.mutex);
  std::size_t released = 0;
  for (std::size_t i = p.kept.size(); i-- > 0;) {  // from the back: erasing leaves the rest in place
    if (std::exchange(p.kept[i].recent, false)) continue;
    free_buffer(p.remove(p.kept.begin() + static_cast<std::ptrdiff_t>(i)));
    ++released;
  }
  return released;
}

namespace {

struct ReadBlock {
  char bytes[ReadBlocks::kSize];
};
using ReadBlockMemory = Recycling<ReadBlock, 64>;  // 1 MiB per thread at most

}  // namespace

char* ReadBlocks::take() { return ReadBlockMemory().allocate(1)->bytes; }

void ReadBlocks::give(char* block) noexcept {
  ReadBlockMemory().deallocate(reinterpret_cast<ReadBlock*>(block), 1);
}

}  // namespace ringleader::proxy
