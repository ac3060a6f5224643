// Process: a child process that is always stopped: by its destructor (SIGTERM, then SIGKILL), and by
// the kernel if the test process itself dies (PR_SET_PDEATHSIG), so no test leaves servers behind.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace ringleader::test {

class Process {
 public:
  /// Starts argv[0] (searched in PATH, /usr/sbin and /usr/bin) with its output going to `log_file`.
  /// stop() sends `stop_signal` first. Throws std::runtime_error if it cannot be started.
  Process(std::vector<std::string> argv, std::string log_file, int stop_signal = 15 /* SIGTERM */);
  ~Process();
  Process(Process&& other) noexcept;
  Process& operator=(Process&&) = delete;
  Process(const Process&) = delete;

  /// Stops the process (the stop signal, SIGKILL after `grace`) and reaps it. Idempotent.
  void stop(std::chrono::milliseconds grace = std::chrono::milliseconds(2000));
  /// True while the process has not exited.
  bool running();
  pid_t pid() const noexcept { return pid_; }
  const std::string& log_file() const noexcept { return log_file_; }
  /// The log's contents, for failure messages.
  std::string log() const;

 private:
  pid_t pid_ = -1;
  std::string log_file_;
  int stop_signal_;
};

/// The full path of an executable, looked up in PATH, /usr/sbin and /usr/bin; empty if absent.
std::string find_executable(const std::string& name);

}  // namespace ringleader::test
