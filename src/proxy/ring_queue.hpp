// RingQueue<T>: a first-in, first-out queue in one array used as a ring, for the queues a request
// passes through (a client's replies in order, a backend's requests awaiting their replies).
//
// std::deque allocated here on every path: its map and a first 512-byte block as soon as it is
// constructed (a session per connection), and a new block each time the back reached the end of
// one while the front freed another (a malloc and a free every 21-32 small requests, the last
// allocation on the small-request path; issue 28). A ring allocates at its first element and when
// it outgrows its array, which it then keeps: a queue that has held n requests costs nothing for
// the next n.
//
// T must be default-constructible and movable: a slot that is not in use holds a T{}, so a popped
// shared_ptr lets go of its object at once.
#pragma once

#include <cassert>
#include <cstddef>
#include <memory>
#include <utility>

namespace ringleader::proxy {

template <class T>
class RingQueue {
 public:
  RingQueue() noexcept = default;
  RingQueue(RingQueue&& other) noexcept
      : slots_(std::move(other.slots_)), capacity_(std::exchange(other.capacity_, 0)),
        head_(std::exchange(other.head_, 0)), size_(std::exchange(other.size_, 0)) {}
  RingQueue& operator=(RingQueue&& other) noexcept {
    RingQueue(std::move(other)).swap(*this);
    return *this;
  }

  bool empty() const noexcept { return size_ == 0; }
  std::size_t size() const noexcept { return size_; }

  /// The i-th element from the front.
  T& operator[](std::size_t i) noexcept {
    assert(i < size_);
    return slots_[(head_ + i) & (capacity_ - 1)];
  }
  const T& operator[](std::size_t i) const noexcept {
    assert(i < size_);
    return slots_[(head_ + i) & (capacity_ - 1)];
  }
  T& front() noexcept { return (*this)[0]; }
  const T& front() const noexcept { return (*this)[0]; }
  T& back() noexcept { return (*this)[size_ - 1]; }

  void push_back(T value) {
    if (size_ == capacity_) grow();
    slots_[(head_ + size_) & (capacity_ - 1)] = std::move(value);
    ++size_;
  }
  void push_front(T value) {
    if (size_ == capacity_) grow();
    head_ = (head_ + capacity_ - 1) & (capacity_ - 1);
    slots_[head_] = std::move(value);
    ++size_;
  }
  void pop_front() noexcept {
    assert(size_ > 0);
    slots_[head_] = T{};
    head_ = (head_ + 1) & (capacity_ - 1);
    --size_;
  }
  /// Empties the queue and keeps its array.
  void clear() noexcept {
    while (size_ > 0) pop_front();
    head_ = 0;
  }

  void swap(RingQueue& other) noexcept {
    std::swap(slots_, other.slots_);
    std::swap(capacity_, other.capacity_);
    std::swap(head_, other.head_);
    std::swap(size_, other.size_);
  }

 private:
  static constexpr std::size_t kFirstCapacity = 4;  // a power of two, as every capacity is

  void grow() {
    const std::size_t capacity = capacity_ == 0 ? kFirstCapacity : 2 * capacity_;
    auto slots = std::make_unique<T[]>(capacity);
    for (std::size_t i = 0; i < size_; ++i) slots[i] = std::move((*this)[i]);
    slots_ = std::move(slots);
    capacity_ = capacity;
    head_ = 0;
  }

  std::unique_ptr<T[]> slots_;
  std::size_t capacity_ = 0;
  std::size_t head_ = 0;
  std::size_t size_ = 0;
};

}  // namespace ringleader::proxy
