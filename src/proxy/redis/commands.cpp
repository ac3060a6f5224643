// The Redis command table; see commands.hpp.
#include "proxy/redis/commands.hpp"

#include <algorithm>
#include <array>
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

constexpr auto kCommands = std::to_array<CommandSpec>({
    // Strings
    one("GET"), one("SET"), one("SETNX"), one("SETEX"), one("PSETEX"), one("APPEND"), one("STRLEN"),
    one("INCR"), one("DECR"), one("INCRBY"), one("DECRBY"), one("INCRBYFLOAT"), one("GETSET"),
    one("GETDEL"), one("GETEX"), one("GETRANGE"), one("SETRANGE"), one("SUBSTR"), one("GETBIT"),
    one("SETBIT"), one("BITCOUNT"), one("BITPOS"), one("BITFIELD"), one("BITFIELD_RO"), two("LCS"),
    all("MSETNX", 1, 2), {"BITOP", Routing::keys, 2, -1, 1},
    // Keys
    one("EXPIRE"), one("PEXPIRE"), one("EXPIREAT"), one("PEXPIREAT"), one("EXPIRETIME"),
    one("PEXPIRETIME"), one("TTL"), one("PTTL"), one("PERSIST"), one("TYPE"), one("DUMP"),
    one("RESTORE"), one("SORT"), one("SORT_RO"), two("RENAME"), two("RENAMENX"), two("COPY"),
    // Hashes
    one("HSET"), one("HSETNX"), one("HGET"), one("HMSET"), one("HMGET"), one("HDEL"), one("HLEN"),
    one("HSTRLEN"), one("HEXISTS"), one("HKEYS"), one("HVALS"), one("HGETALL"), one("HINCRBY"),
    one("HINCRBYFLOAT"), one("HRANDFIELD"), one("HSCAN"),
    // Lists
    one("LPUSH"), one("RPUSH"), one("LPUSHX"), one("RPUSHX"), one("LPOP"), one("RPOP"), one("LLEN"),
    one("LINDEX"), one("LSET"), one("LRANGE"), one("LTRIM"), one("LREM"), one("LINSERT"), one("LPOS"),
    two("RPOPLPUSH"), two("LMOVE"), of("LMPOP", Routing::numkeys),
    // Sets
    one("SADD"), one("SREM"), one("SCARD"), one("SISMEMBER"), one("SMISMEMBER"), one("SMEMBERS"),
    one("SRANDMEMBER"), one("SPOP"), one("SSCAN"), two("SMOVE"), all("SDIFF"), all("SINTER"),
    all("SUNION"), all("SDIFFSTORE"), all("SINTERSTORE"), all("SUNIONSTORE"),
    of("SINTERCARD", Routing::numkeys),
    // Sorted sets
    one("ZADD"), one("ZREM"), one("ZCARD"), one("ZCOUNT"), one("ZINCRBY"), one("ZRANGE"),
    one("ZRANGEBYSCORE"), one("ZRANGEBYLEX"), one("ZREVRANGE"), one("ZREVRANGEBYSCORE"),
    one("ZREVRANGEBYLEX"), one("ZRANK"), one("ZREVRANK"), one("ZSCORE"), one("ZMSCORE"),
    one("ZREMRANGEBYRANK"), one("ZREMRANGEBYSCORE"), one("ZREMRANGEBYLEX"), one("ZLEXCOUNT"),
    one("ZPOPMIN"), one("ZPOPMAX"), one("ZRANDMEMBER"), one("ZSCAN"), two("ZRANGESTORE"),
    of("ZUNION", Routing::numkeys), of("ZINTER", Routing::numkeys), of("ZDIFF", Routing::numkeys),
    of("ZINTERCARD", Routing::numkeys), of("ZMPOP", Routing::numkeys),
    {"ZUNIONSTORE", Routing::store_numkeys, 2, -1, 1}, {"ZINTERSTORE", Routing::store_numkeys, 2, -1, 1},
    {"ZDIFFSTORE", Routing::store_numkeys, 2, -1, 1},
    // HyperLogLog, geo, streams
    one("PFADD"), all("PFCOUNT"), all("PFMERGE"), one("GEOADD"), one("GEODIST"), one("GEOHASH"),
    one("GEOPOS"), one("GEORADIUS"), one("GEORADIUSBYMEMBER"), one("GEOSEARCH"), two("GEOSEARCHSTORE"),
    one("XADD"), one("XLEN"), one("XRANGE"), one("XREVRANGE"), one("XDEL"), one("XTRIM"),
    // Scripts: the keys follow their count
    {"EVAL", Routing::numkeys, 2, -1, 1}, {"EVALSHA", Routing::numkeys, 2, -1, 1},
    {"EVAL_RO", Routing::numkeys, 2, -1, 1}, {"EVALSHA_RO", Routing::numkeys, 2, -1, 1},
    // Split over servers and merged
    of("MGET", Routing::split_values), of("DEL", Routing::split_count),
    of("UNLINK", Routing::split_count), of("TOUCH", Routing::split_count),
    of("EXISTS", Routing::split_count), of("MSET", Routing::split_pairs, 1, 2),
    // Answered by the proxy
    {"PING", Routing::ping}, {"ECHO", Routing::echo}, {"QUIT", Routing::quit}, {"AUTH", Routing::auth},
    // Meaningless or unsafe through a sharding proxy
    {"KEYS", Routing::unsupported}, {"SCAN", Routing::unsupported}, {"RANDOMKEY", Routing::unsupported},
    {"MULTI", Routing::unsupported}, {"EXEC", Routing::unsupported}, {"DISCARD", Routing::unsupported},
    {"WATCH", Routing::unsupported}, {"UNWATCH", Routing::unsupported},
    {"SUBSCRIBE", Routing::unsupported}, {"PSUBSCRIBE", Routing::unsupported},
    {"UNSUBSCRIBE", Routing::unsupported}, {"PUNSUBSCRIBE", Routing::unsupported},
    {"PUBLISH", Routing::unsupported}, {"BLPOP", Routing::unsupported}, {"BRPOP", Routing::unsupported},
    {"BRPOPLPUSH", Routing::unsupported}, {"BLMOVE", Routing::unsupported}, {"BLMPOP", Routing::unsupported},
    {"BZPOPMIN", Routing::unsupported}, {"BZPOPMAX", Routing::unsupported}, {"BZMPOP", Routing::unsupported},
    {"XREAD", Routing::unsupported}, {"XREADGROUP", Routing::unsupported}, {"WAIT", Routing::unsupported},
    {"SELECT", Routing::unsupported}, {"MOVE", Routing::unsupported}, {"DBSIZE", Routing::unsupported},
    {"FLUSHDB", Routing::unsupported}, {"FLUSHALL", Routing::unsupported}, {"INFO", Routing::unsupported},
    {"CONFIG", Routing::unsupported}, {"CLIENT", Routing::unsupported}, {"MONITOR", Routing::unsupported},
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

bool read_count(std::string_view text, long long& count) {
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), count);
  return ec == std::errc{} && ptr == text.data() + text.size() && count >= 0;
}

}  // namespace

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
    case Routing::keys:
    case Routing::split_values:
    case Routing::split_count:
    case Routing::split_pairs:
      if (size <= first) return false;
      if (last < 0) last += size;
      if (last >= size) return false;
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
