// What `locate` and `simulate -c` share: the pool a command line names (from its config file, with
// its servers from etcd or DNS when it has them) and the keys read one per line from standard input.
#pragma once

#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>

#include "proxy/config/config.hpp"

namespace ringleader::cli {

/// -c FILE, --pool NAME, --etcd HOST:PORT[,...], --prefix /p/.
struct PoolArgs {
  std::string config;
  std::string pool;
  std::string etcd;    // --etcd: endpoints, comma-separated
  std::string prefix;  // --prefix

  /// Adds the options to `cmd`; `required`: -c must be given.
  void add_options(CLI::App* cmd, bool required);
};

/// The pool the arguments name, its servers those etcd lists now when it (or --etcd) names etcd, or
/// those DNS gives now when it has `dns_srv:` or `dns_a:`; prints the pool's warnings. Throws
/// CLI::RuntimeError (exit 1: a file, etcd or DNS failed, 2: usage),
/// its message starting with `command`.
config::Pool load_pool(const PoolArgs& args, std::string_view command);

/// The key a line of input stands for: the line itself, or for an http pool what its `http_key`
/// takes from the line read as a request target (`uri`, `path`, `query:NAME`); for `header:NAME`
/// and `cookie:NAME` the line is that header's or cookie's value. Nothing: a request with this
/// target would have no key (the pool's `http_key_missing` decides where it goes).
std::optional<std::string_view> key_of_line(const config::Pool& pool, std::string_view line) noexcept;

/// Calls on_line for each line of `in`; a trailing "\r" (CRLF files) is not part of the line.
/// Returns false on a read error. Reads in large blocks: built for millions of keys.
template <typename OnLine>
bool for_each_line(std::FILE* in, OnLine&& on_line) {
  std::vector<char> buffer(1 << 20);
  std::string carry;  // a line split across two reads
  auto emit = [&](std::string_view line) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    on_line(line);
  };
  for (;;) {
    const std::size_t n = std::fread(buffer.data(), 1, buffer.size(), in);
    std::string_view chunk(buffer.data(), n);
    while (!chunk.empty()) {
      const auto nl = chunk.find('\n');
      if (nl == std::string_view::npos) {
        carry.append(chunk);
        break;
      }
      std::string_view line = chunk.substr(0, nl);
      if (!carry.empty()) {
        carry.append(line);
        line = carry;
      }
      emit(line);
      carry.clear();
      chunk.remove_prefix(nl + 1);
    }
    if (n < buffer.size()) break;
  }
  if (!carry.empty()) emit(carry);
  return !std::ferror(in);
}

}  // namespace ringleader::cli
