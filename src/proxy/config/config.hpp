// The proxy's configuration: twemproxy's nutcracker.yml, read as-is, plus ringleader's additions.
//
// Source of the facts: twemproxy 0.5.0 (src/nc_conf.c, nc_conf.h and its README "Configuration"):
// every key it accepts, its defaults, and its server syntax `host:port:weight [name]` or
// `/unix/path:weight [name]`. A file nutcracker accepts loads here with the same meaning; keys it
// rejects are rejected here too, with a message naming the file, line, pool and key.
//
// Our additions use the same format: `distribution:` also accepts every ringleader algorithm
// (ring, jump, anchor, memento, maglev, rendezvous, multiprobe, ...), `hash:` also accepts `xxh3`,
// `bounded_load: c` (c >= 1), `ejection: rebuild|stable`, `protocol: NAME` (memcache, the default,
// or redis; nutcracker's `redis: true` is the same as `protocol: redis`), and the limits
// `max_value_bytes`, `max_line_bytes`, `max_replies_in_flight` and `health_check_interval`,
// `replicas`, `replica_writes`, `replica_reads` and `warmup_ms` (docs/operations.md), whose defaults are what the
// proxy did before they existed, and the etcd source's `etcd`, `etcd_prefix`, `etcd_user`,
// `etcd_password`, `etcd_settle_ms`, `etcd_min_servers`, the DNS source's `dns_srv`, `dns_a`,
// `dns_resolver`, `dns_refresh_ms`, `dns_min_servers`, `dns_weight`, and for http pools `http_key`,
// `http_key_missing`, `http_retries`, `health_check_path`, `http_underscores_in_headers`,
// `client_header_timeout`, `client_idle_timeout`. Which protocol
// names exist, and which keys a protocol's pools may give, are the proxy's to say
// (src/proxy/protocols.cpp, check_protocols): this loader reads every key, records the protocol's
// name and the line of each key, and names no protocol beyond nutcracker's own `redis:` flag.
//
//   ringleader::config::Config c = ringleader::config::load_file("nutcracker.yml");
//   const ringleader::config::Pool& pool = c.pool("alpha");
//   ringleader::Placement placement = ringleader::config::make_placement(pool);
//   const ringleader::config::Server& s = pool.servers[placement.server_for("user:42")];
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "ringleader/placement.hpp"

namespace ringleader::config {

/// A config that cannot be used. what() reads "FILE:LINE: pool 'NAME': key 'KEY': reason"
/// (parts that do not apply are left out); the parts are also available one by one.
class ConfigError : public std::runtime_error {
 public:
  ConfigError(std::string file, std::size_t line, std::string pool, std::string key, std::string reason);

  const std::string& file() const noexcept { return file_; }
  std::size_t line() const noexcept { return line_; }  // 1-based; 0 when unknown
  const std::string& pool() const noexcept { return pool_; }
  const std::string& key() const noexcept { return key_; }
  const std::string& reason() const noexcept { return reason_; }

 private:
  std::string file_;
  std::size_t line_;
  std::string pool_;
  std::string key_;
  std::string reason_;
};

/// Where a pool listens: `host:port` (TCP) or `/path [permissions]` (unix socket).
struct Listen {
  std::string text;        // as written in the config
  std::string host;        // TCP host name or address; empty for a unix socket
  std::uint16_t port = 0;  // TCP port; 0 for a unix socket
  std::string unix_path;   // unix socket path; empty for TCP
  std::optional<std::uint32_t> unix_permissions;  // octal mode after the path, e.g. 0666

  bool is_unix() const noexcept { return !unix_path.empty(); }
  bool operator==(const Listen&) const = default;
};

/// One backend server entry.
struct Server {
  std::string text;        // the entry exactly as written: "host:port:weight" or "host:port:weight name"
  std::string host;        // TCP host; empty for a unix socket
  std::uint16_t port = 0;  // TCP port; 0 for a unix socket
  std::string unix_path;   // unix socket path; empty for TCP
  std::uint32_t weight = 1;
  std::string name;        // the optional name after the address; empty when absent
  std::size_t line = 0;    // line of the entry in the config file
  /// `... draining` (a trailing word): a planned leave. Its keys go to their next owners, which
  /// warm up from it (docs/warmup.md), until a change removes it.
  bool draining = false;
  /// `... removed` (a trailing word): a server that left but keeps its slot, so that in a jump,
  /// anchor, memento or modulo pool only its keys moved (docs/operations.md, "Stable slots"). It
  /// takes no keys and has no connections: such lines are in Pool::removed, not Pool::servers.
  bool removed = false;
  /// Index among the pool's server lines, removed ones included: where a removed line's slots are.
  std::size_t position = 0;

  bool is_unix() const noexcept { return !unix_path.empty(); }
  /// The address part of the entry without the weight: "host:port" or "/path".
  std::string address() const;
  /// The server as a placement member: (name, weight, address()).
  PlacementMember member() const;
  /// The string twemproxy hashes for this server's ketama points: the name if there is one, else the
  /// host alone when the port is 11211 (libmemcached's convention), else "host:port". For a unix
  /// socket without a name, the path and a colon (PlacementMember::ketama_name()).
  std::string ketama_name() const;
  /// The stable identity of the server for ringleader's own algorithms: the name if any, else the
  /// address. Keys follow names, so renaming a host moves nothing if the entry has a name.
  std::string node_name() const;

  bool operator==(const Server&) const = default;
};

/// How keys move when a server is ejected (auto_eject_hosts): placement's Ejection.
using Ejection = ringleader::Ejection;

/// Where a pool's members come from when etcd keeps them (`etcd:` and `etcd_prefix:`): every key under
/// the prefix holds one server line, as in `servers:` (docs/operations.md, "Fleet").
struct Etcd {
  std::vector<std::string> endpoints;  // "host:port" or "https://host:port", from `etcd:`, tried in turn
  std::string prefix;                  // `etcd_prefix:`
  std::string user;                    // `etcd_user:`; empty: etcd without authentication
  std::string password;                // `etcd_password:`
  std::uint32_t settle_ms = 100;       // `etcd_settle_ms:`: changes this close together are applied as one
  std::uint32_t min_servers = 1;       // `etcd_min_servers:`: a smaller membership is refused (logged)
  /// For https:// endpoints: `etcd_ca` (the system's CAs if empty), and a client certificate
  /// (`etcd_cert`, `etcd_key`) for an etcd started with --client-cert-auth.
  std::string ca, cert, key;

  bool operator==(const Etcd&) const = default;
};

/// Where a pool's members come from when DNS publishes them (`dns_srv:` or `dns_a:`), re-resolved
/// every `dns_refresh_ms` or the answer's TTL (docs/operations.md, "Kubernetes").
struct Dns {
  std::string srv;                       // `dns_srv: NAME`: one server per SRV target; empty with dns_a
  std::string a;                         // `dns_a: NAME:PORT`: one server per A/AAAA address; the NAME
  std::uint16_t a_port = 0;              //   and the PORT
  std::vector<std::string> resolvers;    // `dns_resolver: IP:PORT[,...]`; empty: /etc/resolv.conf
  std::optional<std::uint32_t> refresh_ms;  // `dns_refresh_ms:`; absent: the answer's TTL, at least 1 s
  std::uint32_t min_servers = 1;         // `dns_min_servers:`: a smaller answer is refused (logged)
  std::optional<std::uint32_t> weight;   // `dns_weight:`: every server's weight; absent: SRV weight (A: 1)

  /// The name asked, as the log and the stats say it.
  const std::string& name() const noexcept { return srv.empty() ? a : srv; }
  bool operator==(const Dns&) const = default;
};

/// How much of its replies a client may leave unread (Redis's client-output-buffer-limit): past
/// `hard` bytes, or above `soft` bytes for longer than `soft_for`, it is closed. 0: no limit.
struct OutputLimit {
  std::size_t hard = 0;
  std::size_t soft = 0;
  std::chrono::seconds soft_for{0};
};

/// One pool (a top-level key of nutcracker.yml). Defaults are twemproxy's (nc_conf.h).
struct Pool {
  std::string name;
  std::size_t line = 0;  // line of the pool's name in the file
  std::map<std::string, std::size_t, std::less<>> lines;  // the line of each key the file gives

  Listen listen;
  std::string hash = "fnv1a_64";       // a twemproxy hash name, or "xxh3" (the default for ringleader's algorithms)
  std::string hash_tag;                // empty, or exactly two characters
  std::string distribution = "ketama"; // as written: ringleader::distributions() lists the names
  std::optional<std::uint32_t> timeout_ms;  // absent: wait forever (twemproxy's -1)
  std::uint32_t backlog = 512;
  bool preconnect = false;
  std::string protocol = "memcache";   // `protocol:`, or "redis" for nutcracker's `redis: true`
  std::size_t protocol_line = 0;       // where the protocol was given; 0: the default
  std::string redis_auth;              // empty: no AUTH; the default user's password, to clients and servers
  std::string redis_auth_user;         // the user the proxy AUTHs as to its servers (empty: the default user)
  /// Redis ACL users a client may AUTH as, besides the default one: name -> password as written
  /// (`sha256:` and 64 hex digits: the password's SHA-256, so the file need not hold it).
  std::map<std::string, std::string> redis_users;
  std::uint32_t redis_db = 0;
  /// Connections of a client's own (transactions, blocking commands, subscriptions) a worker thread
  /// may have open for the pool; a client past it gets an error.
  std::uint32_t redis_pinned_connections = 1000;
  /// KEYS, SCAN and DBSIZE go to every server (false: refused, for large fleets).
  bool redis_fan_out = true;
  /// Connections per server and worker thread: memcache and redis pools open one whatever it says
  /// (twemproxy compatibility); an http pool keeps this many free kept-alive ones (32 if not given).
  std::optional<std::uint32_t> server_connections;
  bool auto_eject_hosts = false;
  std::uint32_t server_retry_timeout_ms = 30'000;
  std::uint32_t server_failure_limit = 2;
  std::uint32_t client_connections = 0;  // 0: unlimited
  bool tcpkeepalive = false;

  // ringleader's additions.
  /// c >= 1: no server holds more than ceil(c x mean load) of the requests in flight
  /// (Placement::server_for with loads; each proxy worker thread counts its own requests).
  std::optional<double> bounded_load;
  /// rebuild for twemproxy's distributions (ketama, modula, random: what nutcracker does), stable for
  /// ringleader's algorithms, unless `ejection:` says otherwise.
  Ejection ejection = Ejection::rebuild;
  /// Larger values (memcached data blocks, Redis bulk strings) are refused with the protocol's error.
  /// Absent: the protocol's own limit (memcached 16 MiB, Redis 64 MiB).
  std::optional<std::uint32_t> max_value_bytes;
  /// A longer memcached command line or Redis inline command loses the framing: error, then close.
  std::uint32_t max_line_bytes = 64 * 1024;
  /// A client's replies waiting to be written: past it, its requests are not read until it reads.
  std::uint32_t max_replies_in_flight = 4096;
  /// `client_output_limit`, `client_output_soft_limit` (bytes; 0: none) and
  /// `client_output_soft_seconds`: absent, output_limit() derives them from the largest value.
  std::optional<std::uint32_t> client_output_limit;
  std::optional<std::uint32_t> client_output_soft_limit;
  std::uint32_t client_output_soft_seconds = 10;
  /// The limits a client is held to; `value_limit` is the largest value the protocol lets through
  /// (max_value_bytes, or its own). The defaults never close a client that reads its replies, even
  /// one that pipelines 16 of the largest values and reads them slower than the server sends: hard
  /// 16 x value_limit, soft 4 x value_limit for client_output_soft_seconds, and at least 64 and
  /// 16 MiB (a pool of small values still answers deep pipelines).
  OutputLimit output_limit(std::size_t value_limit) const noexcept {
    constexpr std::size_t kLeastHard = 64 << 20, kLeastSoft = 16 << 20;
    return {client_output_limit.value_or(std::max(16 * value_limit, kLeastHard)),
            client_output_soft_limit.value_or(std::max(4 * value_limit, kLeastSoft)),
            std::chrono::seconds(client_output_soft_seconds)};
  }
  /// How often the ejected servers are probed (health_check.hpp).
  std::uint32_t health_check_interval_ms = 100;
  /// Copies of each key, on the first `replicas` distinct live servers of its probe order
  /// (Placement::servers_for): 1 is twemproxy's one copy; at most the number of servers.
  std::uint32_t replicas = 1;
  static constexpr std::uint32_t kMaxReplicas = 16;
  /// all: a write's reply waits for every copy and is the worst of them (mcrouter's AllSync);
  /// one: the first success answers, the other copies are written in the background.
  enum class ReplicaWrites { all, one } replica_writes = ReplicaWrites::all;
  /// first: a read goes to the first live copy, and to the next only when a server fails or times
  /// out; miss_failover: a miss is also asked of the next copy (while a replaced server refills).
  enum class ReplicaReads { first, miss_failover } replica_reads = ReplicaReads::first;
  /// For this long after a membership change, a miss of a key whose owner changed is asked of its
  /// previous owner and copied to the new one (docs/warmup.md). 0: off.
  std::uint32_t warmup_ms = 0;

  /// Members from etcd; absent: from the file only.
  std::optional<Etcd> etcd;
  /// Members from DNS; absent: from the file (or etcd) only. Never both etcd and dns.
  std::optional<Dns> dns;

  /// protocol: http (src/proxy/http/): a request's key (`http_key`), routing without one
  /// (`http_key_missing`), retries of idempotent requests (`http_retries`), and the health probe.
  struct HttpKey {
    enum class Source { uri, path, header, query, cookie } source = Source::uri;
    std::string name;  // the header, query parameter or cookie
    bool operator==(const HttpKey&) const = default;
  } http_key;
  enum class HttpKeyMissing { random, reject } http_key_missing = HttpKeyMissing::random;
  std::uint32_t http_retries = 1;
  std::string health_check_path = "/";
  /// `http_underscores_in_headers`: forward request fields whose names hold '_' (nginx's
  /// underscores_in_headers); off, they are dropped, since a server that reads '_' as '-' would see
  /// a field ("Transfer_Encoding") the proxy did not frame the request by.
  bool http_underscores_in_headers = false;
  /// `client_header_timeout` (ms, 0: none): a client that began a request and has not sent all of
  /// its head within this time is closed (a slowloris); nginx's client_header_timeout, 60 s.
  std::uint32_t client_header_timeout_ms = 60'000;
  /// `client_idle_timeout` (ms, 0: none): a kept-alive client that owes no request and is owed no
  /// response is closed after this long without sending one (nginx's keepalive_timeout is 75 s).
  std::uint32_t client_idle_timeout_ms = 60'000;
  /// `http_max_connections`: connections open at once per server and worker thread (0: no limit);
  /// past it requests wait for a free one up to the pool's `timeout`, then get 503.
  std::uint32_t http_max_connections = 0;

  /// TLS (docs/operations.md, "TLS"; src/proxy/transport/tls.hpp). To clients: `tls_cert` and
  /// `tls_key` (PEM files; both or neither); `tls_ca`: clients must show a certificate it signed
  /// (mTLS); `tls_min_version` (TLSv1.2 or TLSv1.3); `tls_ciphers` (OpenSSL's list for TLS 1.2; its
  /// defaults if empty); `tls_handshake_timeout` (ms): a client not through its handshake by then is
  /// closed. To servers: `server_tls: true`, the server's certificate checked against
  /// `server_tls_ca` (the system's CAs if empty) and its name unless `server_tls_verify: false`;
  /// `server_tls_sni` (the server's host if empty); `server_tls_cert`/`server_tls_key` (mTLS).
  struct Tls {
    std::string cert, key, ca, min_version = "TLSv1.2", ciphers;
    std::uint32_t handshake_timeout_ms = 10'000;
    bool server = false;
    std::string server_ca, server_sni, server_cert, server_key;
    bool server_verify = true;
    bool operator==(const Tls&) const = default;
  } tls;

  /// In file order (twemproxy sorts them by name internally; Placement reproduces that where it matters).
  /// With `etcd` or `dns`, the servers used until the source first answers; may then be empty.
  std::vector<Server> servers;
  /// The lines marked ` removed`, in file order: placement keeps their slots (Server::position).
  std::vector<Server> removed;
  /// Things that load but probably do not do what the author wants (e.g. a hash whose quirks put
  /// every key on one server). Each reads "FILE:LINE: pool 'NAME': key 'KEY': ...".
  std::vector<std::string> warnings;

  /// What `distribution` names (std::invalid_argument if it names none: a loaded pool always does).
  const DistributionInfo& distribution_info() const;
  /// Every member compared: a setting added later is compared without anyone listing it.
  bool operator==(const Pool&) const = default;
  /// The same settings and servers, wherever and under whatever name they are written (a reload
  /// that only moved lines or renamed the pool changes nothing).
  bool same_settings(const Pool& other) const;
};

struct Config {
  std::string file;  // the file it came from ("<string>" for parse())
  std::vector<Pool> pools;  // in the order of the file

  /// The pool of that name; throws ConfigError naming the known pools if absent.
  const Pool& pool(std::string_view name) const;
  /// The only pool; throws ConfigError if there are several (the caller must name one).
  const Pool& only_pool() const;
  /// Every pool's warnings, in file order.
  std::vector<std::string> warnings() const;
};

/// The pool's servers (server i is member i) and its placement settings, placed: no listen address,
/// auth or timeouts, only what decides where a key goes. live[i] says whether servers[i] takes
/// traffic (live.size() == servers.size()). Throws std::invalid_argument as Placement does (never
/// for a Pool from load_file()/parse(): they are checked when loaded).
Placement make_placement(const Pool& pool);
Placement make_placement(const Pool& pool, std::span<const bool> live);

/// Sets the pool's servers from its server lines in order (a file's `servers:`, or etcd's values):
/// each line's position, the removed ones into pool.removed, the others into pool.servers.
void set_server_lines(Pool& pool, std::vector<Server> lines);

/// Throws ConfigError (naming `file` and the later server's line) if two servers of `pool` have the
/// same ketama name, which twemproxy refuses: a membership source checks the lists it brings too.
void check_unique_names(const Pool& pool, const std::string& file);

/// Reads and validates a nutcracker.yml file. Throws ConfigError.
Config load_file(const std::filesystem::path& path);
/// Parses and validates YAML text; `file` is used in messages. Throws ConfigError.
Config parse(std::string_view yaml, std::string file = "<string>");

}  // namespace ringleader::config
