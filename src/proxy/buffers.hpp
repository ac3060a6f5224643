// Reused buffers with a bounded capacity.
//
// Connections reuse their buffers and request scratch vectors so the usual small request costs no
// allocation. But clear(), assign() and resize() never shrink a std::string or std::vector: one
// large value or one request with thousands of keys would otherwise pin its peak for as long as
// the connection (or, for a backend, the process) lives.
//
// Bytes is the other half: one owned block of a reply's bytes, allocated without being zeroed (a
// read fills it), handed from the backend that read it to the client that writes it without a copy.
// Blocks of the size large values are read in come from a pool (BlockPool) that keeps them mapped.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <new>
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

/// The blocks large values are read and merged in (Bytes of exactly kBlockSize), kept for the next
/// value when freed. From glibc, a freed block soon goes back to the system (a thread's heap is
/// unmapped once wholly free), and the next one costs a page fault and a zeroed page per 4 KiB read
/// into it: with 16 MB values, whose pipelines pile up a few hundred MB in the proxy, that was ~100k
/// faults per GB and more CPU than the copying itself (issue 28). nutcracker keeps its buffers for
/// the life of the process; the pool gives back, at each release_unused(), the blocks no value took
/// since the call before, so an idle proxy returns to its baseline within two calls.
class BlockPool {
 public:
  static constexpr std::size_t kBlockSize = 256 * 1024;
  /// A block of kBlockSize bytes: the one freed last (likeliest still in the cache), else a new one.
  static char* take();
  static void give(char* block) noexcept;
  /// Frees the blocks not taken since the last call; returns how many.
  static std::size_t release_unused() noexcept;
};

/// Read buffers larger than a block, kept when freed. A reply that is not passed on in pieces (the
/// part of a merged get or MGET: 8 MB for 50 values of 160 KB) is read whole into one buffer before
/// it is framed, a buffer that grows as the reply comes. From glibc each such buffer is a new mapping
/// (past `serve`'s 4 MiB mmap threshold) or a copy at each growth, and its pages fault in as the
/// first read fills them: 10x nutcracker's CPU per byte for ~16 MB merged replies on this project's
/// machines, where a page fault is expensive (issue 28). Up to kKeep are kept (kKeepBytes in all).
///
/// A read buffer that grows past kTakeAbove holds one large reply or request, and is given back once
/// that is read (backends and client sessions keep no more for the next ones). It takes the largest
/// kept buffer that is large enough, so a reply like the last one goes into memory already mapped,
/// without growing: growing by realloc copies, and faults in new pages when kept buffers hold the
/// heap above it. So does a buffer made larger than a block; a smaller one of a known size (a
/// value's last piece) is malloc's, as it would hold a large kept buffer that the next large reply
/// then lacks. release_unused() frees the buffers not taken since the call before, as BlockPool's.
class LargeBuffers {
 public:
  static constexpr std::size_t kKeep = 8;
  static constexpr std::size_t kKeepBytes = 256 * 1024 * 1024;
  static constexpr std::size_t kTakeAbove = 64 * 1024;
  struct Buffer {
    char* data = nullptr;  // null: none
    std::size_t capacity = 0;
  };
  /// The largest kept buffer if it holds at least `capacity` bytes, else none.
  static Buffer take(std::size_t capacity) noexcept;
  /// Keeps `buffer` (from malloc) or, past the bounds, frees the smallest.
  static void give(Buffer buffer) noexcept;
  /// Frees the buffers not taken since the last call; returns how many.
  static std::size_t release_unused() noexcept;
};

/// A client's first read buffer (ReadBlocks::kSize bytes, ClientSession's kMinRead), kept by its
/// thread for the next client when its connection ends (recycled.hpp). With a connection per
/// request (HTTP without keep-alive) a malloc of 16 KiB per client, past glibc's per-thread cache,
/// went through its bins and consolidated its fast ones each time. Up to 64 per thread (1 MiB);
/// the blocks come from malloc, so a buffer that outgrows one reallocs it as any other.
class ReadBlocks {
 public:
  static constexpr std::size_t kSize = 16 * 1024;
  static char* take();
  static void give(char* block) noexcept;
};

/// A block of bytes read from a socket: at least `capacity` allocated, the first size() filled. It
/// comes from malloc (or BlockPool, LargeBuffers or ReadBlocks, themselves malloc), not new, so
/// that grow() can realloc: a heap block may then extend in place, and one past glibc's mmap
/// threshold (4 MiB under `serve`: src/proxy/server.cpp) grows by mremap, which copies no byte.
class Bytes {
 public:
  Bytes() = default;
  explicit Bytes(std::size_t capacity) { allocate(capacity); }
  /// A copy of `bytes`, with room for `capacity` in all if that is more.
  static Bytes copy_of(std::string_view bytes, std::size_t capacity = 0) {
    Bytes copy(std::max(bytes.size(), capacity));
    std::memcpy(copy.data(), bytes.data(), bytes.size());
    copy.filled(bytes.size());
    return copy;
  }
  Bytes(Bytes&& other) noexcept
      : data_(std::exchange(other.data_, nullptr)),
        capacity_(std::exchange(other.capacity_, 0)),
        size_(std::exchange(other.size_, 0)) {}
  Bytes& operator=(Bytes&& other) noexcept {
    if (this == &other) return *this;
    release();
    data_ = std::exchange(other.data_, nullptr);
    capacity_ = std::exchange(other.capacity_, 0);
    size_ = std::exchange(other.size_, 0);
    return *this;
  }
  Bytes(const Bytes&) = delete;
  Bytes& operator=(const Bytes&) = delete;
  ~Bytes() { release(); }

  char* data() noexcept { return data_; }
  const char* data() const noexcept { return data_; }
  std::size_t size() const noexcept { return size_; }
  std::size_t capacity() const noexcept { return capacity_; }
  bool empty() const noexcept { return size_ == 0; }
  std::string_view view() const noexcept { return {data_, size_}; }
  /// Room after the bytes filled.
  char* tail() noexcept { return data_ + size_; }
  std::size_t room() const noexcept { return capacity_ - size_; }
  /// `n` more bytes were written at tail().
  void filled(std::size_t n) noexcept { size_ += n; }
  /// Forgets the bytes filled; keeps the memory.
  void clear() noexcept { size_ = 0; }
  /// Room for `capacity` bytes in all, the bytes filled kept (realloc: see the class comment).
  void grow(std::size_t capacity) {
    if (capacity <= capacity_) return;
    if (data_ == nullptr) return allocate(capacity);
    // A kept buffer is mapped already: no page faults, and no further growth for a reply like the last.
    if (const auto larger = kept(capacity, LargeBuffers::kTakeAbove); larger.data != nullptr) {
      std::memcpy(larger.data, data_, size_);
      release();
      data_ = larger.data;
      capacity_ = larger.capacity;
      return;
    }
    char* bigger = static_cast<char*>(std::realloc(data_, capacity));  // a pooled block too: malloc's
    if (bigger == nullptr) throw std::bad_alloc();
    data_ = bigger;
    capacity_ = capacity;
  }

 private:
  /// A kept large buffer of at least `capacity` bytes, if there is one and `capacity` is over `above`.
  static LargeBuffers::Buffer kept(std::size_t capacity, std::size_t above) noexcept {
    return capacity > above ? LargeBuffers::take(capacity) : LargeBuffers::Buffer{};
  }
  /// Sets data_ and capacity_ (with nothing allocated before).
  void allocate(std::size_t capacity) {
    LargeBuffers::Buffer got{nullptr, capacity};
    if (capacity == BlockPool::kBlockSize) {
      got.data = BlockPool::take();
    } else if (capacity == ReadBlocks::kSize) {
      got.data = ReadBlocks::take();
    } else if (got = kept(capacity, BlockPool::kBlockSize); got.data == nullptr) {
      got = {static_cast<char*>(std::malloc(capacity == 0 ? 1 : capacity)), capacity};
      if (got.data == nullptr) throw std::bad_alloc();
    }
    data_ = got.data;
    capacity_ = got.capacity;
  }
  void release() noexcept {
    if (data_ == nullptr) return;
    if (capacity_ == BlockPool::kBlockSize) {
      BlockPool::give(data_);
    } else if (capacity_ == ReadBlocks::kSize) {
      ReadBlocks::give(data_);
    } else if (capacity_ > BlockPool::kBlockSize) {
      LargeBuffers::give({data_, capacity_});
    } else {
      std::free(data_);
    }
  }

  char* data_ = nullptr;
  std::size_t capacity_ = 0;
  std::size_t size_ = 0;
};

/// A read buffer: keeps the bytes not taken yet, [taken, size()), and makes room for `want` bytes
/// from `taken` on. Moves them to the front when that is room enough twice over, else grows to
/// at least twice its size (so each byte is moved O(1) times, whatever the size of a message);
/// never zeroes memory a read will fill. Growing with nothing taken is a realloc (Bytes::grow):
/// the usual case of a long message read into one buffer, which then costs no copy past glibc's
/// mmap threshold.
inline void make_room(Bytes& buffer, std::size_t& taken, std::size_t want) {
  if (buffer.capacity() - taken >= want) return;
  const std::size_t have = buffer.size() - taken;
  if (taken == 0) {
    buffer.grow(std::max(want, 2 * buffer.capacity()));
    return;
  }
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
