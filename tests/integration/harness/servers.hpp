// Real servers for integration tests: memcached, redis-server, nutcracker and ringleader itself, each
// started on a free loopback port, waited for until it accepts connections, and always stopped (a
// Server owns its process). Logs go to a per-test temporary directory, removed afterwards.
//
//   ringleader::test::TempDir dir;
//   auto cache = ringleader::test::start_memcached(dir);
//   ringleader::test::Connection c(cache.port);
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "harness/connection.hpp"
#include "support/child_process.hpp"
#include "support/ports.hpp"

namespace ringleader::test {

// Processes and ports come from the support library, which `ringleader demo` uses too.
using Process = support::ChildProcess;
using support::accepting;
using support::wait_until_accepting;

/// A port nothing listens on, reserved against every other test process of this machine until this
/// one exits: ctest runs tests side by side, and a port one test found free could otherwise be taken
/// by another before its server binds it. The same reservation as the Python tests' free_port
/// (tests/integration/operations/processes.py): a lock on a file in /tmp, and a port outside the
/// kernel's ephemeral range, which no outgoing connection takes.
std::uint16_t free_port();

/// A temporary directory, removed with everything in it.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const noexcept { return path_; }
  /// Writes `text` to a file in the directory; returns its path.
  std::filesystem::path write(const std::string& name, const std::string& text) const;

 private:
  std::filesystem::path path_;
};

struct Server {
  Process process;
  std::uint16_t port;
};

/// memcached on a free port; `extra` arguments are appended (e.g. {"-I", "2m"}).
Server start_memcached(const TempDir& dir, const std::vector<std::string>& extra = {});
/// memcached on 127.0.0.1:port (to bring a stopped server back where it was).
Server start_memcached_on(const TempDir& dir, std::uint16_t port, const std::vector<std::string>& extra = {});
/// redis-server on a free port, without persistence; `extra` like {"--requirepass", "secret"}.
Server start_redis(const TempDir& dir, const std::vector<std::string>& extra = {});
/// nutcracker with `config_file`, waited for on every port of `ports` (its pools' listen ports).
Server start_nutcracker(const TempDir& dir, const std::filesystem::path& config_file,
                        const std::vector<std::uint16_t>& ports);
/// `ringleader serve` with `config_file` from this build, waited for on every port of `ports`.
Server start_ringleader(const TempDir& dir, const std::filesystem::path& config_file,
                        const std::vector<std::uint16_t>& ports, const std::vector<std::string>& extra = {});
/// SIGSTOP to `process`, returning once every one of its threads is stopped. kill() only queues the
/// signal: on a loaded machine a server went on answering for a moment after it, and a test that
/// expected timeouts saw every request answered (issue 21).
void stop(const Process& process);
/// The ringleader executable of this build.
std::string ringleader_executable();
/// Runs `command` with the shell; returns its exit status (as pclose gives it) and its output, stdout
/// and stderr together (for redis-cli, nutcracker -t and the like).
std::pair<int, std::string> run_shell(const std::string& command);

}  // namespace ringleader::test
