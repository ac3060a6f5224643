// twemproxy's modula and random distributions (facts and guarantees: compat/modula.hpp).
#include "ringleader/compat/modula.hpp"

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
  // One slot per unit of weight: twemproxy would allocate them all too (or fail to). Past 2^22 slots
  // the weights are surely meant relative to each other.
  if (total > kMaxSlots)
    throw std::invalid_argument("modula: total weight " + std::to_string(total) + " exceeds " + std::to_string(kMaxSlots) +
                                " (each unit of weight is one slot); scale the weights down");
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
