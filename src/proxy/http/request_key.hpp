// The key an HTTP request is placed by, as a pool's `http_key` says (docs/operations.md, "HTTP
// pools"): the request target as received (uri: nginx's $request_uri, so a pool with
// `distribution: nginx` sends each request where `hash $request_uri consistent` would), its path,
// a header, a query parameter or a cookie. The bytes are taken as they arrive, never decoded
// (percent-decoding would make two spellings of one target share a key nginx keeps apart).
//
// A pure function over the request's target and fields, so `ringleader locate` can place a URI or a
// header value without a request.
//
//   http::Field fields[] = {{"Cookie", "theme=dark; user=42"}};
//   request_key("/img/a.png?w=2", fields, {Source::cookie, "user"});   // "42"
#pragma once

#include <optional>
#include <span>
#include <string_view>

#include "proxy/config/config.hpp"
#include "proxy/http/message_head.hpp"

namespace ringleader::proxy::http {

/// The key of a request with `target` and `fields` under `rule`; nothing if the request has none
/// (no such header, parameter or cookie). A view into `target` or `fields`.
std::optional<std::string_view> request_key(std::string_view target, std::span<const Field> fields,
                                            const config::Pool::HttpKey& rule) noexcept;

}  // namespace ringleader::proxy::http
