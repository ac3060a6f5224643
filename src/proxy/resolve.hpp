// Name lookups (DNS) of a pool's servers and listen address.
//
// A lookup blocks for as long as the resolver takes, so it runs only where nothing waits on it: at
// start-up, or on the server's change thread (change_queue.hpp); never on a worker's io_context nor
// while a signal is handled.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <asio/generic/stream_protocol.hpp>

#include "proxy/config/config.hpp"

namespace ringleader::proxy {

using Endpoint = asio::generic::stream_protocol::endpoint;

/// Where each of `servers` of pool `pool` is, in order. Throws std::runtime_error naming the pool
/// and the first address that does not resolve.
std::vector<Endpoint> resolve_servers(const std::string& pool, const std::vector<config::Server>& servers);

/// Where a TCP pool listens. Throws like resolve_servers().
Endpoint resolve_listen(const config::Pool& pool);

/// Both lookups of one pool, done ahead of knowing which the caller needs: a failure is kept, not
/// thrown, so that a reload fails only if it changes the pool whose name did not resolve.
struct ResolvedPool {
  std::vector<Endpoint> servers;   // servers[i] reaches pool.servers[i]; empty if servers_error
  std::optional<Endpoint> listen;  // TCP pools, unless listen_error
  std::string servers_error;       // resolve_servers()'s message, empty on success
  std::string listen_error;        // resolve_listen()'s message, empty on success

  /// The servers' endpoints; throws std::runtime_error(servers_error) if they did not resolve.
  const std::vector<Endpoint>& servers_or_throw() const;
  /// The listen endpoint; throws std::runtime_error(listen_error) if it did not resolve.
  const Endpoint& listen_or_throw() const;
};

/// Looks up every name of `pool`; never throws.
ResolvedPool resolve(const config::Pool& pool);

}  // namespace ringleader::proxy
