// `serve -d`: detaching from the terminal the classic way (Stevens, APUE 13.3), as nutcracker's
// nc_daemonize() does: fork, setsid, fork again (so the daemon can never reacquire a terminal),
// chdir("/"), stdin and stdout on /dev/null, stderr on /dev/null unless it is the log file already.
//
// Unlike nutcracker, whose first process exits 0 as soon as it has forked, the process that ran
// `serve -d` waits until the daemon is listening: it exits 0 once the daemon says ready(), and 1
// with the daemon's error when it fails to start (a port in use), so an init script or
// start-stop-daemon sees the failure.
#pragma once

#include <string_view>

namespace ringleader::cli {

class Daemon {
 public:
  /// Returns only in the daemon. The calling process stays in here until ready() or failed() (or
  /// the daemon's death), then exits. Call it before any thread starts: fork() copies one thread.
  static Daemon detach();

  Daemon(Daemon&& other) noexcept : report_(other.report_) { other.report_ = -1; }
  Daemon& operator=(Daemon&&) = delete;
  ~Daemon();

  /// The daemon serves: the waiting process exits 0.
  void ready();
  /// The daemon cannot start: the waiting process prints `message` on its stderr and exits 1.
  void failed(std::string_view message);

 private:
  explicit Daemon(int report) : report_(report) {}
  int report_;  // write end of the pipe the waiting process reads; owned (closed by the destructor)
};

}  // namespace ringleader::cli
