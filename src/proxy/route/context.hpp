// What the route layer's nodes (replicas.hpp, warm_up.hpp) ask of the pool they route in, and where
// they send requests. PoolWorker and Backend are the real ones; the nodes' unit tests give fakes,
// so every policy is tested without a socket.
#pragma once

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "proxy/config/config.hpp"
#include "proxy/pending_reply.hpp"
#include "proxy/protocol.hpp"
#include "proxy/route_table.hpp"
#include "proxy/stats/counters.hpp"

namespace ringleader::proxy {

/// The most copies a pool keeps of a key: bounds the scratch array of Copies.
inline constexpr std::size_t kMaxReplicas = config::Pool::kMaxReplicas;

/// Where one key's copies are, first live copy first.
struct Copies {
  std::uint32_t server[kMaxReplicas];
  std::size_t count = 0;

  std::span<const std::uint32_t> servers() const noexcept { return {server, count}; }
  bool operator==(const Copies& other) const noexcept {
    return std::equal(server, server + count, other.server, other.server + other.count);
  }
};

/// A connection to one server, as a route node sees it (Backend).
class Connection {
 public:
  virtual ~Connection() = default;
  /// Sends one whole request, whose bytes are `request`'s pieces one after another: its reply
  /// answers part `part` of `reply`, framed by the protocol as a reply of `kind`.
  virtual void send(std::initializer_list<std::string_view> request, std::shared_ptr<PendingReply> reply,
                    std::uint32_t part, ReplyKind kind = 0) = 0;
  /// This connection, kept alive by the caller (a request that must follow on the same one).
  virtual std::shared_ptr<Connection> shared() = 0;
};

/// One pool on one worker, as a route node sees it (PoolWorker).
class RouteContext {
 public:
  virtual ~RouteContext() = default;

  virtual const config::Pool& pool() const noexcept = 0;
  virtual const Protocol& protocol() const noexcept = 0;
  /// The layout server indices refer to: a reload replaces it, so a node that routed with another
  /// must not send again by index.
  virtual const std::shared_ptr<const PoolLayout>& layout() const noexcept = 0;
  virtual stats::PoolCounters& counters() noexcept = 0;
  /// The server of each of `keys`, into `servers` (indices into layout()); false if no server is
  /// live. Not for a pool with replicas: copies() places its keys.
  virtual bool route(std::span<const std::string_view> keys, std::vector<std::uint32_t>& servers) = 0;
  /// Where a request to `server` from a client speaking `dialect` of the protocol goes now.
  virtual Connection& connection(std::uint32_t server, Dialect dialect) = 0;
  /// Where `key`'s copies are, first live copy first (copies.count is 0 if no server is live);
  /// `wanted`: that many servers of the probe order instead of the pool's replicas.
  virtual void copies(std::string_view key, Copies& copies, std::size_t wanted = 0) = 0;

  /// A warm-up is on (warm_up.hpp): deletes of moved keys go to their previous owner too, and
  /// their writes are noted in recent_writes()...
  virtual bool warming() const noexcept = 0;
  /// ...and misses of moved keys are asked of their previous owner.
  virtual bool warm_reads() const noexcept = 0;
  /// During a warm-up, the connection to the server that held `key` before the change, if not
  /// `server`, its owner now; else null.
  virtual std::shared_ptr<Connection> previous_owner(std::string_view key, std::uint32_t server) = 0;
  virtual RecentWrites& recent_writes() const noexcept = 0;
};

}  // namespace ringleader::proxy
