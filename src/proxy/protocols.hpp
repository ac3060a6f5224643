// The protocols a pool can speak, by the name its `protocol:` gives (protocols.cpp holds the one
// table: adding a protocol is its folder plus one line there).
#pragma once

#include <string>
#include <string_view>

#include "proxy/config/config.hpp"
#include "proxy/protocol.hpp"

namespace ringleader::proxy {

/// The protocol of that name, or null.
const Protocol* find_protocol(std::string_view name) noexcept;
/// Every protocol's name, comma-separated, for messages.
std::string protocol_names();
/// The protocol `pool` speaks. Throws std::invalid_argument for a name check_protocols() rejects.
const Protocol& protocol_of(const config::Pool& pool);
/// Throws config::ConfigError (file, line, pool, key 'protocol') if a pool of `config` names a
/// protocol that does not exist.
void check_protocols(const config::Config& config);

}  // namespace ringleader::proxy
