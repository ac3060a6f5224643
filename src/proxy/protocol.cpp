// Protocol's defaults; see protocol.hpp.
#include "proxy/protocol.hpp"

#include <algorithm>

namespace ringleader::proxy {

// A protocol without a handshake sends nothing, so is never asked to judge one.
Handshake Protocol::handshake(const config::Pool&, Dialect) const { return {}; }

HandshakeVerdict Protocol::judge_handshake(const HandshakeStep&, std::string_view, bool, std::string_view) const {
  return {};
}

std::optional<PoolProblem> Protocol::check(const config::Pool&) const { return std::nullopt; }

bool ProbeStep::passes(std::string_view line) const noexcept {
  return std::any_of(pass.begin(), pass.end(),
                     [&](const std::string& good) { return pass_is_prefix ? line.starts_with(good) : line == good; });
}

}  // namespace ringleader::proxy
