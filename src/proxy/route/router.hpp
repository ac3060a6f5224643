// route::Router: sends each Command (command.hpp) of one client where its pool's policies say.
//
//   replicas > 1:  a read of many keys goes key by key, each failing over (FailoverRead::send_each);
//                  keys whose copies are together go as one request: a read to one copy failing
//                  over (FailoverRead), a write to every copy (ReplicatedWrite); keys apart split
//                  once per copy, each round's merged reply one part of the whole.
//   otherwise:     each key to its owner (PoolWorker::route, bounded loads included); a warm-up
//                  may take it (warm_up.hpp); one owner gets the request whole (with `retries`,
//                  failing over to the key's next servers: FailoverRead); several get one part
//                  each (split), merged by the protocol's reply.
//   a command whose keys must live together but do not, or a key without a live server, gets the
//   protocol's error reply.
//
// Every reply is handed to the session (its `enqueue`) before its request is sent. The scratch
// vectors are the session's own and reused, so routing allocates nothing once they have grown.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "proxy/keys_by_server.hpp"
#include "proxy/route/command.hpp"
#include "proxy/route/context.hpp"

namespace ringleader::proxy::route {

class Router {
 public:
  using Enqueue = std::function<void(std::shared_ptr<PendingReply>)>;
  explicit Router(Enqueue enqueue) : enqueue_(std::move(enqueue)) {}

  void send(RouteContext& pool, const Command& command);
  /// Sends a command of one key to `server`, which the caller routed it to (an HTTP session routes
  /// before it knows whether the body streams); with `retries`, failing over to the key's next servers.
  void send_to(RouteContext& pool, const Command& command, std::uint32_t server);
  /// Where a command whose last argument streams (a large value) goes: its owner, or every copy.
  /// Empty if it goes nowhere (the client has been given why).
  std::span<const std::uint32_t> stream_to(RouteContext& pool, const Command& command);
  /// Frees what a request with many keys grew, beyond room for `keep` keys.
  void trim(std::size_t keep);

 private:
  void replicate(RouteContext& pool, const Command& command);
  void fail_over(RouteContext& pool, const Command& command, std::uint32_t server);
  /// Splits over servers_ and returns the reply merging the parts.
  std::shared_ptr<PendingReply> split(RouteContext& pool, const Command& command);
  void split_to_copies(RouteContext& pool, const Command& command);
  /// Where every key's copies are, into copies_; false (the client told) if a key has none.
  bool place_copies(RouteContext& pool, const Command& command);
  bool copies_together() const;
  bool one_server() const;
  void refuse(RouteContext& pool, std::string_view reason);
  void refuse_keys_apart(RouteContext& pool, const Command& command);

  Enqueue enqueue_;
  std::vector<std::uint32_t> servers_;  // the server of each key
  KeysByServer parts_;                  // the keys grouped by server, to split
  std::vector<Copies> copies_;          // with replicas: where each key's copies are
  std::string scratch_;                 // a request being written
};

}  // namespace ringleader::proxy::route
