// TLS beneath Transport: a pool's contexts (built from its tls_* and server_tls_* keys) and one
// connection's TLS state.
//
// OpenSSL reads and writes the connection's non-blocking socket itself (SSL_set_fd): a TLS read
// returns would_block exactly where a plain read would, so the proxy's loops stay as they are.
// Writes run in OpenSSL's partial-write mode, so a write takes what the socket takes, whole records
// at a time, and the caller retries the rest as it would after a short write.
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>

#include <asio/buffer.hpp>

#include "proxy/config/config.hpp"

struct ssl_ctx_st;
struct ssl_st;

namespace ringleader::proxy::tls {

class Sessions;  // tls.cpp
struct KeptFor;

/// An OpenSSL context: certificates, CAs and versions. Shared by every connection of a pool on every
/// worker thread (OpenSSL allows that once it is built).
class Context {
 public:
  enum class Side { accept, connect };
  explicit Context(Side side);
  ~Context();
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  ssl_ctx_st* get() const noexcept { return ctx_; }
  Side side() const noexcept { return side_; }
  /// connect side: the server's certificate is checked (its CA and its name).
  bool verifies() const noexcept { return verify_; }
  void set_verifies(bool verify) noexcept { verify_ = verify; }
  /// connect side: the name sent (SNI) and checked, instead of the server's host.
  const std::string& server_name() const noexcept { return server_name_; }
  void set_server_name(std::string name) { server_name_ = std::move(name); }
  /// accept side: the protocol name chosen when a client offers it by ALPN ("http/1.1").
  void set_alpn(std::string_view name);
  /// connect side: the newest resumable session of each server, shared by every connection made
  /// with this context on every worker (Session keeps them and offers them).
  const std::shared_ptr<Sessions>& sessions() const noexcept { return sessions_; }

 private:
  ssl_ctx_st* ctx_;
  Side side_;
  std::shared_ptr<Sessions> sessions_;
  bool verify_ = true;
  std::string server_name_;
  std::string alpn_;  // as ALPN writes it: its length, then the name
};

/// A pool's TLS: to its clients, to its servers, or both (a null context: plaintext that way).
/// Certificates read again (reload(), on SIGHUP) serve the handshakes after; connections open keep
/// theirs, so none is dropped.
class PoolTls {
 public:
  /// Builds `pool`'s contexts, reading its certificate, key and CA files now. Throws
  /// config::ConfigError naming `file`, the key's line and what OpenSSL said. Null if the pool uses
  /// no TLS. `alpn`: the protocol's name for ALPN (Protocol::alpn), chosen when a client offers it.
  static std::shared_ptr<PoolTls> load(const config::Pool& pool, const std::string& file, std::string_view alpn);
  /// Reads the files again. Throws as load() does, and then the contexts in use stay.
  void reload(const config::Pool& pool, const std::string& file, std::string_view alpn);

  std::shared_ptr<const Context> clients() const noexcept { return clients_.load(); }
  std::shared_ptr<const Context> servers() const noexcept { return servers_.load(); }

 private:
  std::atomic<std::shared_ptr<const Context>> clients_;
  std::atomic<std::shared_ptr<const Context>> servers_;
};

/// A file of a context could not be used: `which` is "ca", "cert" or "key", `problem` names the file
/// and says what is wrong with it. Must throw (an error naming the caller's key for it, say).
using FileFailed = std::function<void(const char* which, const std::string& problem)>;

/// How to connect to a server: its CA (the system's if empty), a client certificate and key (none
/// if empty), the least version, whether the certificate is checked, the name checked (SNI).
struct ConnectSettings {
  std::string ca{}, cert{}, key{};
  std::string min_version = "TLSv1.2";
  bool verify = true;
  std::string server_name{};
};
std::shared_ptr<const Context> connect_context(const ConnectSettings& settings, const FileFailed& fail);

/// Errors of OpenSSL ("wrong version number") and of certificate checks ("certificate has expired").
const std::error_category& error_category() noexcept;
const std::error_category& verify_category() noexcept;

/// One connection's TLS: the SSL object over the connection's socket.
class Session {
 public:
  Session() = default;
  /// Over `fd` (not owned), as `context` says. Connect side: `peer` is the server's host (its name
  /// is sent and checked unless the context names another); with a `server` (its address, say),
  /// the handshake resumes the newest session any connection to it was given, and the sessions this
  /// one is given are kept for the next (a new connection, a reconnect after a fault, another
  /// worker's first: none costs a full handshake). The server's certificate is not checked again
  /// on a resumed session: it vouched for it.
  Session(const Context& context, int fd, const std::string& peer, const std::string& server = {});
  explicit operator bool() const noexcept { return ssl_ != nullptr; }

  enum class Want { nothing, read, write };
  /// One step of the handshake: what to wait for before the next, or nothing once it is done
  /// (or failed: ec).
  Want handshake(std::error_code& ec);
  /// The whole handshake on a socket waited for by poll (the health probe's, etcd's): `wait` waits
  /// for what a step wants, and throws if it cannot in time. Returns why the handshake failed.
  std::error_code handshake_polled(const std::function<void(Want)>& wait);
  /// Bytes are waiting inside OpenSSL: a read will find them without the socket.
  bool pending() const noexcept;
  /// Reads what is there (would_block if nothing, eof at the end).
  std::size_t read(asio::mutable_buffer into, std::error_code& ec);
  /// Writes what the socket takes now (0 if it takes nothing). Called again after a short write,
  /// the bytes after those written must start the same way (they do: the caller's rest).
  std::size_t write(const asio::const_buffer* buffers, std::size_t count, std::error_code& ec);
  /// After a short write: what to wait for before writing the rest.
  Want write_wants() const noexcept { return want_; }
  /// Sends close_notify if the socket takes it at once; never waits.
  void shut_down() noexcept;

  /// The handshake resumed a session.
  bool resumed() const noexcept;

 private:
  struct Free {
    void operator()(ssl_st* ssl) const noexcept;
  };
  std::size_t write_one(const void* data, std::size_t size, std::error_code& ec);
  void fail(int result, std::error_code& ec);

  std::unique_ptr<ssl_st, Free> ssl_;
  std::shared_ptr<KeptFor> kept_for_;  // where the sessions given are kept (OpenSSL points at it)
  bool failed_ = false;  // OpenSSL forbids shutdown after a fatal error
  bool read_blocked_ = false;  // the last read needed the socket: what is read ahead is not a whole record
  Want want_ = Want::nothing;
  std::string gathered_;  // small buffers written as one record
};

}  // namespace ringleader::proxy::tls
