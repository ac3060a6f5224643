// RESP encoding; see resp.hpp.
#include "proxy/redis/resp.hpp"

namespace ringleader::proxy::redis {

void append_array_head(std::string& out, std::size_t count) {
  out.append("*").append(std::to_string(count)).append("\r\n");
}

void append_bulk(std::string& out, std::string_view value) {
  out.append("$").append(std::to_string(value.size())).append("\r\n").append(value).append("\r\n");
}

void append_command(std::string& out, std::span<const std::string_view> args) {
  append_array_head(out, args.size());
  for (auto arg : args) append_bulk(out, arg);
}

std::string error_reply(std::string_view message) { return "-ERR " + std::string(message) + "\r\n"; }

std::string command(std::initializer_list<std::string_view> args) {
  std::string out;
  append_command(out, std::span<const std::string_view>(args.begin(), args.size()));
  return out;
}

}  // namespace ringleader::proxy::redis
