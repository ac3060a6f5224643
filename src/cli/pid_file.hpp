// `serve -p FILE`: the process id in a file for init scripts and start-stop-daemon, written by the
// process that serves (the daemon with -d), removed when it exits normally (nutcracker 0.5.0 leaves
// it behind: it dies by SIGTERM's default action).
#pragma once

#include <string>

namespace ringleader::cli {

class PidFile {
 public:
  /// Writes getpid() and a newline to `path` (created 0644 or truncated). Throws
  /// std::runtime_error naming the path when it cannot.
  explicit PidFile(std::string path);
  ~PidFile();
  PidFile(const PidFile&) = delete;
  PidFile& operator=(const PidFile&) = delete;

 private:
  std::string path_;
};

}  // namespace ringleader::cli
