// The two address formats of nutcracker.yml: a server entry and a listen address.
//
// Source of the facts: twemproxy 0.5.0 conf_add_server() and conf_set_listen() (src/nc_conf.c).
// A server is "host:port:weight [name]" or "/unix/path:weight [name]", split from the end: the name
// after the last space, the weight after the last colon before it, then (TCP only) the port after the
// colon before that; the host is the rest, so it may itself contain colons (IPv6 without brackets).
// ringleader adds one trailing word, `draining` (a planned leave: docs/warmup.md) or `removed` (a
// server that left and keeps its slot: docs/operations.md, "Stable slots").
// A listen address is "host:port" or "/unix/path [octal permissions]"; an IPv6 host may be in
// brackets ("[::1]:22121"). The stats and admin ports' addresses are parsed here too.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "proxy/config/config.hpp"

namespace ringleader::config {

/// Parses a server entry. Throws std::invalid_argument with the reason; Server::line is left 0.
Server parse_server(std::string_view text);

/// Parses a listen address. Throws std::invalid_argument with the reason.
Listen parse_listen(std::string_view text);

/// Parses etcd's client endpoints, "[https://]HOST:PORT[,...]" (spaces ignored). Throws
/// std::invalid_argument naming the bad one.
std::vector<std::string> parse_etcd_endpoints(std::string_view text);

/// Parses `dns_resolver:`, "IP:PORT[,IP:PORT...]" (an IPv6 address in brackets), into c-ares'
/// server list format. Throws std::invalid_argument naming the bad one (a host name among them).
std::vector<std::string> parse_dns_resolvers(std::string_view text);

/// Parses `dns_a:`, "NAME:PORT". Throws std::invalid_argument.
std::pair<std::string, std::uint16_t> parse_name_port(std::string_view text);

}  // namespace ringleader::config
