// Listening TCP sockets, opened the same way for the pools (server.cpp) and for the stats and admin
// ports (stats/listeners.cpp): the listen address resolved for listening (config::parse_listen
// parses it, for all of them), then open, SO_REUSEADDR (a TIME_WAIT socket of an earlier run does
// not block a restart), bind and listen.
#pragma once

#include <system_error>

#include <asio/basic_socket_acceptor.hpp>
#include <asio/generic/stream_protocol.hpp>
#include <asio/io_context.hpp>

#include "proxy/config/config.hpp"

namespace ringleader::proxy {

using Acceptor = asio::basic_socket_acceptor<asio::generic::stream_protocol>;

/// Where the TCP address `listen` listens: its host resolved (the first address). Sets `ec` if the
/// host does not resolve.
asio::generic::stream_protocol::endpoint resolve_listen_address(const config::Listen& listen, std::error_code& ec);

/// A socket listening on `endpoint` with `backlog`, whose TCP connections are accepted with
/// TCP_NODELAY. With `share_port`, SO_REUSEPORT too, so that each worker thread binds its own socket
/// to the same address. Sets `ec` on failure.
Acceptor open_listener(asio::io_context& io, const asio::generic::stream_protocol::endpoint& endpoint, int backlog, bool share_port, std::error_code& ec);

}  // namespace ringleader::proxy
