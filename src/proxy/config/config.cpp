// The nutcracker.yml loader: YAML (yaml-cpp) -> validated Config. Facts and guarantees: config.hpp.
//
// twemproxy's rules (src/nc_conf.c) are reproduced: the document is a mapping of pool names to
// mappings; every value is a scalar except `servers`, a sequence of scalars; a key may appear once;
// numbers are plain non-negative decimal integers; booleans are exactly `true` or `false`; a pool
// needs `listen` and at least one server; server names (the ketama names) are unique in a pool; two
// pools may not share a name or a listen address. Everything twemproxy would reject we reject, with
// the file, the line, the pool and the key.
#include "proxy/config/config.hpp"

#include <algorithm>
#include <filesystem>
#include <cctype>
#include <charconv>
#include <fstream>
#include <initializer_list>
#include <limits>
#include <map>
#include <tuple>
#include <sstream>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include <yaml-cpp/yaml.h>

#include "proxy/config/server_entry.hpp"
#include "ringleader/distribution.hpp"
#include "ringleader/hash/twemproxy.hpp"

namespace ringleader::config {
namespace {

std::string describe(const std::string& file, std::size_t line, const std::string& pool, const std::string& key,
                     const std::string& reason) {
  std::string out = file;
  if (line > 0) out += ":" + std::to_string(line);
  out += ": ";
  if (!pool.empty()) out += "pool '" + pool + "': ";
  if (!key.empty()) out += "key '" + key + "': ";
  return out + reason;
}

// "twemproxy: ketama, modula, random; nginx: nginx; ringleader: modulo, ring, ..."
std::string known_distributions() {
  std::string twemproxy, nginx, ringleader;
  for (const DistributionInfo& d : distributions()) {
    std::string& group = d.twemproxy() ? twemproxy : d.family == DistributionInfo::Family::nginx ? nginx : ringleader;
    group += (group.empty() ? "" : ", ") + std::string(d.name);
  }
  return "twemproxy: " + twemproxy + "; nginx: " + nginx + "; ringleader: " + ringleader;
}

// Reads one pool's mapping. Errors name the file, the line of the offending node, the pool and the key.
class PoolReader {
 public:
  PoolReader(const std::string& file, Pool& pool) : file_(file), pool_(pool) {}

  void read(const YAML::Node& body) {
    if (!body.IsMap()) fail(body, "", "a pool must be a mapping of keys to values");
    std::unordered_set<std::string> seen;
    bool hash_given = false;
    bool ejection_given = false;
    for (const auto& entry : body) {
      const std::string key = scalar(entry.first, "");
      if (!seen.insert(key).second) fail(entry.first, key, "appears twice (twemproxy: \"is a duplicate\")");
      pool_.lines[key] = line_of(entry.first);
      const YAML::Node& value = entry.second;
      if (key == "servers") {
        read_servers(value);
        continue;
      }
      if (key == "redis_users") {
        read_redis_users(value);
        continue;
      }
      const std::string text = scalar(value, key);
      if (key == "listen") {
        try {
          pool_.listen = parse_listen(text);
        } catch (const std::invalid_argument& e) {
          fail(value, key, e.what());
        }
      } else if (key == "hash") {
        if (text != "xxh3" && hash::twemproxy::find(text) == nullptr)
          fail(value, key, "'" + text + "' is not a hash (known: " + hash_names() + ")");
        pool_.hash = text;
        hash_given = true;
      } else if (key == "hash_tag") {
        if (text.size() != 2) fail(value, key, "must be exactly two characters, e.g. \"{}\"");
        pool_.hash_tag = text;
      } else if (key == "distribution") {
        if (find_distribution(text) == nullptr)
          fail(value, key, "'" + text + "' is not a distribution (" + known_distributions() + ")");
        pool_.distribution = text;
      } else if (key == "timeout") {
        // twemproxy treats 0 like its default -1: no timeout.
        const std::uint32_t ms = number(value, key, text);
        pool_.timeout_ms = ms == 0 ? std::nullopt : std::optional<std::uint32_t>(ms);
      } else if (key == "backlog") {
        pool_.backlog = number(value, key, text);
      } else if (key == "client_connections") {
        pool_.client_connections = number(value, key, text);
      } else if (key == "redis") {
        redis_ = boolean(value, key, text);
        redis_line_ = line_of(value);
      } else if (key == "protocol") {
        if (text.empty()) fail(value, key, "must name a protocol, e.g. memcache or redis");
        pool_.protocol = text;
        pool_.protocol_line = line_of(value);
      } else if (key == "redis_auth") {
        pool_.redis_auth = text;
      } else if (key == "redis_auth_user") {
        if (text.empty()) fail(value, key, "must name a user");
        pool_.redis_auth_user = text;
      } else if (key == "redis_db") {
        pool_.redis_db = number(value, key, text);
      } else if (key == "redis_pinned_connections") {
        pool_.redis_pinned_connections = number(value, key, text);
      } else if (key == "redis_fan_out") {
        pool_.redis_fan_out = boolean(value, key, text);
      } else if (key == "preconnect") {
        pool_.preconnect = boolean(value, key, text);
      } else if (key == "auto_eject_hosts") {
        pool_.auto_eject_hosts = boolean(value, key, text);
      } else if (key == "server_connections") {
        pool_.server_connections = number(value, key, text);
        if (*pool_.server_connections == 0) fail(value, key, "cannot be 0");
      } else if (key == "server_retry_timeout") {
        pool_.server_retry_timeout_ms = number(value, key, text);
      } else if (key == "server_failure_limit") {
        pool_.server_failure_limit = number(value, key, text);
      } else if (key == "tcpkeepalive") {
        pool_.tcpkeepalive = boolean(value, key, text);
      } else if (key == "bounded_load") {
        pool_.bounded_load = load_factor(value, key, text);
      } else if (key == "ejection") {
        if (text == "rebuild")
          pool_.ejection = Ejection::rebuild;
        else if (text == "stable")
          pool_.ejection = Ejection::stable;
        else
          fail(value, key, "must be 'rebuild' (twemproxy's) or 'stable'");
        ejection_given = true;
      } else if (key == "max_value_bytes") {
        pool_.max_value_bytes = positive(value, key, text);
      } else if (key == "max_line_bytes") {
        pool_.max_line_bytes = positive(value, key, text);
      } else if (key == "max_replies_in_flight") {
        pool_.max_replies_in_flight = positive(value, key, text);
      } else if (key == "client_output_limit") {
        pool_.client_output_limit = number(value, key, text);
      } else if (key == "client_output_soft_limit") {
        pool_.client_output_soft_limit = number(value, key, text);
      } else if (key == "client_output_soft_seconds") {
        pool_.client_output_soft_seconds = positive(value, key, text);
      } else if (key == "health_check_interval") {
        pool_.health_check_interval_ms = positive(value, key, text);
      } else if (key == "replicas") {
        pool_.replicas = positive(value, key, text);
        replicas_line_ = line_of(value);
      } else if (key == "replica_writes") {
        pool_.replica_writes = one_of<Pool::ReplicaWrites>(value, key, text, {{"all", Pool::ReplicaWrites::all}, {"one", Pool::ReplicaWrites::one}},
                                      "must be 'all' (a write's reply waits for every copy) or 'one' (the first success)");
      } else if (key == "replica_reads") {
        pool_.replica_reads =
            one_of<Pool::ReplicaReads>(value, key, text,
                   {{"first", Pool::ReplicaReads::first}, {"miss_failover", Pool::ReplicaReads::miss_failover}},
                   "must be 'first' (fail over on errors) or 'miss_failover' (on misses too)");
      } else if (key.starts_with("http_") || key == "health_check_path" || key == "client_header_timeout" ||
                 key == "client_idle_timeout") {
        read_http(value, key, text);
      } else if (key.starts_with("tls_") || key.starts_with("server_tls")) {
        read_tls(value, key, text);
      } else if (key == "warmup_ms") {
        pool_.warmup_ms = number(value, key, text);
        warmup_line_ = line_of(value);
      } else if (key.starts_with("etcd")) {
        read_etcd(value, key, text);
      } else if (key.starts_with("dns_")) {
        read_dns(value, key, text);
      } else {
        fail(entry.first, key,
             "unknown key (twemproxy: listen, hash, hash_tag, distribution, timeout, backlog, preconnect, redis, "
             "redis_auth, redis_db, server_connections, auto_eject_hosts, server_retry_timeout, "
             "server_failure_limit, client_connections, tcpkeepalive, servers; ringleader: bounded_load, ejection, "
             "max_value_bytes, max_line_bytes, max_replies_in_flight, client_output_limit, client_output_soft_limit, "
             "client_output_soft_seconds, health_check_interval, protocol, replicas, "
             "replica_writes, replica_reads, warmup_ms, etcd, etcd_prefix, etcd_user, etcd_password, etcd_settle_ms, "
             "etcd_min_servers, etcd_ca, etcd_cert, etcd_key, dns_srv, dns_a, dns_resolver, dns_refresh_ms, dns_min_servers, dns_weight, "
             "http_key, http_key_missing, http_retries, health_check_path, http_underscores_in_headers, "
             "http_max_connections, client_header_timeout, client_idle_timeout, redis_auth_user, redis_users, "
             "redis_pinned_connections, redis_fan_out, tls_cert, tls_key, tls_ca, tls_min_version, tls_ciphers, "
             "tls_handshake_timeout, server_tls, server_tls_ca, server_tls_verify, server_tls_sni, server_tls_cert, "
             "server_tls_key)");
      }
    }
    if (!seen.contains("listen")) fail(body, "listen", "is missing (twemproxy requires it)");
    check_etcd(body, seen);
    check_dns(body, seen);
    if (pool_.servers.empty() && !pool_.etcd && !pool_.dns)
      fail(body, "servers", "the pool has no servers (nor etcd:, dns_srv: or dns_a: to take them from)");
    read_redis_flag();
    // ringleader's own algorithms get ringleader's defaults; twemproxy's keep twemproxy's.
    if (!pool_.distribution_info().twemproxy()) {
      if (!hash_given) pool_.hash = "xxh3";
      if (!ejection_given) pool_.ejection = Ejection::stable;
    }
    check_unique_names(pool_, file_);
    check_tls(seen);
    check_replicas();
    check_warm_up();
    add_warnings(seen);
  }

 private:
  [[noreturn]] void fail(const YAML::Node& at, const std::string& key, const std::string& reason) const {
    throw ConfigError(file_, line_of(at), pool_.name, key, reason);
  }
  // nutcracker's `redis: true|false` spells `protocol: redis|memcache`; given both, they must agree.
  void read_redis_flag() {
    if (!redis_) return;
    const std::string spelled = *redis_ ? "redis" : "memcache";
    if (pool_.protocol_line > 0 && pool_.protocol != spelled)
      throw ConfigError(file_, pool_.protocol_line, pool_.name, "protocol",
                        "'" + pool_.protocol + "' disagrees with 'redis: " + (*redis_ ? "true" : "false") +
                            "' on line " + std::to_string(redis_line_) + " (give one of them)");
    if (pool_.protocol_line == 0) {
      pool_.protocol = spelled;
      pool_.protocol_line = redis_line_;
    }
  }
  static std::size_t line_of(const YAML::Node& n) {
    const YAML::Mark mark = n.Mark();
    return mark.is_null() ? 0 : static_cast<std::size_t>(mark.line) + 1;
  }

  // The value named `text` among `choices`; else fails with `otherwise`.
  template <class T>
  T one_of(const YAML::Node& at, const std::string& key, const std::string& text,
           std::initializer_list<std::pair<std::string_view, T>> choices, const std::string& otherwise) const {
    for (const auto& [name, value] : choices)
      if (text == name) return value;
    fail(at, key, otherwise);
  }

  std::string scalar(const YAML::Node& n, const std::string& key) const {
    if (n.IsNull()) return "";  // `key:` with nothing after it: twemproxy sees an empty string
    if (!n.IsScalar()) fail(n, key, "must be a single value, not a list or a mapping");
    return n.Scalar();
  }

  // twemproxy's nc_atoi: decimal digits only, no sign.
  std::uint32_t number(const YAML::Node& at, const std::string& key, const std::string& text) const {
    std::uint32_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
        ec != std::errc{} || end != text.data() + text.size() || value > std::numeric_limits<std::int32_t>::max())
      fail(at, key, "'" + text + "' is not a number (a non-negative integer below 2^31)");
    return value;
  }

  // A limit: 0 would refuse everything (or, for the interval, spin).
  std::uint32_t positive(const YAML::Node& at, const std::string& key, const std::string& text) const {
    const std::uint32_t n = number(at, key, text);
    if (n == 0) fail(at, key, "cannot be 0");
    return n;
  }

  bool boolean(const YAML::Node& at, const std::string& key, const std::string& text) const {
    if (text == "true") return true;
    if (text == "false") return false;
    fail(at, key, "'" + text + "' is not \"true\" or \"false\"");
  }

  double load_factor(const YAML::Node& at, const std::string& key, const std::string& text) const {
    double c = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), c);
    if (ec != std::errc{} || end != text.data() + text.size() || !(c >= 1.0) || c > 1e6)
      fail(at, key, "'" + text + "' must be a number >= 1 (e.g. 1.25: no server above 125% of the mean)");
    return c;
  }

  void read_servers(const YAML::Node& list) {
    if (!list.IsSequence()) fail(list, "servers", "must be a list of \"host:port:weight [name]\" entries");
    std::vector<Server> lines;
    for (const YAML::Node& item : list) {
      const std::string text = scalar(item, "servers");
      try {
        Server s = parse_server(text);
        s.line = line_of(item);
        lines.push_back(std::move(s));
      } catch (const std::invalid_argument& e) {
        fail(item, "servers", e.what());
      }
    }
    set_server_lines(pool_, std::move(lines));
  }

  // protocol: http's keys (docs/operations.md, "HTTP pools"); only an http pool may give them
  // (the protocol says so: check_protocols).
  void read_http(const YAML::Node& value, const std::string& key, const std::string& text) {
    using Source = Pool::HttpKey::Source;
    if (key == "http_key") {
      const std::size_t colon = text.find(':');
      const std::string source = text.substr(0, colon);
      const std::string name = colon == std::string::npos ? "" : text.substr(colon + 1);
      const std::string choices = "must be uri, path, header:NAME, query:NAME or cookie:NAME";
      if (colon == std::string::npos) {
        pool_.http_key = {one_of<Source>(value, key, text, {{"uri", Source::uri}, {"path", Source::path}}, choices), ""};
      } else {
        const Source from = one_of<Source>(value, key, source,
                                           {{"header", Source::header}, {"query", Source::query}, {"cookie", Source::cookie}}, choices);
        if (name.empty()) fail(value, key, "'" + text + "' names no " + source);
        pool_.http_key = {from, name};
      }
    } else if (key == "http_key_missing") {
      pool_.http_key_missing = one_of<Pool::HttpKeyMissing>(
          value, key, text, {{"random", Pool::HttpKeyMissing::random}, {"reject", Pool::HttpKeyMissing::reject}},
          "must be 'random' (any server) or 'reject' (400 Bad Request)");
    } else if (key == "http_retries") {
      pool_.http_retries = number(value, key, text);
    } else if (key == "http_underscores_in_headers") {
      pool_.http_underscores_in_headers = boolean(value, key, text);
    } else if (key == "http_max_connections") {
      pool_.http_max_connections = number(value, key, text);
    } else if (key == "client_header_timeout") {
      pool_.client_header_timeout_ms = number(value, key, text);
    } else if (key == "client_idle_timeout") {
      pool_.client_idle_timeout_ms = number(value, key, text);
    } else if (key == "health_check_path") {
      if (!text.starts_with("/") || text.find_first_of(" \r\n\t") != std::string::npos)
        fail(value, key, "must be a path starting with '/', without spaces");
      pool_.health_check_path = text;
    } else {
      fail(value, key, "unknown key (http: http_key, http_key_missing, http_retries, health_check_path, "
                       "http_underscores_in_headers, http_max_connections, client_header_timeout, client_idle_timeout)");
    }
  }

  // A PEM file's name, relative to the config file when not absolute (as nginx's are to its prefix):
  // the same file after a daemon's chdir("/").
  std::string pem_file(const YAML::Node& value, const std::string& key, const std::string& text) const {
    if (text.empty()) fail(value, key, "must name a PEM file");
    const std::filesystem::path path(text);
    if (path.is_absolute() || file_ == "<string>") return text;
    return (std::filesystem::path(file_).parent_path() / path).lexically_normal().string();
  }

  // tls_* and server_tls_* (config::Pool::Tls). Files are read when the pool starts (tls::load).
  void read_tls(const YAML::Node& value, const std::string& key, const std::string& text) {
    Pool::Tls& tls = pool_.tls;
    std::string* file = key == "tls_cert" ? &tls.cert : key == "tls_key" ? &tls.key : key == "tls_ca" ? &tls.ca
                      : key == "server_tls_ca" ? &tls.server_ca : key == "server_tls_cert" ? &tls.server_cert
                      : key == "server_tls_key" ? &tls.server_key : nullptr;
    if (file != nullptr) {
      *file = pem_file(value, key, text);
    } else if (key == "tls_min_version") {
      tls.min_version = one_of<std::string>(value, key, text, {{"TLSv1.2", "TLSv1.2"}, {"TLSv1.3", "TLSv1.3"}},
                                            "must be TLSv1.2 or TLSv1.3");
    } else if (key == "tls_ciphers") {
      tls.ciphers = text;
    } else if (key == "tls_handshake_timeout") {
      tls.handshake_timeout_ms = positive(value, key, text);
    } else if (key == "server_tls") {
      tls.server = boolean(value, key, text);
    } else if (key == "server_tls_verify") {
      tls.server_verify = boolean(value, key, text);
    } else if (key == "server_tls_sni") {
      if (text.empty()) fail(value, key, "must name a host");
      tls.server_sni = text;
    } else {
      fail(value, key, "unknown key (TLS: tls_cert, tls_key, tls_ca, tls_min_version, tls_ciphers, "
                       "tls_handshake_timeout, server_tls, server_tls_ca, server_tls_verify, server_tls_sni, "
                       "server_tls_cert, server_tls_key)");
    }
  }

  // A certificate needs its key; client-side keys need tls_cert, server-side ones server_tls: true.
  void check_tls(const std::unordered_set<std::string>& seen) const {
    const auto refuse = [&](const std::string& key, const std::string& reason) {
      throw ConfigError(file_, pool_.lines.at(key), pool_.name, key, reason);
    };
    if (seen.contains("tls_cert") != seen.contains("tls_key"))
      refuse(seen.contains("tls_cert") ? "tls_cert" : "tls_key", "needs both tls_cert and tls_key");
    for (const char* key : {"tls_ca", "tls_min_version", "tls_ciphers", "tls_handshake_timeout"})
      if (seen.contains(key) && !seen.contains("tls_cert"))
        refuse(key, "has no effect without tls_cert and tls_key (TLS to clients)");
    if (seen.contains("server_tls_cert") != seen.contains("server_tls_key"))
      refuse(seen.contains("server_tls_cert") ? "server_tls_cert" : "server_tls_key",
             "needs both server_tls_cert and server_tls_key");
    for (const char* key : {"server_tls_ca", "server_tls_verify", "server_tls_sni", "server_tls_cert", "server_tls_key"})
      if (seen.contains(key) && !pool_.tls.server) refuse(key, "has no effect without server_tls: true");
  }

  // redis_users: a mapping of user name to password, or to `sha256:` and the password's SHA-256 in hex.
  void read_redis_users(const YAML::Node& value) {
    const std::string key = "redis_users";
    if (!value.IsMap()) fail(value, key, "must be a mapping of user name to password (NAME: PASSWORD)");
    for (const auto& user : value) {
      const std::string name = scalar(user.first, key);
      std::string password = scalar(user.second, key);
      if (name.empty() || name.find_first_of(" \t\r\n") != std::string::npos)
        fail(user.first, key, "a user name must be one word");
      if (name == "default") fail(user.first, key, "the default user's password is redis_auth");
      if (password.starts_with("sha256:")) {
        const std::string_view hex = std::string_view(password).substr(7);
        if (hex.size() != 64 || hex.find_first_not_of("0123456789abcdefABCDEF") != std::string_view::npos)
          fail(user.second, key, "'sha256:' must be followed by the 64 hex digits of the password's SHA-256");
        for (auto& c : password) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      }
      if (!pool_.redis_users.emplace(name, password).second) fail(user.first, key, "user '" + name + "' appears twice");
    }
  }

  // The etcd source's keys; `etcd:` itself is a comma-separated list of HOST:PORT.
  void read_etcd(const YAML::Node& value, const std::string& key, const std::string& text) {
    Etcd& etcd = etcd_settings_;
    if (key == "etcd") {
      try {
        etcd.endpoints = parse_etcd_endpoints(text);
      } catch (const std::invalid_argument& e) {
        fail(value, key, e.what());
      }
    } else if (key == "etcd_prefix") {
      if (text.empty()) fail(value, key, "must not be empty: every key under it is a server (e.g. /ringleader/cache/)");
      etcd.prefix = text;
    } else if (key == "etcd_user") {
      etcd.user = text;
    } else if (key == "etcd_password") {
      etcd.password = text;
    } else if (key == "etcd_settle_ms") {
      etcd.settle_ms = number(value, key, text);
    } else if (key == "etcd_min_servers") {
      etcd.min_servers = positive(value, key, text);
    } else if (key == "etcd_ca") {
      etcd.ca = pem_file(value, key, text);
    } else if (key == "etcd_cert") {
      etcd.cert = pem_file(value, key, text);
    } else if (key == "etcd_key") {
      etcd.key = pem_file(value, key, text);
    } else {
      fail(value, key, "unknown key (etcd's: etcd, etcd_prefix, etcd_user, etcd_password, etcd_settle_ms, "
                       "etcd_min_servers, etcd_ca, etcd_cert, etcd_key)");
    }
  }

  // `etcd:` and `etcd_prefix:` go together; the other etcd keys need them.
  void check_etcd(const YAML::Node& body, const std::unordered_set<std::string>& seen) {
    const bool any = std::any_of(seen.begin(), seen.end(), [](const std::string& k) { return k.starts_with("etcd"); });
    if (!any) return;
    if (!seen.contains("etcd")) fail(body, "etcd", "is missing: the pool has etcd settings but no 'etcd: HOST:PORT'");
    if (!seen.contains("etcd_prefix")) fail(body, "etcd_prefix", "is missing: etcd needs the prefix its servers are under");
    if (seen.contains("etcd_password") != seen.contains("etcd_user"))
      fail(body, seen.contains("etcd_user") ? "etcd_password" : "etcd_user", "etcd_user and etcd_password go together");
    if (seen.contains("etcd_cert") != seen.contains("etcd_key"))
      fail(body, seen.contains("etcd_cert") ? "etcd_key" : "etcd_cert", "etcd_cert and etcd_key go together");
    const bool https = std::any_of(etcd_settings_.endpoints.begin(), etcd_settings_.endpoints.end(),
                                   [](const std::string& e) { return e.starts_with("https://"); });
    for (const char* key : {"etcd_ca", "etcd_cert", "etcd_key"})
      if (seen.contains(key) && !https)
        throw ConfigError(file_, pool_.lines.at(key), pool_.name, key, "needs an https:// endpoint in 'etcd:'");
    pool_.etcd = etcd_settings_;
  }

  // The DNS source's keys (docs/operations.md, "Kubernetes").
  void read_dns(const YAML::Node& value, const std::string& key, const std::string& text) {
    Dns& dns = dns_settings_;
    try {
      if (key == "dns_srv") {
        if (text.empty() || text.find_first_of(" :,") != std::string::npos)
          fail(value, key, "'" + text + "' is not a DNS name (e.g. _memcache._tcp.cache.default.svc.cluster.local)");
        dns.srv = text;
      } else if (key == "dns_a") {
        std::tie(dns.a, dns.a_port) = parse_name_port(text);
      } else if (key == "dns_resolver") {
        dns.resolvers = parse_dns_resolvers(text);
      } else if (key == "dns_refresh_ms") {
        dns.refresh_ms = positive(value, key, text);
      } else if (key == "dns_min_servers") {
        dns.min_servers = positive(value, key, text);
      } else if (key == "dns_weight") {
        dns.weight = positive(value, key, text);
      } else {
        fail(value, key, "unknown key (DNS's: dns_srv, dns_a, dns_resolver, dns_refresh_ms, dns_min_servers, dns_weight)");
      }
    } catch (const std::invalid_argument& e) {
      fail(value, key, e.what());
    }
  }

  // One of `dns_srv:` and `dns_a:`; the other DNS keys need it; a pool has one source.
  void check_dns(const YAML::Node& body, const std::unordered_set<std::string>& seen) {
    const bool any = std::any_of(seen.begin(), seen.end(), [](const std::string& k) { return k.starts_with("dns_"); });
    if (!any) return;
    if (seen.contains("dns_srv") && seen.contains("dns_a"))
      fail(body, "dns_a", "a pool takes its servers from dns_srv or from dns_a, not both");
    if (!seen.contains("dns_srv") && !seen.contains("dns_a"))
      fail(body, "dns_srv", "is missing: the pool has DNS settings but no 'dns_srv: NAME' or 'dns_a: NAME:PORT'");
    if (pool_.etcd) fail(body, seen.contains("dns_srv") ? "dns_srv" : "dns_a", "a pool takes its servers from etcd or from DNS, not both");
    pool_.dns = dns_settings_;
  }

  void add_warnings(const std::unordered_set<std::string>& seen) {
    auto warn = [&](const std::string& key, const std::string& text) {
      pool_.warnings.push_back(describe(file_, pool_.line, pool_.name, key, text));
    };
    if (pool_.tls.server && !pool_.tls.server_verify)
      warn("server_tls_verify", "is false: the servers' certificates are not checked, so anyone on the path "
                                "between the proxy and a server can pose as it");
    using Family = DistributionInfo::Family;
    const DistributionInfo& distribution = pool_.distribution_info();
    if (const auto* f = hash::twemproxy::find(pool_.hash); f != nullptr && f->bits < 32) {
      if (distribution.family == Family::ketama)
        warn("hash", "'" + pool_.hash + "' gives only " + std::to_string(f->bits) +
                         "-bit values, so with ketama every key falls in the first 1/" +
                         std::to_string(1ull << (32 - f->bits)) +
                         " of the circle: on one or two servers. Kept for compatibility with twemproxy; "
                         "use fnv1a_64, murmur or md5 for a new pool");
      else if (distribution.family == Family::algorithm)
        warn("hash", "'" + pool_.hash + "' gives only " + std::to_string(f->bits) + "-bit values; '" +
                         pool_.distribution + "' needs a full-width hash (xxh3, the default)");
    }
    if (distribution.family == Family::modula && pool_.auto_eject_hosts && pool_.ejection == Ejection::rebuild)
      warn("auto_eject_hosts", "with modula, ejecting one server moves almost every key to another server");
    if (distribution.family == Family::random && seen.contains("hash"))
      warn("hash", "distribution 'random' ignores the key, so 'hash' has no effect");
    if (distribution.family == Family::nginx && seen.contains("hash"))
      warn("hash", "distribution 'nginx' hashes keys with CRC-32 as nginx does, so 'hash' has no effect");
    if (pool_.bounded_load && distribution.family == Family::nginx)
      warn("bounded_load", "nginx's consistent hash has no bounded loads; use a ringleader algorithm (e.g. ring or maglev)");
    if (pool_.dns && distribution.by_position)
      warn("distribution", "'" + pool_.distribution + "' places keys by the order of the servers, and DNS keeps no " +
                               "slots for servers that left: when one leaves, keys of others move too; use a " +
                               "distribution that places by name (ring, maglev, rendezvous, ketama)");
    if (pool_.bounded_load && distribution.twemproxy())
      warn("bounded_load", "twemproxy's '" + pool_.distribution +
                               "' has no bounded loads; use a ringleader algorithm (e.g. ring or maglev)");
  }

  void check_replicas() const {
    const auto error = [&](const std::string& reason) {
      throw ConfigError(file_, replicas_line_, pool_.name, "replicas", reason);
    };
    if (pool_.replicas > Pool::kMaxReplicas)
      error("at most " + std::to_string(Pool::kMaxReplicas) + " copies of a key");
    // With etcd or DNS the file's servers are only a start (maybe none): theirs may number more, and a
    // membership with fewer live servers than copies keeps as many copies as it has servers.
    if (pool_.replicas > pool_.servers.size() && !pool_.etcd && !pool_.dns)
      error(std::to_string(pool_.replicas) + " copies of each key need at least as many servers; the pool has " +
            std::to_string(pool_.servers.size()));
    if (pool_.replicas == 1) return;
    if (!pool_.distribution_info().keyed())
      error("distribution '" + pool_.distribution + "' puts a key anywhere, so its copies could not be found again");
    if (pool_.bounded_load)
      error("bounded_load moves a key by load, so its copies could not be found again; use one or the other");
  }

  // A warm-up reads a moved key from where the old placement put it, and copies it to one server.
  void check_warm_up() const {
    const bool draining = std::any_of(pool_.servers.begin(), pool_.servers.end(), [](const Server& s) { return s.draining; });
    if (pool_.warmup_ms == 0 && !draining) return;
    const std::string key = pool_.warmup_ms > 0 ? "warmup_ms" : "servers";
    const std::size_t line = pool_.warmup_ms > 0 ? warmup_line_ : pool_.line;
    const auto error = [&](const std::string& reason) { throw ConfigError(file_, line, pool_.name, key, reason); };
    if (!pool_.distribution_info().keyed())
      error("distribution '" + pool_.distribution + "' has no previous owner to warm up from");
    if (pool_.replicas > 1) error("a warm-up (warmup_ms, draining servers) is for pools with one copy of each key (replicas: 1)");
  }

  static std::string hash_names() {
    std::string out;
    for (const auto& f : hash::twemproxy::functions()) out += std::string(f.name) + ", ";
    return out + "xxh3";
  }

  const std::string& file_;
  Pool& pool_;
  std::optional<bool> redis_;        // nutcracker's `redis:`, if given
  std::size_t redis_line_ = 0;
  std::size_t replicas_line_ = 0;   // where replicas was given, if it was
  std::size_t warmup_line_ = 0;     // where warmup_ms was given, if it was
  Etcd etcd_settings_;  // becomes pool_.etcd if the pool has `etcd:`
  Dns dns_settings_;    // becomes pool_.dns if the pool has `dns_srv:` or `dns_a:`
};

}  // namespace

void set_server_lines(Pool& pool, std::vector<Server> lines) {
  pool.servers.clear();
  pool.removed.clear();
  for (std::size_t i = 0; i < lines.size(); ++i) {
    lines[i].position = i;
    (lines[i].removed ? pool.removed : pool.servers).push_back(std::move(lines[i]));
  }
}

// twemproxy rejects two servers with the same ketama name (name, or host for port 11211, else host:port).
void check_unique_names(const Pool& pool, const std::string& file) {
  std::unordered_map<std::string, const Server*> by_name;
  for (const Server& s : pool.servers) {  // not the removed lines: a server may come back under its name
    auto [it, inserted] = by_name.emplace(s.ketama_name(), &s);
    if (!inserted)
      throw ConfigError(file, s.line, pool.name, "servers",
                        "'" + s.text + "' and '" + it->second->text + "' have the same name '" + it->first +
                            "' (twemproxy identifies a server by its name if given, else by host for port 11211, "
                            "else by host:port)");
  }
}

ConfigError::ConfigError(std::string file, std::size_t line, std::string pool, std::string key, std::string reason)
    : std::runtime_error(describe(file, line, pool, key, reason)),
      file_(std::move(file)),
      line_(line),
      pool_(std::move(pool)),
      key_(std::move(key)),
      reason_(std::move(reason)) {}

std::string Server::address() const { return is_unix() ? unix_path : host + ":" + std::to_string(port); }

// The server as placement knows it. The name stays empty when the entry has none: placement then
// knows the member by its address, and twemproxy's ketama hashes the address as nutcracker does.
PlacementMember Server::member() const { return {name, weight, address(), removed}; }

std::string Server::ketama_name() const { return member().ketama_name(); }

std::string Server::node_name() const { return member().identity(); }

namespace {

// Every server line: the servers in order (server i becomes member i: Placement::members() skips
// the removed ones), each removed line put back at its position.
std::vector<PlacementMember> placement_members(const Pool& pool) {
  std::vector<PlacementMember> members;
  members.reserve(pool.servers.size() + pool.removed.size());
  for (const Server& s : pool.servers) members.push_back(s.member());
  std::vector<const Server*> removed;
  for (const Server& s : pool.removed) removed.push_back(&s);
  std::stable_sort(removed.begin(), removed.end(), [](const Server* a, const Server* b) { return a->position < b->position; });
  for (const Server* s : removed)
    members.insert(members.begin() + static_cast<std::ptrdiff_t>(std::min(s->position, members.size())), s->member());
  return members;
}

PlacementSettings placement_settings(const Pool& pool) {
  return {pool.hash, pool.distribution, pool.hash_tag, pool.ejection, pool.bounded_load};
}

}  // namespace

Placement make_placement(const Pool& pool) { return Placement(placement_members(pool), placement_settings(pool)); }

Placement make_placement(const Pool& pool, std::span<const bool> live) {
  return Placement(placement_members(pool), placement_settings(pool), live);
}

const DistributionInfo& Pool::distribution_info() const {
  const DistributionInfo* d = find_distribution(distribution);
  if (d == nullptr) throw std::invalid_argument("unknown distribution '" + distribution + "'");
  return *d;
}

bool Pool::same_settings(const Pool& other) const {
  auto where_written = [](Pool pool) {
    pool.name.clear();
    pool.line = 0;
    pool.protocol_line = 0;
    pool.lines.clear();
    pool.warnings.clear();  // they name lines
    for (auto& server : pool.servers) server.line = 0;
    for (auto& server : pool.removed) server.line = 0;
    return pool;
  };
  return where_written(*this) == where_written(other);
}

const Pool& Config::pool(std::string_view name) const {
  for (const Pool& p : pools)
    if (p.name == name) return p;
  std::string known;
  for (const Pool& p : pools) known += (known.empty() ? "" : ", ") + p.name;
  throw ConfigError(file, 0, std::string(name), "", "no such pool (pools: " + known + ")");
}

const Pool& Config::only_pool() const {
  if (pools.size() == 1) return pools.front();
  std::string known;
  for (const Pool& p : pools) known += (known.empty() ? "" : ", ") + p.name;
  throw ConfigError(file, 0, "", "", "the config has " + std::to_string(pools.size()) + " pools (" + known +
                                         "): name one");
}

std::vector<std::string> Config::warnings() const {
  std::vector<std::string> out;
  for (const Pool& p : pools) out.insert(out.end(), p.warnings.begin(), p.warnings.end());
  return out;
}

Config parse(std::string_view yaml, std::string file) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    throw ConfigError(file, e.mark.is_null() ? 0 : static_cast<std::size_t>(e.mark.line) + 1, "", "",
                      "not valid YAML: " + e.msg);
  }
  if (!root.IsMap() || root.size() == 0)
    throw ConfigError(file, 0, "", "", "the file must be a mapping of pool names to pools (twemproxy: \"has no pools\")");

  Config config;
  config.file = file;
  std::map<std::string, std::string> listens;  // listen address -> pool name
  for (const auto& entry : root) {
    Pool pool;
    const std::size_t line = entry.first.Mark().is_null() ? 0 : static_cast<std::size_t>(entry.first.Mark().line) + 1;
    if (!entry.first.IsScalar() || entry.first.Scalar().empty())
      throw ConfigError(file, line, "", "", "a pool name must be a non-empty string");
    pool.name = entry.first.Scalar();
    pool.line = line;
    for (const Pool& other : config.pools)
      if (other.name == pool.name) throw ConfigError(file, line, pool.name, "", "two pools have this name");
    PoolReader(file, pool).read(entry.second);
    if (auto [it, inserted] = listens.emplace(pool.listen.text, pool.name); !inserted)
      throw ConfigError(file, line, pool.name, "listen",
                        "'" + pool.listen.text + "' is also the listen address of pool '" + it->second + "'");
    // Build the placement once so that anything it cannot place (e.g. a ketama name longer than
    // twemproxy's buffer) is reported now, with the pool, rather than when traffic arrives. A pool
    // with etcd or DNS and no `servers:` gets its servers from there, each checked as it comes.
    try {
      if (!pool.servers.empty()) make_placement(pool);
    } catch (const std::invalid_argument& e) {
      throw ConfigError(file, line, pool.name, "servers", e.what());
    }
    config.pools.push_back(std::move(pool));
  }
  return config;
}

Config load_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(path.string(), 0, "", "", "cannot open the file");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw ConfigError(path.string(), 0, "", "", "cannot read the file");
  return parse(text.str(), path.string());
}

}  // namespace ringleader::config
