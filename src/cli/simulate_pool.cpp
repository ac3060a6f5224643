// `ringleader simulate -c FILE [--pool NAME] [--join SERVER]... < keys`: a pool's own placement over
// your own keys, before you change anything. For each server: how many of the keys it holds, and how
// many keys move if it leaves, its line marked ` removed` (its own, and any other: consistent hashing,
// and stable slots for jump, anchor and memento, move none of those); then, with --join, how many
// keys move when those servers join (and how many of them between the servers already there). The placement is the proxy's (config::make_placement); an http pool reads
// one request target per line and keys it as the proxy does (its http_key: key_of_line).
#include "cli/simulate_pool.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <optional>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "cli/pool_input.hpp"
#include "proxy/config/server_entry.hpp"
#include "ringleader/placement.hpp"

namespace ringleader::cli {
namespace {

// Every key read, back to back, with where each ends: millions of keys without an allocation each.
struct Keys {
  std::string bytes;
  std::vector<std::size_t> ends;

  std::size_t size() const noexcept { return ends.size(); }
  std::string_view operator[](std::size_t i) const noexcept {
    const std::size_t begin = i == 0 ? 0 : ends[i - 1];
    return std::string_view(bytes).substr(begin, ends[i] - begin);
  }
};

// The server index of every key under the pool's placement.
std::vector<std::uint32_t> place(const config::Pool& pool, const Keys& keys) {
  const Placement placement = config::make_placement(pool);
  std::vector<std::uint32_t> out(keys.size());
  for (std::size_t i = 0; i < keys.size(); ++i) out[i] = placement.server_for(keys[i]);
  return out;
}

struct Server {
  std::string text;
  std::size_t keys = 0;
  std::size_t moved_if_it_leaves = 0;  // its own keys, and any other key that changes server
  std::size_t others_moved = 0;        // of those, keys it did not hold
};

struct Joined {
  std::vector<std::string> servers;
  std::size_t moved = 0;         // keys that change server when they join
  std::size_t between_old = 0;   // of those, keys that move from one old server to another
};

std::vector<Server> leave_one_by_one(const config::Pool& pool, const Keys& keys, const std::vector<std::uint32_t>& before) {
  std::vector<Server> out(pool.servers.size());
  for (std::size_t s = 0; s < pool.servers.size(); ++s) out[s].text = pool.servers[s].text;
  for (std::uint32_t owner : before) ++out[owner].keys;
  if (pool.servers.size() < 2) return out;  // the last server cannot leave
  for (std::size_t s = 0; s < pool.servers.size(); ++s) {
    // It leaves as a server should: its line marked ` removed`, so that it keeps its slot.
    config::Pool without = pool;
    without.removed.push_back(without.servers[s]);
    without.removed.back().removed = true;
    without.servers.erase(without.servers.begin() + static_cast<std::ptrdiff_t>(s));
    const std::vector<std::uint32_t> after = place(without, keys);
    for (std::size_t k = 0; k < keys.size(); ++k) {
      const std::uint32_t was = before[k];
      const std::uint32_t now = after[k] >= s ? after[k] + 1 : after[k];  // index in the full pool
      if (now == was) continue;
      ++out[s].moved_if_it_leaves;
      if (was != s) ++out[s].others_moved;
    }
  }
  return out;
}

Joined join(const config::Pool& pool, const Keys& keys, const std::vector<std::uint32_t>& before,
            const std::vector<std::string>& added) {
  Joined out{added};
  config::Pool with = pool;
  for (const std::string& text : added) {
    try {
      with.servers.push_back(config::parse_server(text));
    } catch (const std::invalid_argument& e) {
      throw CLI::ValidationError("--join", "'" + text + "': " + e.what());
    }
  }
  const std::vector<std::uint32_t> after = place(with, keys);
  for (std::size_t k = 0; k < keys.size(); ++k) {
    if (after[k] == before[k]) continue;
    ++out.moved;
    if (after[k] < pool.servers.size()) ++out.between_old;
  }
  return out;
}

double share(std::size_t part, std::size_t whole) { return whole == 0 ? 0.0 : static_cast<double>(part) / whole; }

void print_table(const config::Pool& pool, const Keys& keys, const std::vector<Server>& servers, const Joined* joined) {
  std::size_t width = 6;
  double total_weight = 0;
  for (const Server& s : servers) width = std::max(width, s.text.size());
  for (const config::Server& s : pool.servers) total_weight += s.weight;
  std::printf("pool '%s': %zu servers, %zu keys (%s, %s)\n\n", pool.name.c_str(), servers.size(), keys.size(),
              pool.distribution.c_str(), pool.hash.c_str());
  std::printf("%-*s %10s %7s %7s %22s %13s\n", static_cast<int>(width), "server", "keys", "share", "weight",
              "moved if it leaves", "others moved");
  // Load against each server's fair share (its weight's part of the keys), so weights do not read as skew.
  double peak = 0, squares = 0;
  for (std::size_t i = 0; i < servers.size(); ++i) {
    const Server& s = servers[i];
    const double fair = keys.size() * (pool.servers[i].weight / total_weight);
    std::printf("%-*s %10zu %6.2f%% %6.2f%% %13zu (%5.2f%%) %13zu\n", static_cast<int>(width), s.text.c_str(), s.keys,
                100 * share(s.keys, keys.size()), 100 * pool.servers[i].weight / total_weight, s.moved_if_it_leaves,
                100 * share(s.moved_if_it_leaves, keys.size()), s.others_moved);
    peak = std::max(peak, s.keys / fair);
    squares += (s.keys / fair - 1) * (s.keys / fair - 1);
  }
  std::printf("\npeak-to-fair load %.3f, relative standard deviation %.2f%% (fair: each server's weight share)\n", peak,
              100 * std::sqrt(squares / servers.size()));
  if (joined != nullptr) {
    const double optimum = static_cast<double>(joined->servers.size()) / (servers.size() + joined->servers.size());
    std::printf("if %zu server(s) join: %zu keys move (%.2f%%, optimum %.2f%% at weight 1), %zu of them between the servers already there\n",
                joined->servers.size(), joined->moved, 100 * share(joined->moved, keys.size()), 100 * optimum,
                joined->between_old);
  }
}

void print_json(const config::Pool& pool, const Keys& keys, const std::vector<Server>& servers, const Joined* joined) {
  nlohmann::json out = {{"pool", pool.name}, {"keys", keys.size()}, {"servers", nlohmann::json::array()}};
  for (const Server& s : servers)
    out["servers"].push_back({{"server", s.text},
                              {"keys", s.keys},
                              {"moved_if_it_leaves", s.moved_if_it_leaves},
                              {"others_moved", s.others_moved}});
  if (joined != nullptr)
    out["join"] = {{"servers", joined->servers}, {"moved", joined->moved}, {"between_old", joined->between_old}};
  std::cout << out.dump(2) << '\n';
}

}  // namespace

void simulate_pool(const PoolArgs& pool_args, const std::vector<std::string>& joining, bool json) {
  const config::Pool pool = load_pool(pool_args, "simulate");
  Keys keys;
  std::size_t keyless = 0;  // lines of an http pool whose request would have no key
  const bool read = for_each_line(stdin, [&](std::string_view line) {
    const std::optional<std::string_view> key = key_of_line(pool, line);
    if (!key) {
      ++keyless;
      return;
    }
    keys.bytes.append(*key);
    keys.ends.push_back(keys.bytes.size());
  });
  if (!read) throw CLI::RuntimeError("simulate: cannot read standard input", 1);
  if (keyless > 0)
    std::fprintf(stderr, "ringleader: warning: %zu lines have no key under the pool's http_key (left out)\n", keyless);
  if (keys.size() == 0) throw CLI::RuntimeError("simulate: no keys on standard input (one per line)", 2);
  const std::vector<std::uint32_t> before = place(pool, keys);
  const std::vector<Server> servers = leave_one_by_one(pool, keys, before);
  const Joined joined = joining.empty() ? Joined{} : join(pool, keys, before, joining);
  if (json)
    print_json(pool, keys, servers, joining.empty() ? nullptr : &joined);
  else
    print_table(pool, keys, servers, joining.empty() ? nullptr : &joined);
}

}  // namespace ringleader::cli
