// Active health checks: an ejected server takes traffic again only after it answers a real request.
//
// twemproxy puts an ejected server back blindly when server_retry_timeout is over (nc_server.c
// server_pool_update()); a server that accepts connections but is broken then fails requests again.
// Here a probe must pass first: the pool's protocol says what to ask and which answer passes
// (Protocol::probe: a version or a PING, say). The probe uses its own socket, each step bounded by
// the pool's timeout (1 s if none), on the checker's own thread, never on a worker; over TLS when
// the pool's servers speak it.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <asio/generic/stream_protocol.hpp>

#include "proxy/config/config.hpp"
#include "proxy/ejection.hpp"
#include "proxy/transport/tls.hpp"

namespace ringleader::proxy {

/// Probes `endpoint` as `pool` says (protocol and its settings, timeout), over TLS with `tls` (the
/// pool's server_tls context; `peer`: the server's host, whose certificate must name it). Empty on
/// success, else the reason.
std::string probe_server(const config::Pool& pool, const asio::generic::stream_protocol::endpoint& endpoint,
                         const tls::Context* tls = nullptr, const std::string& peer = {});

/// A thread that probes the ejected servers of every registered pool, each pool every
/// health_check_interval (100 ms unless configured), until destroyed.
class HealthChecker {
 public:
  HealthChecker();
  ~HealthChecker();
  HealthChecker(const HealthChecker&) = delete;
  HealthChecker& operator=(const HealthChecker&) = delete;

  /// Checks `health`'s servers from now on (replacing the pool of the same name after a reload).
  void watch(std::shared_ptr<PoolHealth> health);
  /// Stops checking the pool of that name (a reload removed it).
  void unwatch(const std::string& pool);

 private:
  void loop();

  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::vector<std::shared_ptr<PoolHealth>> pools_;
  std::thread thread_;
};

}  // namespace ringleader::proxy
