// The JSON gateway client of etcd v3; see etcd_client.hpp.
//
// Facts from etcd 3.4's gateway (grpc-gateway over the gRPC API, "/v3/..." since 3.4): keys and
// values are base64, 64-bit numbers are JSON strings ("revision":"42"), a field equal to its default
// (0, false, a PUT event's type) is left out, a streamed call (watch, lease keep-alive) answers with a
// chunked body of one JSON object per line: {"result": {...}} or {"error": {...}}.
#include "proxy/membership/etcd_client.hpp"

#include <algorithm>
#include <cstdint>
#include <type_traits>

#include <nlohmann/json.hpp>

#include "proxy/config/server_entry.hpp"
#include "proxy/membership/base64.hpp"
#include "proxy/membership/http_client.hpp"

namespace ringleader::proxy::membership {
namespace {

using nlohmann::json;

std::int64_t int64_of(const json& object, const char* field) {
  const auto it = object.find(field);
  if (it == object.end()) return 0;
  if (it->is_string()) return std::stoll(it->get<std::string>());
  return it->get<std::int64_t>();
}

std::string bytes_of(const json& object, const char* field) {
  const auto it = object.find(field);
  if (it == object.end()) return {};
  auto bytes = base64_decode(it->get<std::string>());
  if (!bytes) throw EtcdError(std::string("etcd sent a '") + field + "' that is not base64");
  return std::move(*bytes);
}

KeyValue key_value(const json& kv) { return {bytes_of(kv, "key"), bytes_of(kv, "value"), int64_of(kv, "mod_revision")}; }

std::string error_text(const json& error) {
  if (error.contains("message")) return error["message"].get<std::string>();
  if (error.contains("error")) return error["error"].get<std::string>();
  return error.dump();
}

// "[http://|https://]HOST:PORT"; an https one is reached with `tls`.
HttpEndpoint parse_endpoint(const std::string& text, const std::shared_ptr<const tls::Context>& tls) {
  std::string_view address_text = text;
  const bool https = address_text.starts_with("https://");
  if (https) address_text.remove_prefix(std::string_view("https://").size());
  if (address_text.starts_with("http://")) address_text.remove_prefix(std::string_view("http://").size());
  config::Listen address;
  try {
    address = config::parse_listen(std::string(address_text));
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument("etcd endpoint '" + text + "': " + e.what());
  }
  if (address.is_unix()) throw std::invalid_argument("etcd endpoint '" + text + "' is not HOST:PORT");
  return {address.host, address.port, https ? tls : nullptr};
}

// The context https endpoints are reached with; null if there is none.
std::shared_ptr<const tls::Context> tls_of(const EtcdOptions& options) {
  return tls_context(options, [](const char* which, const std::string& problem) {
    throw std::invalid_argument(std::string("etcd_") + which + ": " + problem);
  });
}

// Turns the watch's lines into batches for the source's handler.
class WatchLines : public LineHandler {
 public:
  explicit WatchLines(WatchHandler& handler) : handler_(handler) {}

  bool on_line(std::string_view line) override {
    if (line.empty()) return true;
    const json message = json::parse(line, nullptr, false);
    if (message.is_discarded()) throw EtcdError("etcd sent a watch message that is not JSON");
    if (message.contains("error")) throw EtcdError("watch: " + error_text(message["error"]));
    const json& result = message.at("result");
    WatchBatch batch;
    batch.compact_revision = int64_of(result, "compact_revision");
    if (result.value("canceled", false) && batch.compact_revision == 0)
      throw EtcdError("watch canceled by etcd: " + result.value("cancel_reason", std::string("no reason given")));
    if (result.value("created", false)) {  // its revision is the store's, not ours yet
      batch.created = true;
      return handler_.on_batch(batch);
    }
    // Resume from the last event seen, not from the header: etcd may send the history a watch
    // catches up on in several messages, each headed with the store's current revision.
    batch.revision = int64_of(result.value("header", json::object()), "revision");
    if (const auto events = result.find("events"); events != result.end()) {
      std::int64_t last = 0;
      for (const json& event : *events) {
        const json& kv = event.at("kv");
        batch.events.push_back({event.value("type", std::string()) == "DELETE", key_value(kv)});
        last = std::max(last, int64_of(kv, "mod_revision"));
      }
      if (last != 0) batch.revision = last;
    }
    return handler_.on_batch(batch);
  }
  std::chrono::milliseconds quiet_limit() override { return handler_.quiet_limit(); }
  bool on_quiet() override { return handler_.on_quiet(); }

 private:
  WatchHandler& handler_;
};

class GatewayClient : public EtcdClient {
 public:
  explicit GatewayClient(EtcdOptions options) : options_(std::move(options)) {
    if (options_.endpoints.empty()) throw std::invalid_argument("no etcd endpoint");
    const auto tls = tls_of(options_);
    for (const auto& text : options_.endpoints) endpoints_.push_back(parse_endpoint(text, tls));
  }

  Range range(const std::string& prefix) override {
    const json reply = call("/v3/kv/range", {{"key", base64_encode(prefix)}, {"range_end", base64_encode(prefix_range_end(prefix))}});
    Range range{int64_of(reply.value("header", json::object()), "revision"), {}};
    for (const json& kv : reply.value("kvs", json::array())) range.kvs.push_back(key_value(kv));
    return range;
  }

  void watch(const std::string& prefix, std::int64_t start, WatchHandler& handler) override {
    const json request = {{"create_request",
                           {{"key", base64_encode(prefix)},
                            {"range_end", base64_encode(prefix_range_end(prefix))},
                            {"start_revision", std::to_string(start)}}}};
    WatchLines lines(handler);
    try {
      with_failover([&](const HttpEndpoint& to) {
        authenticate(to);
        http_post_streamed(to, "/v3/watch", request.dump(), headers(), options_.timeout, cancel_, lines);
      }, 1);  // the next try must start from the revision the handler saw last: the caller's to make
    } catch (const EtcdError& e) {
      if (std::string_view(e.what()).find("token") != std::string_view::npos) token_.clear();  // expired: ask again
      throw;
    }
  }

  void check_alive() override { call("/v3/maintenance/status", json::object()); }

  std::int64_t grant(std::chrono::seconds ttl) override {
    const json reply = call("/v3/lease/grant", {{"TTL", std::to_string(ttl.count())}});
    if (reply.contains("error") && !reply["error"].get<std::string>().empty()) throw EtcdError("lease grant: " + reply["error"].get<std::string>());
    return int64_of(reply, "ID");
  }

  bool keep_alive(std::int64_t lease) override {
    const json reply = call("/v3/lease/keepalive", {{"ID", std::to_string(lease)}});
    if (reply.contains("error")) throw EtcdError("lease keep-alive: " + error_text(reply["error"]));
    return int64_of(reply.value("result", json::object()), "TTL") > 0;
  }

  void revoke(std::int64_t lease) override { call("/v3/lease/revoke", {{"ID", std::to_string(lease)}}); }

  void put(const std::string& key, const std::string& value, std::int64_t lease) override {
    json request = {{"key", base64_encode(key)}, {"value", base64_encode(value)}};
    if (lease != 0) request["lease"] = std::to_string(lease);
    call("/v3/kv/put", request);
  }

  bool put_if_unchanged(const std::string& key, std::int64_t mod_revision, const std::vector<Put>& puts) override {
    // etcd compares a missing key's mod_revision as 0: one compare serves both cases.
    json request = {{"compare", json::array()}, {"success", json::array()}};
    request["compare"].push_back(
        {{"key", base64_encode(key)}, {"target", "MOD"}, {"result", "EQUAL"}, {"mod_revision", std::to_string(mod_revision)}});
    for (const Put& put : puts) {
      json one = {{"key", base64_encode(put.key)}, {"value", base64_encode(put.value)}};
      if (put.lease != 0) one["lease"] = std::to_string(put.lease);
      request["success"].push_back({{"request_put", one}});
    }
    return call("/v3/kv/txn", request).value("succeeded", false);
  }

  void cancel() noexcept override { cancel_.cancel(); }

  std::string endpoint() const override { return endpoints_[current_ % endpoints_.size()].text(); }

 private:
  // Runs `request` against the current endpoint, moving on to the next one when the network fails
  // (each endpoint once, at most `attempts`). etcd's own refusals (a bad request, a wrong password)
  // are not retried.
  template <typename Request>
  auto with_failover(Request request, std::size_t attempts = SIZE_MAX) -> std::invoke_result_t<Request, const HttpEndpoint&> {
    std::string failures;
    for (std::size_t tried = 0; tried < std::min(attempts, endpoints_.size()); ++tried) {
      const HttpEndpoint& to = endpoints_[current_ % endpoints_.size()];
      try {
        return request(to);
      } catch (const HttpError& e) {
        if (cancel_.cancelled()) throw EtcdError("cancelled");
        failures += (failures.empty() ? "" : "; ") + to.text() + ": " + e.what();
        token_.clear();  // asked again of the next member, cheaply
        ++current_;
      }
    }
    throw EtcdError(failures);
  }

  json call(std::string_view target, const json& body) {
    for (int attempt = 0;; ++attempt) {
      const HttpResponse response = with_failover([&](const HttpEndpoint& to) {
        authenticate(to);
        return http_post(to, target, body.dump(), headers(), options_.timeout, cancel_);
      });
      const json reply = json::parse(response.body, nullptr, false);
      if (response.status == 200 && !reply.is_discarded()) return reply;
      const std::string reason = reply.is_discarded() ? response.body.substr(0, 200) : error_text(reply);
      // An expired token (etcd restarted, or its TTL passed): ask for a new one, once.
      if (!options_.user.empty() && attempt == 0 && reason.find("token") != std::string::npos) {
        token_.clear();
        continue;
      }
      throw EtcdError(std::string(target) + ": HTTP " + std::to_string(response.status) + ": " + reason);
    }
  }

  void authenticate(const HttpEndpoint& to) {
    if (options_.user.empty() || !token_.empty()) return;
    const json request = {{"name", options_.user}, {"password", options_.password}};
    const HttpResponse r = http_post(to, "/v3/auth/authenticate", request.dump(), {}, options_.timeout, cancel_);
    const json reply = json::parse(r.body, nullptr, false);
    if (r.status != 200 || reply.is_discarded() || !reply.contains("token"))
      throw EtcdError("etcd refused user '" + options_.user + "': " + (reply.is_discarded() ? r.body : error_text(reply)));
    token_ = reply["token"].get<std::string>();
  }

  HttpHeaders headers() const {
    if (token_.empty()) return {};
    return {{"Authorization", token_}};
  }

  EtcdOptions options_;
  std::vector<HttpEndpoint> endpoints_;
  std::size_t current_ = 0;  // endpoints_[current_ % size] takes the next call
  std::string token_;        // from /v3/auth/authenticate, when a user is given
  Cancel cancel_;
};

}  // namespace

std::string prefix_range_end(const std::string& prefix) {
  std::string end = prefix;
  while (!end.empty()) {
    if (static_cast<unsigned char>(end.back()) < 0xff) {
      end.back() = static_cast<char>(static_cast<unsigned char>(end.back()) + 1);
      return end;
    }
    end.pop_back();
  }
  return std::string(1, '\0');  // every key: etcd reads "\0" as "to the end"
}

std::shared_ptr<const tls::Context> tls_context(const EtcdOptions& options, const tls::FileFailed& fail) {
  const bool https = std::any_of(options.endpoints.begin(), options.endpoints.end(),
                                 [](const std::string& e) { return e.starts_with("https://"); });
  if (!https) return nullptr;
  return tls::connect_context({.ca = options.ca, .cert = options.cert, .key = options.key}, fail);
}

std::unique_ptr<EtcdClient> make_etcd_client(EtcdOptions options) {
  return std::make_unique<GatewayClient>(std::move(options));
}

}  // namespace ringleader::proxy::membership
