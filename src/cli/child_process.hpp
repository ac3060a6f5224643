// Child processes the demo starts (memcached servers, the proxy), stopped on every way out:
// the destructor, Ctrl-C / SIGTERM (a handler stops every live child, then exits), and the death of
// ringleader itself (the child gets SIGTERM from the kernel via PR_SET_PDEATHSIG).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace ringleader::cli {

class ChildProcess {
 public:
  /// Starts argv[0] (searched in PATH) with the arguments. Throws std::system_error with exec's errno
  /// (ENOENT: not installed) if it cannot run, std::runtime_error if it cannot fork.
  /// Its stdout and stderr go to `log_path` (or are discarded when empty).
  explicit ChildProcess(std::vector<std::string> argv, const std::string& log_path = {});
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const noexcept { return pid_; }
  /// True while the process has not exited.
  bool running();
  /// Sends a signal (e.g. SIGHUP to reload).
  void signal(int signo) const;
  /// SIGTERM, then SIGKILL if it has not exited within `grace`.
  void stop(std::chrono::milliseconds grace = std::chrono::milliseconds(2000));

  /// Installs the SIGINT/SIGTERM handler that stops every live child before exiting.
  static void stop_all_on_signal();

 private:
  pid_t pid_ = -1;
};

/// A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0 and released).
std::uint16_t free_port();
/// True if something accepts TCP connections on 127.0.0.1:port.
bool port_in_use(std::uint16_t port);
/// Waits until 127.0.0.1:port accepts a connection; false after `timeout`.
bool wait_for_port(std::uint16_t port, std::chrono::milliseconds timeout);

}  // namespace ringleader::cli
