// ChildProcess: a program this process started (memcached, redis-server, nutcracker, the proxy), with
// its output in a log file, and always stopped: by its destructor (the stop signal, then SIGKILL),
// by Ctrl-C / SIGTERM once stop_all_on_signal() is installed, and by the kernel when this process
// dies (PR_SET_PDEATHSIG), so neither `ringleader demo` nor a test leaves servers behind.
//
//   support::ChildProcess cache({"memcached", "-p", std::to_string(port)}, "memcached.log");
//   support::wait_until_accepting(port);
#pragma once

#include <sys/types.h>

#include <chrono>
#include <csignal>
#include <string>
#include <vector>

namespace ringleader::support {

class ChildProcess {
 public:
  /// Starts argv[0] (see find_executable) with the arguments; its stdout and stderr are appended to
  /// `log_path` (discarded when empty). stop() sends `stop_signal` first. Throws std::system_error
  /// with exec's errno if it cannot run (std::errc::no_such_file_or_directory: not installed).
  explicit ChildProcess(std::vector<std::string> argv, std::string log_path = {}, int stop_signal = SIGTERM);
  ~ChildProcess();
  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&&) = delete;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const noexcept { return pid_; }
  const std::string& log_path() const noexcept { return log_path_; }
  /// True while the process has not exited.
  bool running();
  /// Sends a signal (SIGHUP to reload, say).
  void signal(int signo) const;
  /// Sends the stop signal, SIGKILL if it has not exited within `grace`, and reaps it. Idempotent.
  void stop(std::chrono::milliseconds grace = std::chrono::milliseconds(2000));
  /// The log's contents, for error messages.
  std::string log() const;

  /// Installs the SIGINT/SIGTERM handler that kills every live child before exiting.
  static void stop_all_on_signal();

 private:
  /// The child has been reaped: forget it.
  void reaped();

  pid_t pid_ = -1;
  std::string log_path_;
  int stop_signal_;
};

/// The full path of an executable: `name` itself if it has a '/', else looked up in PATH, as a shell
/// does; empty if absent.
std::string find_executable(const std::string& name);

}  // namespace ringleader::support
