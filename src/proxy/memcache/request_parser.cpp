// memcached text protocol request framing; see request_parser.hpp. Error strings follow memcached's
// proto_text.c so clients see the replies they already handle.
#include "proxy/memcache/request_parser.hpp"

#include <array>
#include <charconv>
#include <cstdint>
#include <span>

namespace ringleader::proxy::memcache {
namespace {

constexpr std::string_view kError = "ERROR\r\n";
constexpr std::string_view kBadFormat = "CLIENT_ERROR bad command line format\r\n";
constexpr std::string_view kBadChunk = "CLIENT_ERROR bad data chunk\r\n";
constexpr std::string_view kTooLarge = "SERVER_ERROR object too large for cache\r\n";
constexpr std::string_view kLineTooLong = "CLIENT_ERROR line too long\r\n";
constexpr std::string_view kBadExptime = "CLIENT_ERROR invalid exptime argument\r\n";
constexpr std::string_view kBadDelta = "CLIENT_ERROR invalid numeric delta argument\r\n";

struct CommandName {
  std::string_view name;
  Command command;
};
constexpr std::array<CommandName, 16> kCommands{{
    {"get", Command::get},         {"gets", Command::gets},       {"gat", Command::gat},
    {"gats", Command::gats},       {"set", Command::set},         {"add", Command::add},
    {"replace", Command::replace}, {"append", Command::append},   {"prepend", Command::prepend},
    {"cas", Command::cas},         {"delete", Command::del},      {"incr", Command::incr},
    {"decr", Command::decr},       {"touch", Command::touch},     {"version", Command::version},
    {"quit", Command::quit},
}};

// Splits on spaces, skipping empty tokens, as memcached's tokenize_command does.
class Tokens {
 public:
  explicit Tokens(std::string_view line) : rest_(line) {}
  bool next(std::string_view& token) {
    while (!rest_.empty() && rest_.front() == ' ') rest_.remove_prefix(1);
    if (rest_.empty()) return false;
    auto end = rest_.find(' ');
    token = rest_.substr(0, end);
    rest_.remove_prefix(end == std::string_view::npos ? rest_.size() : end);
    return true;
  }

 private:
  std::string_view rest_;
};

bool valid_key(std::string_view key, const Limits& limits) {
  if (key.empty() || key.size() > limits.max_key) return false;
  for (unsigned char c : key) {
    if (c <= ' ' || c == 0x7f) return false;  // control characters are never part of a key
  }
  return true;
}

template <typename T>
bool parse_number(std::string_view token, T& out) {
  if (token.empty()) return false;
  auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), out);
  return ec == std::errc{} && end == token.data() + token.size();
}

ParseResult error(std::size_t consumed, std::string_view reply, std::size_t swallow = 0) {
  return {ParseStatus::error, consumed, swallow, reply};
}

// Storage commands: <cmd> <key> <flags> <exptime> <bytes> [<cas unique>] [noreply]\r\n<data>\r\n
ParseResult parse_storage(std::string_view buffer, std::size_t header, std::span<const std::string_view> args,
                          Request& request, const Limits& limits) {
  const std::size_t needed = request.command == Command::cas ? 5 : 4;
  if (args.size() < needed || args.size() > needed + 1) return error(header, kError);
  std::uint32_t flags = 0;
  std::int64_t exptime = 0;
  std::int64_t bytes = -1;
  std::uint64_t cas_unique = 0;
  if (!parse_number(args[3], bytes) || bytes < 0) return error(header, kBadFormat);
  const auto data_size = static_cast<std::size_t>(bytes);
  // Once the length is known, a rejected request's data block is swallowed so the next line parses.
  const std::size_t swallow = data_size + 2;
  if (!parse_number(args[1], flags) || !parse_number(args[2], exptime) ||
      (request.command == Command::cas && !parse_number(args[4], cas_unique)) ||
      (args.size() == needed + 1 && args[needed] != "noreply")) {
    return error(header, kBadFormat, swallow);
  }
  if (!valid_key(args[0], limits)) return error(header, kBadFormat, swallow);
  if (data_size > limits.max_value) return error(header, kTooLarge, swallow);
  if (data_size > limits.stream_above) {
    request.keys.push_back(args[0]);
    request.streamed = swallow;
    return {ParseStatus::complete, header, 0, {}};
  }
  if (buffer.size() < header + swallow) return {};
  request.data = buffer.substr(header, data_size);
  if (buffer.substr(header + data_size, 2) != "\r\n") return error(header + swallow, kBadChunk);
  request.keys.push_back(args[0]);
  return {ParseStatus::complete, header + swallow, 0, {}};
}

}  // namespace

ParseResult parse(std::string_view buffer, Request& request, const Limits& limits) {
  const auto newline = buffer.substr(0, limits.max_line + 2).find('\n');
  if (newline == std::string_view::npos) {
    if (buffer.size() > limits.max_line) return {ParseStatus::fatal, buffer.size(), 0, kLineTooLong};
    return {};
  }
  const std::size_t header = newline + 1;
  std::string_view line = buffer.substr(0, newline);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);

  request.keys.clear();
  request.exptime = {};
  request.data = {};
  request.streamed = 0;
  request.line = line;
  request.forward_line = line;
  request.noreply = false;

  Tokens tokens(line);
  std::string_view name;
  if (!tokens.next(name)) return error(header, kError);
  const CommandName* found = nullptr;
  for (const auto& c : kCommands) {
    if (c.name == name) found = &c;
  }
  if (found == nullptr) return error(header, kError);
  request.command = found->command;

  // Retrieval commands take any number of keys: validate them one by one, without a token array.
  if (is_retrieval(request.command)) {
    const bool touches = request.command == Command::gat || request.command == Command::gats;
    std::string_view token;
    if (touches) {
      std::int64_t exptime = 0;
      if (!tokens.next(token)) return error(header, kError);
      if (!parse_number(token, exptime)) return error(header, kBadExptime);
      request.exptime = token;
    }
    while (tokens.next(token)) {
      if (!valid_key(token, limits)) return error(header, kBadFormat);
      request.keys.push_back(token);
    }
    if (request.keys.empty()) return error(header, kError);
    return {ParseStatus::complete, header, 0, {}};
  }

  // The other commands have at most 6 arguments; one more means a malformed line.
  std::array<std::string_view, 7> storage{};
  std::size_t count = 0;
  std::string_view token;
  while (count < storage.size() && tokens.next(token)) storage[count++] = token;
  if (tokens.next(token)) return error(header, kError);
  std::span<const std::string_view> args(storage.data(), count);

  // A trailing "noreply" is recorded, and cut from the line sent to the backend.
  if (!args.empty() && args.back() == "noreply" && request.command != Command::version &&
      request.command != Command::quit) {
    request.noreply = true;
    request.forward_line = line.substr(0, static_cast<std::size_t>(args.back().data() - line.data()));
    while (!request.forward_line.empty() && request.forward_line.back() == ' ') {
      request.forward_line.remove_suffix(1);
    }
  }
  if (is_storage(request.command)) {
    auto result = parse_storage(buffer, header, args, request, limits);
    if (result.status != ParseStatus::complete) request.noreply = false;
    return result;
  }
  if (request.noreply) args = args.first(args.size() - 1);

  switch (request.command) {
    case Command::version:
    case Command::quit:
      return args.empty() ? ParseResult{ParseStatus::complete, header, 0, {}} : error(header, kError);
    case Command::del:
      // `delete <key> 0` is the legacy form memcached still accepts; any other time is refused.
      if (args.empty() || args.size() > 2 || (args.size() == 2 && args[1] != "0")) {
        return error(header, args.empty() ? kError : kBadFormat);
      }
      break;
    case Command::incr:
    case Command::decr: {
      std::uint64_t delta = 0;
      if (args.size() != 2) return error(header, kError);
      if (!parse_number(args[1], delta)) return error(header, kBadDelta);
      break;
    }
    case Command::touch: {
      std::int64_t exptime = 0;
      if (args.size() != 2) return error(header, kError);
      if (!parse_number(args[1], exptime)) return error(header, kBadExptime);
      break;
    }
    default:
      return error(header, kError);
  }
  if (!valid_key(args[0], limits)) return error(header, kBadFormat);
  request.keys.push_back(args[0]);
  return {ParseStatus::complete, header, 0, {}};
}

}  // namespace ringleader::proxy::memcache
