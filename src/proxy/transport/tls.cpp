// TLS; see tls.hpp.
#include "proxy/transport/tls.hpp"

#include <arpa/inet.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <unordered_map>

#include <asio/error.hpp>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

namespace ringleader::proxy::tls {
namespace {

// Gathered writes stay within one TLS record, so a gathered write is all or nothing.
constexpr std::size_t kRecord = 16 * 1024;

// An OpenSSL error code in words ("wrong version number"; a system error's errno text).
std::string describe(unsigned long error) {
  if (ERR_SYSTEM_ERROR(error)) return std::strerror(ERR_GET_REASON(error));
  const char* reason = ERR_reason_error_string(error);
  return reason != nullptr ? reason : "TLS error " + std::to_string(error);
}

class OpensslErrors final : public std::error_category {
 public:
  const char* name() const noexcept override { return "tls"; }
  std::string message(int value) const override { return describe(static_cast<unsigned long>(value)); }
};

class VerifyErrors final : public std::error_category {
 public:
  const char* name() const noexcept override { return "tls certificate"; }
  std::string message(int value) const override {
    return std::string("certificate verify failed: ") + X509_verify_cert_error_string(value);
  }
};

// What OpenSSL says went wrong first, for a config error.
std::string openssl_reason() {
  const unsigned long error = ERR_get_error();
  ERR_clear_error();
  return error == 0 ? "unknown error" : describe(error);
}

int version_of(const std::string& text) {
  if (text == "TLSv1.3") return TLS1_3_VERSION;
  return TLS1_2_VERSION;  // config accepts only the two
}

bool is_ip(const std::string& host) {
  unsigned char address[16];
  return inet_pton(AF_INET, host.c_str(), address) == 1 || inet_pton(AF_INET6, host.c_str(), address) == 1;
}

}  // namespace

// The newest resumable session of each server, as bytes (i2d_SSL_SESSION): each connection decodes
// its own copy, so no OpenSSL session object is shared between threads.
class Sessions {
 public:
  void keep(const std::string& server, SSL_SESSION* session) {
    const int size = i2d_SSL_SESSION(session, nullptr);
    if (size <= 0) return;
    std::string bytes(static_cast<std::size_t>(size), '\0');
    auto* out = reinterpret_cast<unsigned char*>(bytes.data());
    i2d_SSL_SESSION(session, &out);
    const std::lock_guard lock(mutex_);
    if (encoded_.size() >= kServers && !encoded_.contains(server)) encoded_.clear();  // servers come and go
    encoded_[server] = std::move(bytes);
  }
  // The newest session of `server` (owned by the caller), or null.
  SSL_SESSION* recall(const std::string& server) const {
    std::string bytes;
    {
      const std::lock_guard lock(mutex_);
      const auto found = encoded_.find(server);
      if (found == encoded_.end()) return nullptr;
      bytes = found->second;
    }
    const auto* in = reinterpret_cast<const unsigned char*>(bytes.data());
    return d2i_SSL_SESSION(nullptr, &in, static_cast<long>(bytes.size()));
  }

 private:
  static constexpr std::size_t kServers = 4096;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::string> encoded_;
};

// Where a connection keeps the sessions it is given: the SSL object points at it.
struct KeptFor {
  std::shared_ptr<Sessions> sessions;
  std::string server;
};

namespace {

// OpenSSL's call when a server gives a session (TLS 1.3: a ticket, after the handshake).
int keep_session(SSL* ssl, SSL_SESSION* session) {
  if (const auto* kept = static_cast<const KeptFor*>(SSL_get_app_data(ssl)); kept && SSL_SESSION_is_resumable(session))
    kept->sessions->keep(kept->server, session);
  return 0;  // not taken: OpenSSL keeps its reference
}

// Selects the protocol's ALPN name (`wire`: its length, then it) when a client offers it; a client
// offering only others (h2) goes on without ALPN, as with nginx's http/1.1-only server.
int select_alpn(SSL*, const unsigned char** out, unsigned char* out_size, const unsigned char* offered,
                unsigned int offered_size, void* wire) {
  const auto& ours = *static_cast<const std::string*>(wire);
  unsigned char* selected = nullptr;
  if (SSL_select_next_proto(&selected, out_size, reinterpret_cast<const unsigned char*>(ours.data()),
                            static_cast<unsigned>(ours.size()), offered, offered_size) != OPENSSL_NPN_NEGOTIATED)
    return SSL_TLSEXT_ERR_NOACK;
  *out = selected;
  return SSL_TLSEXT_ERR_OK;
}

// Settings of every context: the least version, partial writes, no renegotiation.
void configure(Context& context, const std::string& min_version) {
  SSL_CTX* ctx = context.get();
  SSL_CTX_set_min_proto_version(ctx, version_of(min_version));
  // Renegotiation is off (a read would need to write); an EOF without close_notify reads as an EOF.
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_IGNORE_UNEXPECTED_EOF);
  // Partial writes: a write returns what the socket took. Moving buffers: the rest of a write is
  // retried from wherever the caller keeps it. Released buffers: an idle connection holds none.
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
  // Read ahead: one recv() takes what the socket has, not a record's header and then its body.
  SSL_CTX_set_read_ahead(ctx, 1);
}

// The certificate chain and its key.
void identity(Context& context, const std::string& cert, const std::string& key, const FileFailed& fail) {
  if (SSL_CTX_use_certificate_chain_file(context.get(), cert.c_str()) != 1) fail("cert", cert + ": " + openssl_reason());
  if (SSL_CTX_use_PrivateKey_file(context.get(), key.c_str(), SSL_FILETYPE_PEM) != 1) fail("key", key + ": " + openssl_reason());
  if (SSL_CTX_check_private_key(context.get()) != 1) fail("key", key + " does not match " + cert);
}

// Reads a pool's files into a context, naming the key whose file failed.
class Loader {
 public:
  Loader(const config::Pool& pool, const std::string& file) : pool_(pool), file_(file) {}

  std::shared_ptr<const Context> clients(std::string_view alpn) {
    const config::Pool::Tls& tls = pool_.tls;
    if (tls.cert.empty()) return nullptr;
    auto context = std::make_shared<Context>(Context::Side::accept);
    const auto fail_file = [&](const char* which, const std::string& problem) { fail(std::string("tls_") + which, problem); };
    configure(*context, tls.min_version);
    if (!tls.ciphers.empty() && SSL_CTX_set_cipher_list(context->get(), tls.ciphers.c_str()) != 1)
      fail("tls_ciphers", openssl_reason());
    identity(*context, tls.cert, tls.key, fail_file);
    if (!tls.ca.empty()) {
      STACK_OF(X509_NAME)* names = nullptr;
      if (SSL_CTX_load_verify_locations(context->get(), tls.ca.c_str(), nullptr) != 1 ||
          (names = SSL_load_client_CA_file(tls.ca.c_str())) == nullptr)
        fail("tls_ca", tls.ca + ": " + openssl_reason());
      SSL_CTX_set_client_CA_list(context->get(), names);
      SSL_CTX_set_verify(context->get(), SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
    }
    if (!alpn.empty()) context->set_alpn(alpn);
    // Clients resume with tickets, which they keep: no session store on the proxy to lock and sweep
    // at every handshake (nginx's default too). The context id lets a client with a certificate resume.
    SSL_CTX_set_session_cache_mode(context->get(), SSL_SESS_CACHE_OFF);
    static constexpr unsigned char kContextId[] = "ringleader";
    SSL_CTX_set_session_id_context(context->get(), kContextId, sizeof kContextId - 1);
    return context;
  }

  std::shared_ptr<const Context> servers() {
    const config::Pool::Tls& tls = pool_.tls;
    if (!tls.server) return nullptr;
    return connect_context({tls.server_ca, tls.server_cert, tls.server_key, tls.min_version, tls.server_verify,
                            tls.server_sni},
                           [&](const char* which, const std::string& problem) { fail(std::string("server_tls_") + which, problem); });
  }

 private:
  [[noreturn]] void fail(const std::string& key, const std::string& problem) const {
    const auto line = pool_.lines.find(key);
    throw config::ConfigError(file_, line == pool_.lines.end() ? pool_.line : line->second, pool_.name, key, problem);
  }

  const config::Pool& pool_;
  const std::string& file_;
};

}  // namespace

std::shared_ptr<const Context> connect_context(const ConnectSettings& settings, const FileFailed& fail) {
  auto context = std::make_shared<Context>(Context::Side::connect);
  configure(*context, settings.min_version);
  if (!settings.cert.empty()) identity(*context, settings.cert, settings.key, fail);
  context->set_verifies(settings.verify);
  // Sessions are kept by keep_session, not in OpenSSL's own store.
  SSL_CTX_set_session_cache_mode(context->get(), SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
  SSL_CTX_sess_set_new_cb(context->get(), keep_session);
  context->set_server_name(settings.server_name);
  if (settings.verify) {
    SSL_CTX_set_verify(context->get(), SSL_VERIFY_PEER, nullptr);
    const bool loaded = settings.ca.empty() ? SSL_CTX_set_default_verify_paths(context->get()) == 1
                                            : SSL_CTX_load_verify_locations(context->get(), settings.ca.c_str(), nullptr) == 1;
    if (!loaded) fail("ca", settings.ca + ": " + openssl_reason());
  }
  return context;
}

const std::error_category& error_category() noexcept {
  static const OpensslErrors category;
  return category;
}

const std::error_category& verify_category() noexcept {
  static const VerifyErrors category;
  return category;
}

Context::Context(Side side)
    : ctx_(SSL_CTX_new(side == Side::accept ? TLS_server_method() : TLS_client_method())), side_(side) {
  if (ctx_ == nullptr) throw std::bad_alloc();
  if (side == Side::connect) sessions_ = std::make_shared<Sessions>();
}

Context::~Context() { SSL_CTX_free(ctx_); }

void Context::set_alpn(std::string_view name) {
  alpn_.assign(1, static_cast<char>(name.size())).append(name);
  SSL_CTX_set_alpn_select_cb(ctx_, select_alpn, &alpn_);
}

std::shared_ptr<PoolTls> PoolTls::load(const config::Pool& pool, const std::string& file, std::string_view alpn) {
  if (pool.tls.cert.empty() && !pool.tls.server) return nullptr;
  auto tls = std::make_shared<PoolTls>();
  tls->reload(pool, file, alpn);
  return tls;
}

void PoolTls::reload(const config::Pool& pool, const std::string& file, std::string_view alpn) {
  Loader loader(pool, file);
  auto clients = loader.clients(alpn);
  auto servers = loader.servers();  // both read before either is used
  clients_.store(std::move(clients));
  servers_.store(std::move(servers));
}

void Session::Free::operator()(ssl_st* ssl) const noexcept { SSL_free(ssl); }

Session::Session(const Context& context, int fd, const std::string& peer, const std::string& server)
    : ssl_(SSL_new(context.get())) {
  if (!ssl_) throw std::bad_alloc();
  SSL_set_fd(ssl_.get(), fd);
  if (context.side() == Context::Side::accept) {
    SSL_set_accept_state(ssl_.get());
    return;
  }
  SSL_set_connect_state(ssl_.get());
  if (!server.empty()) {
    kept_for_ = std::make_shared<KeptFor>(KeptFor{context.sessions(), server});
    SSL_set_app_data(ssl_.get(), kept_for_.get());
    if (SSL_SESSION* newest = context.sessions()->recall(server)) {
      SSL_set_session(ssl_.get(), newest);
      SSL_SESSION_free(newest);  // the SSL object holds its own reference
    }
  }
  const std::string& name = context.server_name().empty() ? peer : context.server_name();
  if (name.empty()) return;  // a unix socket: nothing to name
  if (!is_ip(name)) SSL_set_tlsext_host_name(ssl_.get(), name.c_str());  // SNI never carries an address
  if (!context.verifies()) return;
  if (is_ip(name)) {
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_.get()), name.c_str());
  } else {
    SSL_set1_host(ssl_.get(), name.c_str());
  }
}

Session::Want Session::handshake(std::error_code& ec) {
  ERR_clear_error();
  const int result = SSL_do_handshake(ssl_.get());
  if (result == 1) {
    ec = {};
    return Want::nothing;
  }
  switch (SSL_get_error(ssl_.get(), result)) {
    case SSL_ERROR_WANT_READ:
      return Want::read;
    case SSL_ERROR_WANT_WRITE:
      return Want::write;
    default:
      fail(result, ec);
      return Want::nothing;
  }
}

std::error_code Session::handshake_polled(const std::function<void(Want)>& wait) {
  for (;;) {
    std::error_code ec;
    const Want want = handshake(ec);
    if (ec || want == Want::nothing) return ec;
    wait(want);
  }
}

bool Session::pending() const noexcept {
  // Bytes read ahead count too, unless the last read found them to be a record's beginning only.
  return SSL_pending(ssl_.get()) > 0 || (!read_blocked_ && SSL_has_pending(ssl_.get()) == 1);
}

std::size_t Session::read(asio::mutable_buffer into, std::error_code& ec) {
  ERR_clear_error();
  std::size_t n = 0;
  const int result = SSL_read_ex(ssl_.get(), into.data(), into.size(), &n);
  read_blocked_ = result != 1;
  if (result == 1) {
    ec = {};
    return n;
  }
  const int error = SSL_get_error(ssl_.get(), result);
  if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) {
    ec = asio::error::would_block;
    return 0;
  }
  fail(result, ec);
  return 0;
}

std::size_t Session::write(const asio::const_buffer* buffers, std::size_t count, std::error_code& ec) {
  ec = {};
  want_ = Want::nothing;
  std::size_t total = 0;
  for (std::size_t i = 0; i < count;) {
    const std::size_t size = buffers[i].size();
    if (size == 0) {
      ++i;
      continue;
    }
    if (size >= kRecord || i + 1 == count || size + buffers[i + 1].size() > kRecord) {
      const std::size_t n = write_one(buffers[i].data(), size, ec);
      total += n;
      if (ec || n < size) return total;
      ++i;
      continue;
    }
    // Small buffers (a pipeline's replies) go in one record, not one record and one send() each.
    gathered_.clear();
    std::size_t next = i;
    for (; next < count && gathered_.size() + buffers[next].size() <= kRecord; ++next)
      gathered_.append(static_cast<const char*>(buffers[next].data()), buffers[next].size());
    const std::size_t n = write_one(gathered_.data(), gathered_.size(), ec);
    total += n;
    if (ec || n < gathered_.size()) return total;
    i = next;
  }
  return total;
}

std::size_t Session::write_one(const void* data, std::size_t size, std::error_code& ec) {
  std::size_t total = 0;
  while (total < size) {
    ERR_clear_error();
    std::size_t n = 0;
    const int result = SSL_write_ex(ssl_.get(), static_cast<const char*>(data) + total, size - total, &n);
    if (result == 1) {
      total += n;
      continue;
    }
    const int error = SSL_get_error(ssl_.get(), result);
    if (error == SSL_ERROR_WANT_WRITE || error == SSL_ERROR_WANT_READ) {
      want_ = error == SSL_ERROR_WANT_READ ? Want::read : Want::write;
    } else {
      fail(result, ec);
    }
    break;
  }
  return total;
}

void Session::fail(int result, std::error_code& ec) {
  const int error = SSL_get_error(ssl_.get(), result);
  if (error == SSL_ERROR_ZERO_RETURN) {
    ec = asio::error::eof;
    return;
  }
  failed_ = true;
  if (const long verified = SSL_get_verify_result(ssl_.get()); verified != X509_V_OK) {
    ec = std::error_code(static_cast<int>(verified), verify_category());
  } else if (const unsigned long code = ERR_get_error(); code != 0) {
    ec = std::error_code(static_cast<int>(code), error_category());
  } else if (error == SSL_ERROR_SYSCALL && errno != 0) {
    ec = std::error_code(errno, std::system_category());
  } else {
    ec = asio::error::eof;  // the peer closed the connection mid-handshake
  }
  ERR_clear_error();
}

bool Session::resumed() const noexcept { return SSL_session_reused(ssl_.get()) == 1; }

void Session::shut_down() noexcept {
  if (!ssl_ || failed_ || SSL_is_init_finished(ssl_.get()) != 1) return;
  ERR_clear_error();
  SSL_shutdown(ssl_.get());
  ERR_clear_error();
}

}  // namespace ringleader::proxy::tls
