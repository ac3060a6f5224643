// ProxyStats; see proxy_stats.hpp.
#include "cli/proxy_stats.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>

#include "support/ports.hpp"

namespace ringleader::cli {

ProxyStats::ProxyStats(std::uint16_t stats_port) {
  // The stats port writes the whole document, then closes the connection.
  const support::UniqueFd fd = support::connect_loopback(stats_port);
  timeval timeout{5, 0};  // a stuck proxy fails the demo instead of hanging it
  ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  std::string text;
  char chunk[16 * 1024];
  for (ssize_t n; (n = ::read(fd.get(), chunk, sizeof chunk)) > 0;) text.append(chunk, static_cast<std::size_t>(n));
  document_ = nlohmann::json::parse(text, nullptr, false);
  if (!document_.is_object())
    throw std::runtime_error("the proxy's stats port (127.0.0.1:" + std::to_string(stats_port) + ") sent no JSON document");
}

bool ProxyStats::lists(const std::string& pool, const std::string& server) const {
  const auto p = document_.find(pool);
  return p != document_.end() && p->is_object() && p->contains(server) && (*p)[server].is_object();
}

std::uint64_t ProxyStats::server_counter(const std::string& pool, const std::string& server,
                                         const std::string& counter) const {
  if (!lists(pool, server)) return 0;
  return document_[pool][server].value(counter, std::uint64_t{0});
}

}  // namespace ringleader::cli
