// ChildProcess; see child_process.hpp.
#include "support/child_process.hpp"

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>
#include <thread>

#include "support/unique_fd.hpp"

namespace ringleader::support {
namespace {

// Live children, read by the signal handler: fixed size, lock-free, async-signal-safe.
constexpr std::size_t kMaxChildren = 64;
std::array<std::atomic<pid_t>, kMaxChildren> g_children{};

void remember(pid_t pid) {
  for (auto& slot : g_children) {
    pid_t empty = 0;
    if (slot.compare_exchange_strong(empty, pid)) return;
  }
}

void forget(pid_t pid) {
  for (auto& slot : g_children) {
    pid_t expected = pid;
    if (slot.compare_exchange_strong(expected, 0)) return;
  }
}

extern "C" void stop_children_and_exit(int signo) {
  for (auto& slot : g_children) {
    const pid_t pid = slot.load();
    if (pid > 0) ::kill(pid, SIGKILL);
  }
  ::_exit(128 + signo);
}

std::system_error errno_error(const std::string& what) {
  return std::system_error(errno, std::generic_category(), what);
}

}  // namespace

std::string find_executable(const std::string& name) {
  if (name.find('/') != std::string::npos) return ::access(name.c_str(), X_OK) == 0 ? name : "";
  std::stringstream dirs(std::getenv("PATH") ? std::getenv("PATH") : "");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    if (dir.empty()) continue;
    const auto candidate = std::filesystem::path(dir) / name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

ChildProcess::ChildProcess(std::vector<std::string> argv, std::string log_path, int stop_signal)
    : log_path_(std::move(log_path)), stop_signal_(stop_signal) {
  const std::string exe = find_executable(argv.at(0));
  if (exe.empty()) throw std::system_error(ENOENT, std::generic_category(), "cannot run " + argv[0]);
  std::vector<char*> args;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  // Opened before the fork: the child then only calls async-signal-safe functions.
  UniqueFd out(::open(log_path_.empty() ? "/dev/null" : log_path_.c_str(),
                      O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
  if (!out) throw errno_error("cannot open " + (log_path_.empty() ? std::string("/dev/null") : log_path_));
  // Closed on exec; carries errno if exec fails. Owned here, so a throw on any path loses no end.
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) throw errno_error("pipe");
  UniqueFd exec_error_read(pipe_fds[0]), exec_error_write(pipe_fds[1]);
  const pid_t parent = ::getpid();
  pid_ = ::fork();
  if (pid_ < 0) throw errno_error("fork");
  if (pid_ == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // dies with its parent, even one that crashed
    if (::getppid() != parent) ::_exit(127);
    ::dup2(out.get(), STDOUT_FILENO);  // dup2'd descriptors do not inherit O_CLOEXEC
    ::dup2(out.get(), STDERR_FILENO);
    ::execv(exe.c_str(), args.data());
    const int err = errno;
    (void)!::write(exec_error_write.get(), &err, sizeof err);
    ::_exit(127);
  }
  exec_error_write.reset();
  int err = 0;
  if (::read(exec_error_read.get(), &err, sizeof err) == sizeof err) {
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
    throw std::system_error(err, std::generic_category(), "cannot run " + argv[0]);
  }
  remember(pid_);
}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)), log_path_(std::move(other.log_path_)), stop_signal_(other.stop_signal_) {}

ChildProcess::~ChildProcess() { stop(); }

void ChildProcess::reaped() {
  forget(pid_);
  pid_ = -1;
}

bool ChildProcess::running() {
  if (pid_ <= 0) return false;
  if (::waitpid(pid_, nullptr, WNOHANG) == 0) return true;
  reaped();
  return false;
}

void ChildProcess::signal(int signo) const {
  if (pid_ > 0) ::kill(pid_, signo);
}

void ChildProcess::stop(std::chrono::milliseconds grace) {
  if (pid_ <= 0) return;
  ::kill(pid_, stop_signal_);
  const auto deadline = std::chrono::steady_clock::now() + grace;
  while (::waitpid(pid_, nullptr, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  reaped();
}

std::string ChildProcess::log() const {
  std::ifstream in(log_path_);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void ChildProcess::stop_all_on_signal() {
  struct sigaction sa {};
  sa.sa_handler = stop_children_and_exit;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
}

}  // namespace ringleader::support
