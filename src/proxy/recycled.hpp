// Recycling<T, Keep>: memory for what is made and freed once per request or per client, reused.
//
// A reply's slot in its session's queue (make_recycled), a client's session (make_session,
// client_session.hpp) and its first read buffer (ReadBlocks, buffers.hpp) were a malloc and a free
// each; the slot was the only allocation left on the small-request path (issue 28: "no allocation
// per request on the hot path"), and a session and a read buffer are larger than glibc's
// per-thread cache takes. Here the block one frees goes on a list of its thread, and the next one
// of that type takes it: a few instructions instead of glibc's bins. Up to `Keep` blocks per type
// and thread are kept; past that, and once the thread has ended, blocks go back to the heap. A
// block freed on another thread than the one that made it joins that thread's list, which is as
// good. Blocks come from malloc, so a read buffer may grow by realloc like any other.
#pragma once

#include <sanitizer/asan_interface.h>  // no-ops unless built with AddressSanitizer

#include <cstddef>
#include <cstdlib>
#include <memory>
#include <new>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ringleader::proxy {

/// This thread's list of up to Keep kept things of one kind (`Kind`), for reuse; room for Keep is
/// reserved, so keeping up to Keep never allocates. Null once the thread is ending and its list is
/// gone: what the thread frees after that (its last objects) goes back to the heap. What is still
/// kept then is destroyed with the list (an Item's destructor frees what it holds).
template <class Item, std::size_t Keep, class Kind>
class ThreadList {
 public:
  static std::vector<Item>* get() {
    if (gone_) return nullptr;
    thread_local Owner owner;
    return &owner.items;
  }

 private:
  struct Owner {
    std::vector<Item> items;
    Owner() { items.reserve(Keep); }
    ~Owner() { gone_ = true; }
    Owner(const Owner&) = delete;
    Owner& operator=(const Owner&) = delete;
  };
  static inline thread_local bool gone_ = false;
};

template <class T, std::size_t Keep = 1024>
class Recycling {
 public:
  using value_type = T;
  template <class U>
  struct rebind {
    using other = Recycling<U, Keep>;
  };

  Recycling() noexcept = default;
  template <class U>
  Recycling(const Recycling<U, Keep>&) noexcept {}  // NOLINT(google-explicit-constructor): rebinding

  T* allocate(std::size_t n) {
    if (n == 1) {
      if (std::vector<Block>* kept = Kept::get(); kept != nullptr && !kept->empty()) {
        void* block = kept->back().release();
        kept->pop_back();
        ASAN_UNPOISON_MEMORY_REGION(block, sizeof(T));
        return static_cast<T*>(block);
      }
    }
    void* block = std::malloc(n * sizeof(T));
    if (block == nullptr) throw std::bad_alloc();
    return static_cast<T*>(block);
  }

  void deallocate(T* block, std::size_t n) noexcept {
    if (n == 1) {
      if (std::vector<Block>* kept = Kept::get(); kept != nullptr && kept->size() < Keep) {
        ASAN_POISON_MEMORY_REGION(block, sizeof(T));  // a use after free is reported as one
        kept->emplace_back(block);
        return;
      }
    }
    std::free(block);
  }

  friend bool operator==(const Recycling&, const Recycling&) noexcept { return true; }

 private:
  struct Free {
    void operator()(void* block) const noexcept {
      ASAN_UNPOISON_MEMORY_REGION(block, sizeof(T));
      std::free(block);
    }
  };
  using Block = std::unique_ptr<void, Free>;  // a kept block, freed if the thread's list ends
  using Kept = ThreadList<Block, Keep, T>;
};

/// std::make_shared<T>(args...), its memory recycled (see above); up to `Keep` blocks kept.
template <class T, std::size_t Keep = 1024, class... Args>
std::shared_ptr<T> make_recycled(Args&&... args) {
  return std::allocate_shared<T>(Recycling<T, Keep>(), std::forward<Args>(args)...);
}

/// The strings of one request's life: a reply's bytes (PendingReply) and a request kept for the
/// next copy of its key (FailoverRead). Past the 15 bytes a std::string holds in itself, each was a
/// malloc and a free per request. A string given back keeps its memory, up to `kLargest` bytes, for
/// the next one on its thread; up to `kKeep` are kept (at most 2 MiB per thread: enough for 50
/// clients pipelining 16 deep).
class SpareStrings {
 public:
  static constexpr std::size_t kLargest = 2048;
  static constexpr std::size_t kKeep = 1024;

  /// `to` = `bytes`, in the memory of a string given back if `to` has too little of its own.
  static void assign(std::string& to, std::string_view bytes) {
    if (to.capacity() < bytes.size() && bytes.size() <= kLargest) {
      if (std::vector<std::string>* kept = Kept::get(); kept != nullptr && !kept->empty()) {
        to.swap(kept->back());
        kept->pop_back();
      }
    }
    to.assign(bytes);
  }
  /// Keeps the memory of `done`, which is left empty.
  static void give(std::string& done) noexcept {
    if (done.capacity() <= kSmall || done.capacity() > kLargest) return;
    std::vector<std::string>* kept = Kept::get();
    if (kept == nullptr || kept->size() == kKeep) return;
    done.clear();
    kept->push_back(std::move(done));  // room reserved: does not allocate
  }

 private:
  static constexpr std::size_t kSmall = 15;  // what libstdc++'s std::string holds in itself
  using Kept = ThreadList<std::string, kKeep, SpareStrings>;
};

}  // namespace ringleader::proxy
