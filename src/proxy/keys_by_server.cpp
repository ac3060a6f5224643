// KeysByServer; see keys_by_server.hpp.
#include "proxy/keys_by_server.hpp"

#include <algorithm>

#include "proxy/buffers.hpp"

namespace ringleader::proxy {

void KeysByServer::group(std::span<const std::uint32_t> servers) {
  servers_.clear();
  part_of_.clear();
  // A request's keys go to few servers: a linear search beats a map here.
  for (const std::uint32_t server : servers) {
    const auto found = std::find(servers_.begin(), servers_.end(), server);
    part_of_.push_back(static_cast<std::uint32_t>(found - servers_.begin()));
    if (found == servers_.end()) servers_.push_back(server);
  }
  // A counting sort of the keys by part, stable, so each part keeps request order. starts_[p]
  // serves as part p's write position, which leaves it at part p + 1's start: shifted back after.
  starts_.assign(servers_.size() + 1, 0);
  for (const std::uint32_t part : part_of_) ++starts_[part + 1];
  for (std::size_t p = 1; p < starts_.size(); ++p) starts_[p] += starts_[p - 1];
  keys_.resize(part_of_.size());
  for (std::uint32_t k = 0; k < part_of_.size(); ++k) keys_[starts_[part_of_[k]]++] = k;
  for (std::size_t p = servers_.size(); p > 0; --p) starts_[p] = starts_[p - 1];
  starts_[0] = 0;
}

void KeysByServer::trim(std::size_t keep) noexcept {
  clear_and_trim(servers_, keep);
  clear_and_trim(part_of_, keep);
  clear_and_trim(starts_, keep);
  clear_and_trim(keys_, keep);
}

}  // namespace ringleader::proxy
