// Parsing of server entries and listen addresses (facts: server_entry.hpp).
#include "proxy/config/server_entry.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <stdexcept>
#include <string>

namespace ringleader::config {
namespace {

constexpr std::string_view kServerFormat =
    "expected \"host:port:weight [name] [draining|removed]\" or \"/path/unix_socket:weight [name] [draining|removed]\"";

// twemproxy's nc_atoi: decimal digits only; -1 on anything else (or on values past what we accept).
long long decimal(std::string_view digits, long long max) {
  if (digits.empty() || digits.size() > 10) return -1;
  long long v = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return -1;
    v = v * 10 + (c - '0');
  }
  return v <= max ? v : -1;
}

std::uint16_t port_of(std::string_view digits, std::string_view what) {
  const long long port = decimal(digits, 65535);
  if (port < 1) throw std::invalid_argument("'" + std::string(digits) + "' is not a valid port (1..65535) in " + std::string(what));
  return static_cast<std::uint16_t>(port);
}

}  // namespace

Server parse_server(std::string_view text) {
  Server s;
  s.text = std::string(text);
  if (text.empty()) throw std::invalid_argument("an empty server entry; " + std::string(kServerFormat));
  std::string_view rest = text;
  // ringleader's trailing option: nutcracker's format has at most one word after the address, so a
  // second one cannot be a name. Alone it is one too (a server named "draining" or "removed" is not
  // supported).
  if (constexpr std::string_view kDraining = " draining"; rest.ends_with(kDraining)) {
    s.draining = true;
    rest.remove_suffix(kDraining.size());
  } else if (constexpr std::string_view kRemoved = " removed"; rest.ends_with(kRemoved)) {
    s.removed = true;
    rest.remove_suffix(kRemoved.size());
  }
  if (const auto space = rest.rfind(' '); space != std::string_view::npos) {
    s.name = std::string(rest.substr(space + 1));
    rest = rest.substr(0, space);
    if (s.name.empty()) throw std::invalid_argument("'" + s.text + "': the name after the space is empty");
  }
  const auto weight_colon = rest.rfind(':');
  if (weight_colon == std::string_view::npos)
    throw std::invalid_argument("'" + s.text + "': " + std::string(kServerFormat));
  const std::string_view weight = rest.substr(weight_colon + 1);
  rest = rest.substr(0, weight_colon);
  const long long w = decimal(weight, 0x7FFFFFFF);
  if (w < 0) throw std::invalid_argument("'" + s.text + "': '" + std::string(weight) + "' is not a valid weight");
  if (w == 0) throw std::invalid_argument("'" + s.text + "': the weight is 0 (twemproxy rejects zero weights)");
  s.weight = static_cast<std::uint32_t>(w);

  if (text.front() == '/') {
    // twemproxy splits at colons, so a socket path cannot contain one.
    if (rest.find_first_of(" :") != std::string_view::npos)
      throw std::invalid_argument("'" + s.text + "': " + std::string(kServerFormat) + " (a socket path cannot contain ':')");
    s.unix_path = std::string(rest);
    return s;
  }
  const auto port_colon = rest.rfind(':');
  if (port_colon == std::string_view::npos)
    throw std::invalid_argument("'" + s.text + "': " + std::string(kServerFormat));
  s.port = port_of(rest.substr(port_colon + 1), "'" + s.text + "'");
  s.host = std::string(rest.substr(0, port_colon));
  if (s.host.empty()) throw std::invalid_argument("'" + s.text + "': the host is empty");
  if (s.host.find(' ') != std::string::npos)
    throw std::invalid_argument("'" + s.text + "': " + std::string(kServerFormat));
  return s;
}

Listen parse_listen(std::string_view text) {
  Listen l;
  l.text = std::string(text);
  if (text.empty()) throw std::invalid_argument("empty; expected \"host:port\" or \"/path/unix_socket [permissions]\"");
  if (text.front() == '/') {
    const auto space = text.rfind(' ');
    if (space == std::string_view::npos) {
      l.unix_path = l.text;
      return l;
    }
    l.unix_path = std::string(text.substr(0, space));
    const std::string_view perm = text.substr(space + 1);
    std::uint32_t mode = 0;
    bool octal = !perm.empty() && perm.size() <= 4;
    for (char c : perm) {
      if (c < '0' || c > '7') octal = false;
      else mode = mode * 8 + static_cast<std::uint32_t>(c - '0');
    }
    if (!octal || mode > 0777)
      throw std::invalid_argument("'" + std::string(perm) + "' is not a file permission (octal, at most 0777)");
    l.unix_permissions = mode;
    return l;
  }
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos) throw std::invalid_argument("'" + l.text + "': expected \"host:port\"");
  l.port = port_of(text.substr(colon + 1), "'" + l.text + "'");
  l.host = std::string(text.substr(0, colon));
  // "[::1]:22121": the brackets set the address off from the port; the resolver takes it without.
  if (l.host.size() > 2 && l.host.front() == '[' && l.host.back() == ']') l.host = l.host.substr(1, l.host.size() - 2);
  if (l.host.empty()) throw std::invalid_argument("'" + l.text + "': the host is empty");
  return l;
}

namespace {

// HOST:PORT[,HOST:PORT...] (spaces ignored); `usage` ends each message. With `schemes`, each may
// begin with http:// or https://.
std::vector<std::string> parse_endpoints(std::string_view text, const std::string& usage, bool schemes = false) {
  std::vector<std::string> endpoints;
  while (!text.empty()) {
    const std::size_t comma = std::min(text.find(','), text.size());
    std::string endpoint(text.substr(0, comma));
    std::erase(endpoint, ' ');
    text.remove_prefix(std::min(comma + 1, text.size()));
    try {
      std::string_view address = endpoint;
      for (const std::string_view scheme : {"http://", "https://"})
        if (schemes && address.starts_with(scheme)) address.remove_prefix(scheme.size());
      if (parse_listen(std::string(address)).is_unix()) throw std::invalid_argument("is a path, not HOST:PORT");
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument("endpoint '" + endpoint + "': " + e.what() + " (" + usage + ")");
    }
    endpoints.push_back(std::move(endpoint));
  }
  if (endpoints.empty()) throw std::invalid_argument("no endpoint: expected " + usage);
  return endpoints;
}

}  // namespace

std::vector<std::string> parse_etcd_endpoints(std::string_view text) {
  return parse_endpoints(text, "etcd: [https://]HOST:PORT[,...]", /*schemes=*/true);
}

std::vector<std::string> parse_dns_resolvers(std::string_view text) {
  const std::string usage = "dns_resolver: IP:PORT[,IP:PORT...]";
  std::vector<std::string> resolvers;
  for (const std::string& endpoint : parse_endpoints(text, usage)) {
    const Listen address = parse_listen(endpoint);
    in6_addr binary{};
    const bool v4 = ::inet_pton(AF_INET, address.host.c_str(), &binary) == 1;
    if (!v4 && ::inet_pton(AF_INET6, address.host.c_str(), &binary) != 1)
      throw std::invalid_argument("endpoint '" + endpoint + "': '" + address.host +
                                  "' is not an IP address (name servers are asked by address; " + usage + ")");
    resolvers.push_back(v4 ? endpoint : "[" + address.host + "]:" + std::to_string(address.port));
  }
  return resolvers;
}

std::pair<std::string, std::uint16_t> parse_name_port(std::string_view text) {
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0)
    throw std::invalid_argument("'" + std::string(text) + "': expected NAME:PORT");
  return {std::string(text.substr(0, colon)), port_of(text.substr(colon + 1), "'" + std::string(text) + "'")};
}

}  // namespace ringleader::config
