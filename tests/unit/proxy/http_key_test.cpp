// request_key: the key an http pool places a request by, for each `http_key`.
#include <gtest/gtest.h>

#include "proxy/http/request_key.hpp"

namespace ringleader::proxy::http {
namespace {

using Source = config::Pool::HttpKey::Source;

const Field kFields[] = {{"Host", "example"}, {"X-User", "alice"}, {"Cookie", "theme=dark; user=42; empty="}};

// uri is the target as received (nginx's $request_uri); path stops at the query.
TEST(HttpKey, UriAndPath) {
  EXPECT_EQ(request_key("/img/a%20b.png?w=2&h=3", kFields, {Source::uri, ""}), "/img/a%20b.png?w=2&h=3");
  EXPECT_EQ(request_key("/img/a%20b.png?w=2&h=3", kFields, {Source::path, ""}), "/img/a%20b.png");
}

// A header by name in any case, a query parameter, a cookie; absent ones give no key.
TEST(HttpKey, HeaderQueryCookie) {
  EXPECT_EQ(request_key("/", kFields, {Source::header, "x-user"}), "alice");
  EXPECT_EQ(request_key("/", kFields, {Source::header, "X-Tenant"}), std::nullopt);
  EXPECT_EQ(request_key("/p?a=1&id=7&b", kFields, {Source::query, "id"}), "7");
  EXPECT_EQ(request_key("/p?a=1&bid=7", kFields, {Source::query, "id"}), std::nullopt);
  EXPECT_EQ(request_key("/p?id=7#frag", kFields, {Source::query, "id"}), "7");
  EXPECT_EQ(request_key("/p", kFields, {Source::query, "id"}), std::nullopt);
  EXPECT_EQ(request_key("/", kFields, {Source::cookie, "user"}), "42");
  EXPECT_EQ(request_key("/", kFields, {Source::cookie, "empty"}), "");
  EXPECT_EQ(request_key("/", kFields, {Source::cookie, "session"}), std::nullopt);
}

}  // namespace
}  // namespace ringleader::proxy::http
