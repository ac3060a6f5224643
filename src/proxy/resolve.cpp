// Name lookups; see resolve.hpp.
#include "proxy/resolve.hpp"

#include <stdexcept>

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/local/stream_protocol.hpp>

#include "proxy/listen_socket.hpp"

namespace ringleader::proxy {
namespace {

std::runtime_error lookup_error(const std::string& pool, const std::string& what, const std::error_code& ec) {
  return std::runtime_error("pool '" + pool + "': " + what + ": " + ec.message());
}

}  // namespace

std::vector<Endpoint> resolve_servers(const std::string& pool, const std::vector<config::Server>& servers) {
  asio::io_context io;
  asio::ip::tcp::resolver resolver(io);
  std::vector<Endpoint> endpoints;
  for (const auto& server : servers) {
    if (server.is_unix()) {
      endpoints.emplace_back(asio::local::stream_protocol::endpoint(server.unix_path));
      continue;
    }
    std::error_code ec;
    auto results = resolver.resolve(server.host, std::to_string(server.port), ec);
    if (ec || results.empty()) throw lookup_error(pool, "cannot resolve server " + server.address(), ec);
    endpoints.emplace_back(results.begin()->endpoint());
  }
  return endpoints;
}

Endpoint resolve_listen(const config::Pool& pool) {
  std::error_code ec;
  Endpoint endpoint = resolve_listen_address(pool.listen, ec);
  if (ec) throw lookup_error(pool.name, "cannot resolve listen address " + pool.listen.text, ec);
  return endpoint;
}

const std::vector<Endpoint>& ResolvedPool::servers_or_throw() const {
  if (!servers_error.empty()) throw std::runtime_error(servers_error);
  return servers;
}

const Endpoint& ResolvedPool::listen_or_throw() const {
  if (!listen) throw std::runtime_error(listen_error);
  return *listen;
}

ResolvedPool resolve(const config::Pool& pool) {
  ResolvedPool resolved;
  try {
    resolved.servers = resolve_servers(pool.name, pool.servers);
  } catch (const std::exception& e) {
    resolved.servers_error = e.what();
  }
  if (pool.listen.is_unix()) return resolved;
  try {
    resolved.listen = resolve_listen(pool);
  } catch (const std::exception& e) {
    resolved.listen_error = e.what();
  }
  return resolved;
}

}  // namespace ringleader::proxy
