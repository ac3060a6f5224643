// The table of protocols; see protocols.hpp.
#include "proxy/protocols.hpp"

#include <algorithm>
#include <span>
#include <stdexcept>

#include "proxy/http/protocol.hpp"
#include "proxy/memcache/protocol.hpp"
#include "proxy/redis/protocol.hpp"

namespace ringleader::proxy {
namespace {

struct Registered {
  std::string_view name;
  const Protocol* protocol;
};

std::span<const Registered> registered() {
  static const Registered table[] = {
      {"memcache", &memcache::protocol()},
      {"redis", &redis::protocol()},
      {"http", &http::protocol()},
  };
  return table;
}

}  // namespace

const Protocol* find_protocol(std::string_view name) noexcept {
  for (const Registered& entry : registered()) {
    if (entry.name == name) return entry.protocol;
  }
  return nullptr;
}

std::string protocol_names() {
  std::string out;
  for (const Registered& entry : registered()) out += (out.empty() ? "" : ", ") + std::string(entry.name);
  return out;
}

const Protocol& protocol_of(const config::Pool& pool) {
  const Protocol* protocol = find_protocol(pool.protocol);
  if (protocol == nullptr) throw std::invalid_argument("pool '" + pool.name + "': no protocol '" + pool.protocol + "'");
  return *protocol;
}

void check_protocols(const config::Config& config) {
  for (const config::Pool& pool : config.pools) {
    const Protocol* protocol = find_protocol(pool.protocol);
    if (protocol == nullptr)
      throw config::ConfigError(config.file, pool.protocol_line, pool.name, "protocol",
                                "'" + pool.protocol + "' is not a protocol (known: " + protocol_names() + ")");
    const auto refuse = [&](const std::string& key, std::string_view reason) {
      const auto given = pool.lines.find(key);
      throw config::ConfigError(config.file, given == pool.lines.end() ? pool.line : given->second, pool.name, key,
                                std::string(reason));
    };
    if (pool.replicas > 1 && !protocol->no_replicas().empty()) refuse("replicas", protocol->no_replicas());
    if (protocol->warm_up_steps() != nullptr) continue;
    const std::string why = "an " + pool.protocol + " pool has no warm-up (moved keys are not read from their previous owner)";
    if (pool.warmup_ms > 0) refuse("warmup_ms", why);
    if (std::any_of(pool.servers.begin(), pool.servers.end(), [](const auto& s) { return s.draining; }))
      refuse("servers", why + "; remove the server instead of draining it");
  }
}

}  // namespace ringleader::proxy
