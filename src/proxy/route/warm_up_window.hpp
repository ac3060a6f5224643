// WarmUpWindow: one pool worker's warm-up after a membership change (docs/warmup.md), the state
// that warm_up.hpp's policy reads: where keys were before (the placement before the change and the
// backends that reach its servers), which servers may have received keys, and how long it lasts.
//
// It opens at a change when the pool has warmup_ms and a server was added, removed or changed, or
// whenever a server is `draining` (then until the next change). For warmup_ms, misses of moved
// keys are read from their previous owner; RecentWrites::kHoldOff more, deletes still go to both
// owners and writes are still noted, for the copies of reads still out. Then it closes and hands
// its backends back (those the pool no longer uses are retired).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>
#include <vector>

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>

#include "proxy/backend.hpp"
#include "proxy/route_table.hpp"

namespace ringleader::proxy {

class WarmUpWindow {
 public:
  using Backends = std::vector<std::shared_ptr<Backend>>;

  /// `closed` gets the window's backends when its time is over.
  WarmUpWindow(asio::io_context& io, std::function<void(Backends)> closed);

  /// The pool changed from `before` (null: it is new), whose servers `previous` reached, to `now`,
  /// whose servers `backends` reach: the window of an earlier change closes, and one opens if this
  /// change moves keys and the pool warms them. Returns the closed window's backends.
  Backends reopen(const PoolLayout* before, const Backends& previous, const PoolLayout& now, const Backends& backends);

  /// Open: deletes of moved keys go to their previous owner too, and their writes are noted.
  bool open() const noexcept { return before_ != nullptr; }
  /// ...and misses of moved keys are asked of their previous owner.
  bool reads() const noexcept { return reads_; }
  /// While open(): the backend of the server that held `key` before, if that is not `owner` (the
  /// backend of `server`, its owner now); else null.
  std::shared_ptr<Backend> previous_owner(std::string_view key, std::uint32_t server, const Backend* owner) const;
  /// The backends of the servers before (a removed server's among them, still read from).
  const Backends& backends() const noexcept { return backends_; }

 private:
  Backends close();
  void on_timer();

  std::unique_ptr<const Placement> before_;  // where keys were; null: closed
  Backends backends_;                        // backends_[i] reaches before_'s server i
  bool reads_ = false;
  std::vector<bool> receives_;  // by server now: keys may have moved to it
  asio::steady_timer timer_;
  std::uint64_t opened_ = 0;  // windows opened: a timer of an earlier one that fires late does nothing
  std::function<void(Backends)> closed_;
};

}  // namespace ringleader::proxy
