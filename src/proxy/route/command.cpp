// route::Command's defaults, for a command of one key that never splits; see command.hpp.
#include "proxy/route/command.hpp"

namespace ringleader::proxy::route {

void Command::one_key(std::size_t, std::string& out) const {
  for (const std::string_view piece : request) out.append(piece);
}

// The Router asks for these only when `splits` is set, which a command without them never sets.
std::shared_ptr<PendingReply> Command::per_key_reply(std::size_t) const { return nullptr; }
void Command::split_request(std::span<const std::uint32_t>, std::string&) const {}
std::shared_ptr<PendingReply> Command::split_reply(const KeysByServer&) const { return nullptr; }

}  // namespace ringleader::proxy::route
