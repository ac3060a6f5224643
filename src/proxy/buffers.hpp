// Reused buffers with a bounded capacity.
//
// Connections reuse their buffers and request scratch vectors so the usual small request costs no
// allocation. But clear(), assign() and resize() never shrink a std::string or std::vector: one
// large value or one request with thousands of keys would otherwise pin its peak for as long as
// the connection (or, for a backend, the process) lives.
//
// Bytes is the other half: one owned block of a reply's bytes, allocated without being zeroed (a
// read fills it), handed from the backend that read it to the client that writes it without a copy.
// Blocks of Bytes::kBlock are reused through the freeing thread's BlockCache: a worker passing large
// values on would otherwise map, fault in and give back the same pages for every value (issue 28).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <memory>
#include <string_view>
#include <utility>

namespace ringleader::proxy {

/// Empties `container`, and frees its memory when it holds room for more than `keep` elements (in
/// the usual case the capacity stays, to be reused).
template <class Container>
void clear_and_trim(Container& container, std::size_t keep) noexcept {
  container.clear();
  if (container.capacity() > keep) Container().swap(container);
}

/// Free blocks of Bytes::kBlock bytes, one cache per thread (a worker's backends read large
/// values into blocks and its clients free them once written, both on the worker's thread).
/// Without it, each large value's blocks came from the top of the heap, which glibc gave back once
/// past M_TRIM_THRESHOLD, so every value faulted its pages in again (docs/benchmarks.md). At most
/// kMaxBlocks are kept (256 MiB: the default client output limit, what one client's pipeline of
/// large values may hold, so a worker keeps no more than it had in use at its peak), and age()
/// frees them all once a whole trim period passed without a block taken or given back, so an idle
/// worker keeps none (nutcracker keeps every mbuf it ever allocated). Not fewer while blocks come and
/// go: a client reading a 256 MB pipeline slowly gives its blocks back over several periods, and
/// keeping only what one period used made the next pipeline fault most of them in again.
class BlockCache {
 public:
  static constexpr std::size_t kMaxBlocks = 1024;

  /// A block from this thread's cache, or a new one.
  static std::unique_ptr<char[]> take();
  /// Keeps `block` (of Bytes::kBlock bytes) for reuse on this thread, or frees it if the cache is full.
  static void give(std::unique_ptr<char[]> block) noexcept;
  /// Frees this thread's blocks if none was taken or given back since the last call, so an idle
  /// worker keeps no memory for values that stopped coming (the server calls it on every worker
  /// every kTrimPeriod).
  static void age() noexcept;
  /// Blocks this thread keeps.
  static std::size_t cached() noexcept;
};

/// A block of bytes read from a socket: `capacity` allocated, the first size() filled.
class Bytes {
 public:
  /// The size of the blocks that are reused (BlockCache): large values and replies are read and
  /// built in blocks of this size.
  static constexpr std::size_t kBlock = 256 * 1024;

  Bytes() = default;
  explicit Bytes(std::size_t capacity)
      : data_(capacity == kBlock ? BlockCache::take() : std::make_unique_for_overwrite<char[]>(capacity)),
        capacity_(capacity) {}
  Bytes(Bytes&& other) noexcept
      : data_(std::move(other.data_)),
        capacity_(std::exchange(other.capacity_, 0)),
        size_(std::exchange(other.size_, 0)) {}
  Bytes& operator=(Bytes&& other) noexcept {
    release();
    data_ = std::move(other.data_);
    capacity_ = std::exchange(other.capacity_, 0);
    size_ = std::exchange(other.size_, 0);
    return *this;
  }
  ~Bytes() { release(); }

  char* data() noexcept { return data_.get(); }
  const char* data() const noexcept { return data_.get(); }
  std::size_t size() const noexcept { return size_; }
  std::size_t capacity() const noexcept { return capacity_; }
  bool empty() const noexcept { return size_ == 0; }
  std::string_view view() const noexcept { return {data_.get(), size_}; }
  /// Room after the bytes filled.
  char* tail() noexcept { return data_.get() + size_; }
  std::size_t room() const noexcept { return capacity_ - size_; }
  /// `n` more bytes were written at tail().
  void filled(std::size_t n) noexcept { size_ += n; }
  /// Forgets the bytes filled; keeps the memory.
  void clear() noexcept { size_ = 0; }

 private:
  void release() noexcept {
    if (data_ && capacity_ == kBlock) BlockCache::give(std::move(data_));
  }

  std::unique_ptr<char[]> data_;
  std::size_t capacity_ = 0;
  std::size_t size_ = 0;
};

/// A read buffer: keeps the bytes not taken yet, [taken, size()), and makes room for `want` bytes
/// from `taken` on. Moves them to the front when that is room enough twice over, else grows to
/// at least twice its size (so each byte is moved O(1) times, whatever the size of a message);
/// never zeroes memory a read will fill.
inline void make_room(Bytes& buffer, std::size_t& taken, std::size_t want) {
  if (buffer.capacity() - taken >= want) return;
  const std::size_t have = buffer.size() - taken;
  if (buffer.capacity() >= 2 * want) {
    std::memmove(buffer.data(), buffer.data() + taken, have);
  } else {
    Bytes bigger(std::max(want, 2 * buffer.capacity()));
    if (have > 0) std::memcpy(bigger.data(), buffer.data() + taken, have);
    buffer = std::move(bigger);
  }
  buffer.clear();
  buffer.filled(have);
  taken = 0;
}

}  // namespace ringleader::proxy
