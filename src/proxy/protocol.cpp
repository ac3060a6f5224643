// Protocol's defaults; see protocol.hpp.
#include "proxy/protocol.hpp"

namespace ringleader::proxy {

// A protocol without a handshake sends nothing, so is never asked to judge one.
Handshake Protocol::handshake(const config::Pool&) const { return {}; }

HandshakeVerdict Protocol::judge_handshake(const HandshakeStep&, std::string_view, bool, std::string_view) const {
  return {};
}

}  // namespace ringleader::proxy
