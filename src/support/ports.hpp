// Loopback TCP ports for programs that start servers and talk to them (`ringleader demo`, the
// integration tests): one that is free, waiting until a server accepts on one, connecting to one.
#pragma once

#include <chrono>
#include <cstdint>

#include "support/unique_fd.hpp"

namespace ringleader::support {

/// A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0 and released): another
/// program may take it before it is used, so a caller that must have it retries on a bind error.
std::uint16_t free_port();
/// True if something accepts TCP connections on 127.0.0.1:port.
bool accepting(std::uint16_t port);
/// Waits until 127.0.0.1:port accepts connections; false after `timeout`.
bool wait_until_accepting(std::uint16_t port, std::chrono::milliseconds timeout = std::chrono::seconds(10));
/// A blocking TCP connection to 127.0.0.1:port. Throws std::system_error naming the address if
/// nothing accepts there.
UniqueFd connect_loopback(std::uint16_t port);

}  // namespace ringleader::support
