// The commands about the client's own connection, answered by the proxy: PING, ECHO, AUTH, HELLO,
// CLIENT (SETNAME, GETNAME, ID, SETINFO, NO-EVICT, NO-TOUCH), SELECT of the pool's db, RESET, and
// INFO (the proxy's own Server section: the servers' INFO would describe one server of many). Client
// libraries send them when they connect (go-redis and Lettuce open with HELLO, redis-py and
// go-redis send CLIENT SETINFO, many send SELECT 0), so refusing them refuses the library.
//
// Source: Redis 7's replies to these commands (networking.c helloCommand, clientCommand), matched
// byte for byte where a client may look at them. A client that says HELLO 3 speaks RESP3 from then
// on (until HELLO 2 or RESET): these replies take RESP3's forms (HELLO's map, a null, INFO's
// verbatim string), and its commands go to servers over connections that speak RESP3 too
// (Protocol dialects), so every reply is the server's own.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "proxy/config/config.hpp"
#include "proxy/redis/commands.hpp"
#include "proxy/redis/protocol.hpp"

namespace ringleader::proxy::redis {

/// What a client's connection carries between its commands.
struct ConnectionState {
  explicit ConnectionState(const config::Pool& pool);

  bool authenticated;  // without redis_auth, always
  std::string name;    // CLIENT SETNAME, HELLO ... SETNAME
  std::uint64_t id;    // CLIENT ID: unique in this process
  int resp = 2;        // the RESP version the client speaks (HELLO 3: 3)

  /// The servers' connections its commands go on: those that speak its RESP version.
  Dialect dialect() const noexcept { return resp == 3 ? kResp3 : 0; }
};

/// The reply to `args` (args[0] is the command), a command whose spec routes it to the proxy
/// (Routing::ping, echo, auth, hello, client, select, reset, info); `state` changes as Redis's would.
std::string answer_connection_command(const CommandSpec& spec, std::span<const std::string_view> args,
                                      const config::Pool& pool, ConnectionState& state);

/// Redis's error reply for `command` given the wrong number of arguments.
std::string wrong_arguments(std::string_view command);

}  // namespace ringleader::proxy::redis
