// PoolBackends: one pool's connections to its servers on one worker thread. A Backend per server of
// the layout adopted; during a warm-up, the previous servers' too (route/warm_up_window.hpp); and
// the connections of one streamed request's (kept by their server's Backend) or one client's own.
// Backends a reload removed close once their replies are in, and a graceful shutdown waits for them
// (busy()).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include <asio/io_context.hpp>

#include "proxy/backend.hpp"
#include "proxy/route/warm_up_window.hpp"
#include "proxy/route_table.hpp"
#include "proxy/stats/registry.hpp"

namespace ringleader::proxy {

class PoolBackends {
 public:
  /// The backends of pool `pool_index` on worker `worker`, counted in `registry`.
  PoolBackends(asio::io_context& io, stats::Registry& registry, unsigned worker, std::size_t pool_index);

  /// Makes the backends match `routes`, whose layout replaces `before` (null at first): the backend
  /// of every server still reached the same way is kept (with its connection), new servers get new
  /// ones, the others are retired; a warm-up opens if the change moves keys and the pool warms them.
  void adopt(const Routes& routes, const PoolLayout* before);
  /// Connects to every server now when the pool says `preconnect`, and to servers added later.
  void start(const config::Pool& pool);

  /// The backend of server `server` of the layout adopted.
  Backend& operator[](std::uint32_t server) const noexcept { return *backends_[server]; }
  std::size_t size() const noexcept { return backends_.size(); }

  /// A connection of its own to `server` for one streamed request (Backend::stream_connection);
  /// busy() counts it while it answers.
  std::shared_ptr<Backend> own_connection(std::uint32_t server, Dialect dialect);
  /// A connection of one client's own to `server`, the client's for as long as it wants; null when
  /// `limit` of them are open. busy() does not wait for it.
  std::shared_ptr<Backend> pinned_connection(std::uint32_t server, Dialect dialect, std::size_t limit);

  /// The warm-up after the last change (closed when there is none).
  const WarmUpWindow& warm_up() const noexcept { return warm_; }
  /// While warm_up() is open: the server that held `key` before the change, if not `server`.
  std::shared_ptr<Backend> previous_owner(std::string_view key, std::uint32_t server) const;

  /// True while a request waits to be written to or answered by a server.
  bool busy() const noexcept;

 private:
  /// Retires each of `backends` that neither the pool nor its warm-up uses.
  void retire_unused(const std::vector<std::shared_ptr<Backend>>& backends);

  asio::io_context& io_;
  stats::Registry& registry_;
  unsigned worker_;
  std::size_t pool_index_;
  bool started_ = false;
  std::vector<std::shared_ptr<Backend>> backends_;  // backends_[i] reaches the layout's server i
  std::vector<std::weak_ptr<Backend>> others_;       // removed by a reload, or a stream's own:
                                                     // maybe still answering
  std::vector<std::weak_ptr<Backend>> pinned_;       // pinned_connection()'s, maybe still open
  WarmUpWindow warm_;
};

}  // namespace ringleader::proxy
