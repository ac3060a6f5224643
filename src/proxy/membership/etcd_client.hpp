// EtcdClient: the few calls of etcd's v3 API that membership needs, behind one small interface, so
// the etcd source is tested without an etcd (a fake) and with one (the JSON gateway client).
//
// make_etcd_client() talks to etcd's JSON gateway (POST /v3/kv/range, /v3/watch, /v3/lease/...)
// over HTTP/1.1; why the gateway and not gRPC: docs/operations.md, "Fleet". Every call is blocking,
// bounded by a timeout, and ends at once when cancel() is called from another thread. A call that
// fails on one endpoint leaves the next call to the next endpoint of the list.
//
//   auto etcd = make_etcd_client({"127.0.0.1:2379"});
//   EtcdClient::Range r = etcd->range("/cache/");
//   etcd->watch("/cache/", r.revision + 1, handler);  // until the handler ends it, or throws
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "proxy/transport/tls.hpp"

namespace ringleader::proxy::membership {

/// etcd could not be reached, or refused or did not understand a request.
class EtcdError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct KeyValue {
  std::string key;
  std::string value;
  std::int64_t mod_revision = 0;  // the revision of its last change (range() fills it in)
};

/// One message of a watch: the events of one or more revisions.
struct WatchBatch {
  std::int64_t revision = 0;  // the store's revision when the message was sent
  struct Event {
    bool deleted = false;  // a delete or a lease expiry; else a put
    KeyValue kv;           // kv.value is empty for a delete
  };
  std::vector<Event> events;
  /// Not 0: the watch's start revision was compacted away; the watch is over, read again.
  std::int64_t compact_revision = 0;
  /// The first message of a watch: etcd accepted it (no events, no revision).
  bool created = false;
};

class WatchHandler {
 public:
  virtual ~WatchHandler() = default;
  /// One message. False ends the watch (watch() returns).
  virtual bool on_batch(const WatchBatch& batch) = 0;
  /// How long to wait for the next message before on_quiet(); asked before every wait.
  virtual std::chrono::milliseconds quiet_limit() = 0;
  /// Nothing came for quiet_limit(). False ends the watch; throwing EtcdError fails it.
  virtual bool on_quiet() = 0;
};

class EtcdClient {
 public:
  struct Range {
    std::int64_t revision = 0;
    std::vector<KeyValue> kvs;  // in key order
  };

  virtual ~EtcdClient() = default;
  /// Every key under `prefix`, and the revision they were read at.
  virtual Range range(const std::string& prefix) = 0;
  /// Watches every key under `prefix` from revision `start` on, handing each message to `handler`.
  virtual void watch(const std::string& prefix, std::int64_t start, WatchHandler& handler) = 0;
  /// Whether etcd answers now (a short request): watches are silent while nothing changes, so a
  /// stopped etcd is told from a quiet one by asking.
  virtual void check_alive() = 0;
  /// A lease of `ttl` seconds; its id.
  virtual std::int64_t grant(std::chrono::seconds ttl) = 0;
  /// Renews `lease`; false if it has expired (etcd forgot it).
  virtual bool keep_alive(std::int64_t lease) = 0;
  virtual void revoke(std::int64_t lease) = 0;
  /// `key` = `value`, deleted with `lease` when it expires (0: no lease).
  virtual void put(const std::string& key, const std::string& value, std::int64_t lease) = 0;
  struct Put {
    std::string key;
    std::string value;
    std::int64_t lease = 0;
  };
  /// One transaction: every put, or none if `key` changed since `mod_revision` (0: unless `key` is
  /// absent). True if they were made.
  virtual bool put_if_unchanged(const std::string& key, std::int64_t mod_revision, const std::vector<Put>& puts) = 0;
  /// Ends every call, now and from now on, with an EtcdError. Safe from any thread.
  virtual void cancel() noexcept = 0;
  /// The endpoint the next call goes to ("host:port"), for the log.
  virtual std::string endpoint() const = 0;
};

struct EtcdOptions {
  std::vector<std::string> endpoints;  // "host:port" or "https://host:port", tried in turn
  std::string user{};                  // empty: no authentication
  std::string password{};
  std::chrono::milliseconds timeout{2000};  // of one request (of a watch: until its first answer)
  std::string ca, cert, key;  // https: etcd's CA (the system's if empty); a client certificate (none if empty)
};

/// The JSON gateway client. Throws std::invalid_argument for an endpoint that is not
/// [https://]HOST:PORT, or TLS files that cannot be used (naming etcd_ca, etcd_cert or etcd_key).
std::unique_ptr<EtcdClient> make_etcd_client(EtcdOptions options);

/// The TLS context `options`' https endpoints are reached with (null if none is https), its files
/// read now; `fail` is called for one that cannot be used ("ca", "cert" or "key") and must throw.
std::shared_ptr<const tls::Context> tls_context(const EtcdOptions& options, const tls::FileFailed& fail);

/// The end of etcd's range for every key starting with `prefix` (etcd's GetPrefixRangeEnd).
std::string prefix_range_end(const std::string& prefix);

}  // namespace ringleader::proxy::membership
