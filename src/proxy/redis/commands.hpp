// The Redis commands the proxy knows, and how each one is routed.
//
// Source: the key specifications of Redis 7's COMMAND output (first key, last key, step) and
// twemproxy's notes/redis.md (which commands a sharding proxy can serve). A command not in the
// table gets "-ERR ... not supported by proxy": without knowing where its keys are, it cannot be
// routed safely.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ringleader::proxy::redis {

enum class Routing {
  keys,         // keys at first..last by step; all of them must live on one server
  numkeys,      // a count at `first` is followed by that many keys (EVAL, ZUNION, SINTERCARD, ...)
  store_numkeys,// a destination key at 1, then a count at 2 and the keys (ZUNIONSTORE, ...)
  split_values, // MGET: split per server, merged back in the original order
  split_count,  // DEL, UNLINK, TOUCH, EXISTS: split per server, integer replies summed
  split_pairs,  // MSET: key value pairs split per server, +OK when every server said OK
  ping, echo, quit, auth, hello, client, select, reset, info,  // answered by the proxy (connection_commands.hpp)
  transaction,  // MULTI, EXEC, DISCARD, WATCH (its keys), UNWATCH: on a connection of the client's own (pinned.hpp)
  pubsub,       // (P|S)SUBSCRIBE, (P|S)UNSUBSCRIBE: on connections of the client's own (subscriber.hpp)
  fan_out,      // KEYS, SCAN, DBSIZE: every server (fan_out.hpp)
  streams,      // XREAD, XREADGROUP: the keys follow STREAMS, then as many IDs; with BLOCK, it blocks
  unsupported,  // KEYS, SCAN, MULTI, SUBSCRIBE, blocking pops, ...
};

struct CommandSpec {
  std::string_view name;  // upper case
  Routing routing = Routing::keys;
  int first = 1;          // first key index (or the count's index for numkeys)
  int last = 1;           // last key index; negative counts from the end (-1 = last argument)
  int step = 1;
  bool reads = false;     // only reads its keys: a pool with replicas asks one copy (route/replicas.hpp)
  bool blocks = false;    // waits for data (BLPOP ...): on a connection of its own (pinned.hpp)

  /// Whether `args` (args[0] is the command) wait for data: a blocking command, or XREAD/XREADGROUP
  /// with BLOCK.
  bool blocks_with(std::span<const std::string_view> args) const noexcept;
  /// Whether its keys may be split over several servers (MGET, DEL, UNLINK, TOUCH, EXISTS, MSET).
  bool splits() const noexcept {
    return routing == Routing::split_values || routing == Routing::split_count || routing == Routing::split_pairs;
  }
};

/// Names and options are matched in any case, as Redis matches them.
bool iequals(std::string_view a, std::string_view b) noexcept;
/// `text` in lower case (a command's name as Redis's errors show it).
std::string lower(std::string_view text);

/// The spec of a command by name (any case), or nullptr for a command the proxy does not know.
const CommandSpec* find_command(std::string_view name) noexcept;

/// The key arguments of `args` (args[0] is the command name) per `spec`, appended to `keys`.
/// Returns false (wrong number of arguments) when the command has too few arguments for its keys.
bool command_keys(const CommandSpec& spec, std::span<const std::string_view> args,
                  std::vector<std::string_view>& keys);

}  // namespace ringleader::proxy::redis
