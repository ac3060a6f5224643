// Listeners: the stats port (`serve -s PORT -a ADDR`, twemproxy's: every connection gets the JSON
// document, then the connection closes) and the admin port (`--admin HOST:PORT`: HTTP/1.x,
// `GET /metrics` answers the Prometheus text format, anything else 404).
//
// They run on their own thread and io_context, so a slow scraper never delays a request. Both bind
// where they are told; serve binds the stats port to 127.0.0.1 by default (nutcracker: 0.0.0.0),
// since the numbers name every server of the deployment. Their addresses are parsed and bound as
// the pools' are (config::parse_listen, proxy/listen_socket.hpp).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <thread>

#include <asio/io_context.hpp>

#include "proxy/config/config.hpp"
#include "proxy/stats/registry.hpp"

namespace ringleader::proxy::stats {

class Listeners {
 public:
  /// Binds both TCP addresses (either may be absent) and starts serving; throws std::runtime_error
  /// naming the address when a bind fails.
  Listeners(Registry& registry, std::optional<config::Listen> stats, std::optional<config::Listen> admin);
  ~Listeners();
  Listeners(const Listeners&) = delete;
  Listeners& operator=(const Listeners&) = delete;

 private:
  Registry& registry_;
  asio::io_context io_{1};
  std::thread thread_;
};

}  // namespace ringleader::proxy::stats
