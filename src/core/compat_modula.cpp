// twemproxy's modula and random distributions (facts and guarantees: compat/modula.hpp).
#include "ringleader/compat/modula.hpp"

#include <limits>
#include <random>
#include <stdexcept>
#include <string>

namespace ringleader::compat {

TwemproxyModula::TwemproxyModula(std::span<const std::uint32_t> weights) {
  if (weights.empty()) throw std::invalid_argument("modula: no servers");
  std::uint64_t total = 0;
  for (std::size_t i = 0; i < weights.size(); ++i) {
    if (weights[i] == 0) throw std::invalid_argument("modula: server " + std::to_string(i) + " has weight 0");
    total += weights[i];
  }
  // twemproxy counts the slots in a uint32_t.
  if (total > std::numeric_limits<std::uint32_t>::max())
    throw std::invalid_argument("modula: the total weight exceeds 2^32 - 1");
  slots_.reserve(total);
  for (std::size_t i = 0; i < weights.size(); ++i) slots_.insert(slots_.end(), weights[i], static_cast<std::uint32_t>(i));
}

TwemproxyRandom::TwemproxyRandom(std::uint32_t server_count) : servers_(server_count) {
  if (server_count == 0) throw std::invalid_argument("random: no servers");
}

std::uint32_t TwemproxyRandom::pick() const noexcept {
  // Seeded once per thread from the OS: requests are spread, not reproducible, as in twemproxy.
  thread_local std::minstd_rand generator{std::random_device{}()};
  return std::uniform_int_distribution<std::uint32_t>(0, servers_ - 1)(generator);
}

}  // namespace ringleader::compat
