// The table of protocols; see protocols.hpp.
#include "proxy/protocols.hpp"

#include <algorithm>
#include <span>
#include <stdexcept>
#include <utility>

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

std::string article(std::string_view name) { return name.starts_with("http") ? "an" : "a"; }

// The key, given first in `pool`'s file, that only another protocol's pools take, and that protocol.
std::pair<std::string_view, std::string_view> first_key_of_another(const config::Pool& pool, const Protocol& protocol) {
  std::pair<std::string_view, std::string_view> first;
  std::size_t first_line = 0;
  for (const Registered& other : registered()) {
    if (other.protocol == &protocol) continue;
    for (const std::string_view key : other.protocol->own_keys()) {
      const auto given = pool.lines.find(key);
      if (given == pool.lines.end() || (first_line != 0 && given->second >= first_line)) continue;
      const auto own = protocol.own_keys();
      if (std::find(own.begin(), own.end(), key) != own.end()) continue;
      first = {key, other.name};
      first_line = given->second;
    }
  }
  return first;
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
    if (const auto [key, owner] = first_key_of_another(pool, *protocol); !key.empty())
      refuse(std::string(key), "is only valid for " + article(owner) + " " + std::string(owner) + " pool (protocol: " +
                                   std::string(owner) + ")");
    if (const auto problem = protocol->check(pool)) refuse(problem->key, problem->reason);
    if (protocol->warm_up_steps() != nullptr) continue;
    const std::string why = article(pool.protocol) + " " + pool.protocol +
                            " pool has no warm-up (moved keys are not read from their previous owner)";
    if (pool.warmup_ms > 0) refuse("warmup_ms", why);
    if (std::any_of(pool.servers.begin(), pool.servers.end(), [](const auto& s) { return s.draining; }))
      refuse("servers", why + "; remove the server instead of draining it");
  }
}

}  // namespace ringleader::proxy
