// A minimal HTTP/1.1 client for etcd's JSON gateway: one POST per connection ("Connection: close"),
// over TLS for an https:// endpoint, on a blocking thread of the caller's, every wait bounded by a
// deadline and cut short by a Cancel.
//
// Why not Asio: the etcd source and `ringleader register` each own one thread that does nothing but
// talk to etcd, so plain blocking calls read best; what they need from the network is that no call
// can hang (a SIGSTOPped etcd accepts connections and never answers) and that shutdown is at once.
// poll() on the socket and on the Cancel's eventfd gives both. The response is parsed by
// Boost.Beast's HTTP/1.1 parser (chunked bodies included), not by hand.
//
//   Cancel cancel;
//   HttpResponse r = http_post({"127.0.0.1", 2379}, "/v3/kv/range", R"({"key":"YQ=="})", {}, 2s, cancel);
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/transport/tls.hpp"
#include "proxy/unique_fd.hpp"

namespace ringleader::proxy::membership {

/// Ends every wait of the calls given it, now and later, from any thread (an eventfd that stays
/// readable once cancelled).
class Cancel {
 public:
  Cancel();
  void cancel() noexcept;
  bool cancelled() const noexcept;
  int fd() const noexcept { return fd_.get(); }

 private:
  UniqueFd fd_;
};

/// The network failed: refused, reset, timed out, cancelled, or an unreadable response. The message
/// does not name the endpoint (the caller knows which it tried).
class HttpError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct HttpEndpoint {
  std::string host;
  std::uint16_t port = 0;
  std::shared_ptr<const tls::Context> tls;  // https: the context to connect with; null: plain HTTP
  std::string text() const { return (tls ? "https://" : "") + host + ":" + std::to_string(port); }
};

struct HttpResponse {
  unsigned status = 0;
  std::string body;
};

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

/// POSTs `body` (JSON) to `target`; the whole response within `timeout`. Throws HttpError.
HttpResponse http_post(const HttpEndpoint& to, std::string_view target, std::string_view body,
                       const HttpHeaders& headers, std::chrono::milliseconds timeout, const Cancel& cancel);

/// A streamed response, read line by line (etcd's gateway ends each message of a stream with '\n').
class LineHandler {
 public:
  virtual ~LineHandler() = default;
  /// One line of the body, without its '\n'. False ends the stream.
  virtual bool on_line(std::string_view line) = 0;
  /// How long to wait for more of the body before on_quiet(); asked before every wait.
  virtual std::chrono::milliseconds quiet_limit() = 0;
  /// Nothing came for quiet_limit(). False ends the stream.
  virtual bool on_quiet() = 0;
};

/// POSTs `body` and hands the response's body to `handler` as it streams, until the handler ends it
/// (returns normally) or the server closes or fails (throws HttpError; so does a status other than
/// 200, with the body's start in the message). Connecting and the headers must come within `timeout`.
void http_post_streamed(const HttpEndpoint& to, std::string_view target, std::string_view body,
                        const HttpHeaders& headers, std::chrono::milliseconds timeout, const Cancel& cancel,
                        LineHandler& handler);

}  // namespace ringleader::proxy::membership
