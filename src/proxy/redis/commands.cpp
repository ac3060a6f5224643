// The Redis command table; see commands.hpp.
#include "proxy/redis/commands.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <unordered_map>

namespace ringleader::proxy::redis {
namespace {

constexpr CommandSpec one(std::string_view name) { return {name, Routing::keys, 1, 1, 1}; }
constexpr CommandSpec all(std::string_view name, int first = 1, int step = 1) {
  return {name, Routing::keys, first, -1, step};
}
constexpr CommandSpec two(std::string_view name) { return {name, Routing::keys, 1, 2, 1}; }
constexpr CommandSpec of(std::string_view name, Routing routing, int first = 1, int step = 1) {
  return {name, routing, first, -1, step};
}

// A blocking command: it waits for its keys to have data (pinned.hpp).
constexpr CommandSpec blocks(CommandSpec spec) {
  spec.blocks = true;
  return spec;
}
// BLPOP key [key ...] timeout, and its kind.
constexpr CommandSpec keys_then_timeout(std::string_view name) { return {name, Routing::keys, 1, -2, 1}; }
// A transaction's command without arguments.
constexpr CommandSpec bare(std::string_view name) { return {name, Routing::transaction, 1, 0, 1}; }

// A read: with replicas it goes to one copy of its key (failing over), not to every copy.
constexpr CommandSpec reads(CommandSpec spec) {
  spec.reads = true;
  return spec;
}

constexpr auto kCommands = std::to_array<CommandSpec>({
    // Strings
    reads(one("GET")), one("SET"), one("SETNX"), one("SETEX"), one("PSETEX"), one("APPEND"), reads(one("STRLEN")),
    one("INCR"), one("DECR"), one("INCRBY"), one("DECRBY"), one("INCRBYFLOAT"), one("GETSET"),
    one("GETDEL"), one("GETEX"), reads(one("GETRANGE")), one("SETRANGE"), reads(one("SUBSTR")), reads(one("GETBIT")),
    one("SETBIT"), reads(one("BITCOUNT")), reads(one("BITPOS")), one("BITFIELD"), reads(one("BITFIELD_RO")), reads(two("LCS")),
    all("MSETNX", 1, 2), {"BITOP", Routing::keys, 2, -1, 1},
    // Keys
    one("EXPIRE"), one("PEXPIRE"), one("EXPIREAT"), one("PEXPIREAT"), reads(one("EXPIRETIME")),
    reads(one("PEXPIRETIME")), reads(one("TTL")), reads(one("PTTL")), one("PERSIST"), reads(one("TYPE")), reads(one("DUMP")),
    one("RESTORE"), one("SORT"), reads(one("SORT_RO")), two("RENAME"), two("RENAMENX"), two("COPY"),
    // Hashes
    one("HSET"), one("HSETNX"), reads(one("HGET")), one("HMSET"), reads(one("HMGET")), one("HDEL"), reads(one("HLEN")),
    reads(one("HSTRLEN")), reads(one("HEXISTS")), reads(one("HKEYS")), reads(one("HVALS")), reads(one("HGETALL")), one("HINCRBY"),
    one("HINCRBYFLOAT"), reads(one("HRANDFIELD")), reads(one("HSCAN")),
    // Lists
    one("LPUSH"), one("RPUSH"), one("LPUSHX"), one("RPUSHX"), one("LPOP"), one("RPOP"), reads(one("LLEN")),
    reads(one("LINDEX")), one("LSET"), reads(one("LRANGE")), one("LTRIM"), one("LREM"), one("LINSERT"), reads(one("LPOS")),
    two("RPOPLPUSH"), two("LMOVE"), of("LMPOP", Routing::numkeys),
    // Sets
    one("SADD"), one("SREM"), reads(one("SCARD")), reads(one("SISMEMBER")), reads(one("SMISMEMBER")), reads(one("SMEMBERS")),
    reads(one("SRANDMEMBER")), one("SPOP"), reads(one("SSCAN")), two("SMOVE"), reads(all("SDIFF")), reads(all("SINTER")),
    reads(all("SUNION")), all("SDIFFSTORE"), all("SINTERSTORE"), all("SUNIONSTORE"),
    reads(of("SINTERCARD", Routing::numkeys)),
    // Sorted sets
    one("ZADD"), one("ZREM"), reads(one("ZCARD")), reads(one("ZCOUNT")), one("ZINCRBY"), reads(one("ZRANGE")),
    reads(one("ZRANGEBYSCORE")), reads(one("ZRANGEBYLEX")), reads(one("ZREVRANGE")), reads(one("ZREVRANGEBYSCORE")),
    reads(one("ZREVRANGEBYLEX")), reads(one("ZRANK")), reads(one("ZREVRANK")), reads(one("ZSCORE")), reads(one("ZMSCORE")),
    one("ZREMRANGEBYRANK"), one("ZREMRANGEBYSCORE"), one("ZREMRANGEBYLEX"), reads(one("ZLEXCOUNT")),
    one("ZPOPMIN"), one("ZPOPMAX"), reads(one("ZRANDMEMBER")), reads(one("ZSCAN")), two("ZRANGESTORE"),
    reads(of("ZUNION", Routing::numkeys)), reads(of("ZINTER", Routing::numkeys)), reads(of("ZDIFF", Routing::numkeys)),
    reads(of("ZINTERCARD", Routing::numkeys)), of("ZMPOP", Routing::numkeys),
    {"ZUNIONSTORE", Routing::store_numkeys, 2, -1, 1}, {"ZINTERSTORE", Routing::store_numkeys, 2, -1, 1},
    {"ZDIFFSTORE", Routing::store_numkeys, 2, -1, 1},
    // HyperLogLog, geo, streams
    one("PFADD"), reads(all("PFCOUNT")), all("PFMERGE"), one("GEOADD"), reads(one("GEODIST")), reads(one("GEOHASH")),
    reads(one("GEOPOS")), one("GEORADIUS"), one("GEORADIUSBYMEMBER"), reads(one("GEOSEARCH")), two("GEOSEARCHSTORE"),
    reads({"XREAD", Routing::streams}), {"XREADGROUP", Routing::streams},
    one("XADD"), reads(one("XLEN")), reads(one("XRANGE")), reads(one("XREVRANGE")), one("XDEL"), one("XTRIM"),
    // Scripts: the keys follow their count
    {"EVAL", Routing::numkeys, 2, -1, 1}, {"EVALSHA", Routing::numkeys, 2, -1, 1},
    reads({"EVAL_RO", Routing::numkeys, 2, -1, 1}), reads({"EVALSHA_RO", Routing::numkeys, 2, -1, 1}),
    // Split over servers and merged
    reads(of("MGET", Routing::split_values)), of("DEL", Routing::split_count),
    of("UNLINK", Routing::split_count), of("TOUCH", Routing::split_count),
    reads(of("EXISTS", Routing::split_count)), of("MSET", Routing::split_pairs, 1, 2),
    // Answered by the proxy
    {"PING", Routing::ping}, {"ECHO", Routing::echo}, {"QUIT", Routing::quit}, {"AUTH", Routing::auth},
    {"HELLO", Routing::hello}, {"CLIENT", Routing::client}, {"SELECT", Routing::select},
    {"RESET", Routing::reset}, {"INFO", Routing::info},
    // On a connection of the client's own (pinned.hpp)
    bare("MULTI"), bare("EXEC"), bare("DISCARD"), bare("UNWATCH"), of("WATCH", Routing::transaction),
    blocks(keys_then_timeout("BLPOP")), blocks(keys_then_timeout("BRPOP")), blocks(keys_then_timeout("BZPOPMIN")),
    blocks(keys_then_timeout("BZPOPMAX")),
    blocks(two("BRPOPLPUSH")), blocks(two("BLMOVE")), blocks(of("BLMPOP", Routing::numkeys, 2)),
    blocks(of("BZMPOP", Routing::numkeys, 2)),
    {"SUBSCRIBE", Routing::pubsub}, {"SSUBSCRIBE", Routing::pubsub}, {"PSUBSCRIBE", Routing::pubsub},
    {"UNSUBSCRIBE", Routing::pubsub}, {"SUNSUBSCRIBE", Routing::pubsub}, {"PUNSUBSCRIBE", Routing::pubsub},
    one("PUBLISH"), one("SPUBLISH"),  // to the server its channel's subscribers listen to
    // Meaningless or unsafe through a sharding proxy
    {"KEYS", Routing::fan_out}, {"SCAN", Routing::fan_out}, {"DBSIZE", Routing::fan_out},
    {"RANDOMKEY", Routing::unsupported},
    {"WAIT", Routing::unsupported},
    {"MOVE", Routing::unsupported},
    {"FLUSHDB", Routing::unsupported}, {"FLUSHALL", Routing::unsupported},
    {"CONFIG", Routing::unsupported}, {"MONITOR", Routing::unsupported},
    {"SCRIPT", Routing::unsupported}, {"OBJECT", Routing::unsupported}, {"SAVE", Routing::unsupported},
    {"BGSAVE", Routing::unsupported}, {"SHUTDOWN", Routing::unsupported}, {"SWAPDB", Routing::unsupported},
});

// Command names are at most 32 bytes; longer names are unknown without a lookup.
constexpr std::size_t kMaxName = 32;

const std::unordered_map<std::string_view, const CommandSpec*>& table() {
  static const auto* map = [] {
    auto* m = new std::unordered_map<std::string_view, const CommandSpec*>();
    for (const auto& spec : kCommands) m->emplace(spec.name, &spec);
    return m;
  }();
  return *map;
}

// XREAD [COUNT n] [BLOCK ms] STREAMS key ... id ...: the index of STREAMS (0 if none). An argument
// of an option (a group named "streams") is skipped over with its option.
std::size_t streams_at(std::span<const std::string_view> args) {
  for (std::size_t i = 1; i < args.size(); ++i) {
    if (iequals(args[i], "STREAMS")) return i;
    if (iequals(args[i], "GROUP")) {
      i += 2;  // GROUP group consumer (XREADGROUP)
    } else if (iequals(args[i], "COUNT") || iequals(args[i], "BLOCK")) {
      i += 1;
    }
  }
  return 0;
}

bool read_count(std::string_view text, long long& count) {
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), count);
  return ec == std::errc{} && ptr == text.data() + text.size() && count >= 0;
}

}  // namespace

bool iequals(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](unsigned char x, unsigned char y) {
           return std::tolower(x) == std::tolower(y);
         });
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool CommandSpec::blocks_with(std::span<const std::string_view> args) const noexcept {
  if (blocks) return true;
  if (routing != Routing::streams) return false;
  const std::size_t streams = streams_at(args);
  for (std::size_t i = 1; i < streams; ++i)
    if (iequals(args[i], "BLOCK")) return true;
  return false;
}

const CommandSpec* find_command(std::string_view name) noexcept {
  if (name.empty() || name.size() > kMaxName) return nullptr;
  char upper[kMaxName];
  std::transform(name.begin(), name.end(), upper, [](unsigned char c) {
    return static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
  });
  const auto& map = table();
  const auto it = map.find(std::string_view(upper, name.size()));
  return it == map.end() ? nullptr : it->second;
}

bool command_keys(const CommandSpec& spec, std::span<const std::string_view> args,
                  std::vector<std::string_view>& keys) {
  const auto size = static_cast<long long>(args.size());
  long long first = spec.first;
  long long last = spec.last;
  switch (spec.routing) {
    case Routing::numkeys:
    case Routing::store_numkeys: {
      long long count = 0;
      if (size <= first || !read_count(args[first], count) || count > size - first - 1) return false;
      if (spec.routing == Routing::store_numkeys) keys.push_back(args[1]);
      first += 1;
      last = first + count - 1;
      break;
    }
    case Routing::streams: {
      const auto streams = static_cast<long long>(streams_at(args));
      const long long rest = size - streams - 1;
      if (streams == 0 || rest <= 0 || rest % 2 != 0) return false;
      first = streams + 1;
      last = streams + rest / 2;
      break;
    }
    case Routing::transaction:
      if (last == 0) return size == 1;  // MULTI, EXEC, DISCARD, UNWATCH take no arguments
      [[fallthrough]];
    case Routing::keys:
    case Routing::split_values:
    case Routing::split_count:
    case Routing::split_pairs:
      if (size <= first) return false;
      if (last < 0) last += size;
      if (last >= size || last < first) return false;
      // Pair commands need a value after every key.
      if (spec.step > 1 && (size - first) % spec.step != 0) return false;
      break;
    default:
      return true;
  }
  for (long long i = first; i <= last; i += spec.step) keys.push_back(args[static_cast<std::size_t>(i)]);
  return true;
}

}  // namespace ringleader::proxy::redis
