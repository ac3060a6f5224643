// What `ringleader demo` learns from the proxy it started: its stats port's JSON (twemproxy's
// document: one object per pool, holding one object per server, keyed by the server's name). The
// demo asks these numbers, never the proxy's log text, whose wording is free to change.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace ringleader::cli {

class ProxyStats {
 public:
  /// Reads the document once from the stats port on 127.0.0.1. Throws std::runtime_error if the
  /// port does not answer with JSON.
  explicit ProxyStats(std::uint16_t stats_port);

  /// True if `pool` routes to `server` (by name): the stats list a pool's servers as configured now,
  /// so a reload that added a server shows it.
  bool lists(const std::string& pool, const std::string& server) const;
  /// A counter of `server` in `pool` (twemproxy's names: "server_ejects", "requests", ...); 0 when
  /// the pool does not list the server.
  std::uint64_t server_counter(const std::string& pool, const std::string& server, const std::string& counter) const;

 private:
  nlohmann::json document_;
};

}  // namespace ringleader::cli
