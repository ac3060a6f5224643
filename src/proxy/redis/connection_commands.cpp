// The connection's own commands; see connection_commands.hpp.
#include "proxy/redis/connection_commands.hpp"

#include <atomic>
#include <cctype>
#include <charconv>
#include <optional>

#include <openssl/evp.h>
#include <unistd.h>

#include "proxy/redis/resp.hpp"

namespace ringleader::proxy::redis {
namespace {

std::atomic<std::uint64_t> next_id{1};

std::string integer(std::uint64_t value) { return ":" + std::to_string(value) + "\r\n"; }

// A nil: RESP2's null bulk string, RESP3's null.
std::string_view null(const ConnectionState& state) { return state.resp == 3 ? "_\r\n" : "$-1\r\n"; }

std::string sha256_hex(std::string_view text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(text.data(), text.size(), digest, &size, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < size; ++i) out.append({kHex[digest[i] >> 4], kHex[digest[i] & 15]});
  return out;
}

// A user and password as AUTH and HELLO ... AUTH give them. The default user's password is
// redis_auth; without one it is Redis's `nopass` user, whom any password authenticates. Other users
// are the pool's redis_users, their passwords written out or as `sha256:` hashes.
bool credentials_match(const config::Pool& pool, std::string_view user, std::string_view password) {
  if (user == "default") return pool.redis_auth.empty() || password == pool.redis_auth;
  const auto found = pool.redis_users.find(std::string(user));
  if (found == pool.redis_users.end()) return false;
  const std::string& stored = found->second;
  return stored.starts_with("sha256:") ? stored.substr(7) == sha256_hex(password) : stored == password;
}

constexpr std::string_view kWrongPass = "-WRONGPASS invalid username-password pair or user is disabled.\r\n";

// Redis allows '!' to '~' in a client name (no spaces or newlines: CLIENT LIST is one line each).
bool valid_name(std::string_view name) {
  for (const char c : name)
    if (c < '!' || c > '~') return false;
  return true;
}
constexpr std::string_view kBadName = "Client names cannot contain spaces, newlines or special characters.";

std::string auth(std::span<const std::string_view> args, const config::Pool& pool, ConnectionState& state) {
  if (args.size() != 2 && args.size() != 3) return wrong_arguments(args[0]);
  if (args.size() == 2 && pool.redis_auth.empty())
    return error_reply("AUTH <password> called without any password configured for the default user. "
                 "Are you sure your configuration is correct?");
  // A refused AUTH leaves the connection as it was, authenticated or not, as in Redis.
  if (!(args.size() == 2 ? args[1] == pool.redis_auth : credentials_match(pool, args[1], args[2])))
    return std::string(kWrongPass);
  state.authenticated = true;
  return "+OK\r\n";
}

// HELLO [protover [AUTH username password] [SETNAME clientname]]: options are checked before any
// takes effect, as Redis does.
std::string hello(std::span<const std::string_view> args, const config::Pool& pool, ConnectionState& state) {
  long version = state.resp;  // without a version, the one the client speaks
  if (args.size() >= 2) {
    const std::string_view v = args[1];
    if (std::from_chars(v.data(), v.data() + v.size(), version).ptr != v.data() + v.size() || v.empty())
      return error_reply("Protocol version is not an integer or out of range");
    if (version != 2 && version != 3) return "-NOPROTO unsupported protocol version\r\n";
  }
  std::span<const std::string_view> credentials;
  std::optional<std::string_view> name;
  for (std::size_t i = 2; i < args.size(); ++i) {
    if (iequals(args[i], "AUTH") && i + 2 < args.size()) {
      credentials = args.subspan(i + 1, 2);
      i += 2;
    } else if (iequals(args[i], "SETNAME") && i + 1 < args.size()) {
      name = args[++i];
      if (!valid_name(*name)) return error_reply(kBadName);
    } else {
      return error_reply("Syntax error in HELLO option '" + std::string(args[i]) + "'");
    }
  }
  if (!credentials.empty()) {
    if (!credentials_match(pool, credentials[0], credentials[1])) return std::string(kWrongPass);
    state.authenticated = true;
  }
  if (!state.authenticated)
    return "-NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH "
           "<user> <pass> option can be used to authenticate the client and select the RESP protocol version at the "
           "same time\r\n";
  if (name) state.name = *name;
  state.resp = static_cast<int>(version);
  // Redis's fields, in its order: a map in RESP3, its pairs in an array in RESP2. `version` is the
  // Redis whose commands the proxy knows (clients read it to choose commands); `proxy` says who
  // answered.
  std::string reply = state.resp == 3 ? "%8\r\n" : "*16\r\n";
  for (const std::string_view s : {"server", "redis", "version", "7.0.0", "proto"}) append_bulk(reply, s);
  reply += integer(static_cast<std::uint64_t>(state.resp));
  append_bulk(reply, "id");
  reply += integer(state.id);
  for (const std::string_view s : {"mode", "standalone", "role", "master", "modules"}) append_bulk(reply, s);
  append_array_head(reply, 0);
  append_bulk(reply, "proxy");
  append_bulk(reply, "ringleader");
  return reply;
}

// CLIENT's subcommands about this connection. Those about other clients (LIST, KILL, PAUSE) would
// describe the proxy's own connections to the servers, not the client's: not supported.
std::string client(std::span<const std::string_view> args, ConnectionState& state) {
  if (args.size() < 2) return wrong_arguments(args[0]);
  const std::string_view sub = args[1];
  const auto arity = [&](std::size_t n) { return args.size() == n; };
  const auto wrong = [&] { return wrong_arguments("client|" + lower(sub)); };
  if (iequals(sub, "SETNAME")) {
    if (!arity(3)) return wrong();
    if (!valid_name(args[2])) return error_reply(kBadName);
    state.name = args[2];
    return "+OK\r\n";
  }
  if (iequals(sub, "GETNAME")) {
    if (!arity(2)) return wrong();
    if (state.name.empty()) return std::string(null(state));
    std::string reply;
    append_bulk(reply, state.name);
    return reply;
  }
  if (iequals(sub, "ID")) return arity(2) ? integer(state.id) : wrong();
  if (iequals(sub, "SETINFO")) {
    if (!arity(4)) return wrong();
    if (!iequals(args[2], "LIB-NAME") && !iequals(args[2], "LIB-VER"))
      return error_reply("Unrecognized option '" + std::string(args[2]) + "'");
    return "+OK\r\n";
  }
  // Eviction and LRU hints for this client's commands: the servers' connections are shared, so
  // there is no connection of this client's to set them on; accepted, as they only tune caching.
  if (iequals(sub, "NO-EVICT") || iequals(sub, "NO-TOUCH")) {
    if (!arity(3)) return wrong();
    if (!iequals(args[2], "ON") && !iequals(args[2], "OFF")) return error_reply("syntax error");
    return "+OK\r\n";
  }
  std::string shown;
  for (const char c : sub.substr(0, 32)) shown += std::isprint(static_cast<unsigned char>(c)) ? c : '?';
  return error_reply("command 'CLIENT " + shown + "' is not supported by proxy");
}

// SELECT of the db the pool's servers use (redis_db) is what the client has already.
std::string select(std::span<const std::string_view> args, const config::Pool& pool) {
  if (args.size() != 2) return wrong_arguments(args[0]);
  std::uint64_t db = 0;
  const std::string_view v = args[1];
  if (v.empty() || std::from_chars(v.data(), v.data() + v.size(), db).ptr != v.data() + v.size())
    return error_reply("value is not an integer or out of range");
  if (db != pool.redis_db)
    return error_reply("SELECT " + std::to_string(db) + " is not supported by proxy: the pool's servers use db " +
                 std::to_string(pool.redis_db));
  return "+OK\r\n";
}

// INFO [section ...]: the proxy's Server section (what clients read to learn the version and mode);
// any other section is empty, as Redis answers a section it does not have.
std::string info(std::span<const std::string_view> args, const ConnectionState& state) {
  bool server = args.size() == 1;
  for (const std::string_view section : args.subspan(1))
    server = server || iequals(section, "server") || iequals(section, "all") || iequals(section, "default") ||
             iequals(section, "everything");
  std::string text;
  if (server)
    text = "# Server\r\nredis_version:7.0.0\r\nredis_mode:standalone\r\nproxy:ringleader\r\nprocess_id:" +
           std::to_string(::getpid()) + "\r\n";
  if (state.resp == 3)  // a verbatim string, as Redis answers INFO in RESP3
    return "=" + std::to_string(text.size() + 4) + "\r\ntxt:" + text + "\r\n";
  std::string reply;
  append_bulk(reply, text);
  return reply;
}

}  // namespace

std::string wrong_arguments(std::string_view command) {
  return error_reply("wrong number of arguments for '" + lower(command) + "' command");
}

ConnectionState::ConnectionState(const config::Pool& pool)
    : authenticated(pool.redis_auth.empty()), id(next_id.fetch_add(1, std::memory_order_relaxed)) {}

std::string answer_connection_command(const CommandSpec& spec, std::span<const std::string_view> args,
                                      const config::Pool& pool, ConnectionState& state) {
  std::string reply;
  switch (spec.routing) {
    case Routing::ping:
      if (args.size() > 2) break;
      if (args.size() == 1) return "+PONG\r\n";
      append_bulk(reply, args[1]);
      return reply;
    case Routing::echo:
      if (args.size() != 2) break;
      append_bulk(reply, args[1]);
      return reply;
    case Routing::auth:
      return auth(args, pool, state);
    case Routing::hello:
      return hello(args, pool, state);
    case Routing::client:
      return client(args, state);
    case Routing::select:
      return select(args, pool);
    case Routing::info:
      return info(args, state);
    case Routing::reset:
      // Back to a new connection's state (the name, RESP2 and, where the pool has a password, the
      // authentication); the id stays, as Redis keeps it.
      if (args.size() != 1) break;
      state.name.clear();
      state.authenticated = pool.redis_auth.empty();
      state.resp = 2;
      return "+RESET\r\n";
    default:
      break;
  }
  return wrong_arguments(args[0]);
}

}  // namespace ringleader::proxy::redis
