// request_key; see request_key.hpp.
#include "proxy/http/request_key.hpp"

namespace ringleader::proxy::http {
namespace {

using Source = config::Pool::HttpKey::Source;

/// The value of `name` in a list of `name=value` pairs separated by `separator` (a query string,
/// a Cookie field); spaces after a separator are skipped (cookies put one there).
std::optional<std::string_view> pair_value(std::string_view list, char separator, std::string_view name) noexcept {
  while (!list.empty()) {
    const std::size_t end = list.find(separator);
    std::string_view pair = list.substr(0, end);
    while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
    const std::size_t eq = pair.find('=');
    if (pair.substr(0, eq) == name) return eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    if (end == std::string_view::npos) break;
    list.remove_prefix(end + 1);
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string_view> request_key(std::string_view target, std::span<const Field> fields,
                                            const config::Pool::HttpKey& rule) noexcept {
  const std::size_t question = target.find('?');
  switch (rule.source) {
    case Source::uri:
      return target;
    case Source::path:
      return target.substr(0, question);
    case Source::query:
      if (question == std::string_view::npos) return std::nullopt;
      return pair_value(target.substr(question + 1, target.find('#') - question - 1), '&', rule.name);
    case Source::header:
      for (const Field& field : fields) {
        if (iequals(field.name, rule.name)) return field.value;
      }
      return std::nullopt;
    case Source::cookie:
      for (const Field& field : fields) {
        if (!iequals(field.name, "cookie")) continue;
        if (const auto value = pair_value(field.value, ';', rule.name)) return value;
      }
      return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace ringleader::proxy::http
