// Daemon; see daemon.hpp.
#include "cli/daemon.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>

#include "proxy/log.hpp"

namespace ringleader::cli {
namespace {

// The waiting process: reads what the daemon reports until the daemon closes the pipe, then exits.
[[noreturn]] void wait_for_daemon(int report) {
  std::string message;
  char buffer[512];
  for (;;) {
    const ssize_t n = ::read(report, buffer, sizeof buffer);
    if (n > 0) {
      message.append(buffer, static_cast<std::size_t>(n));
    } else if (n == 0 || errno != EINTR) {
      break;
    }
  }
  ::close(report);
  if (message == "ready") std::_Exit(0);
  if (message.empty()) message = "the daemon exited before it was ready (see its log)";
  std::fprintf(stderr, "%s\n", message.c_str());
  std::_Exit(1);
}

void redirect(int fd, int flags) {
  const int null = ::open("/dev/null", flags);
  if (null < 0) throw std::runtime_error(std::string("cannot open /dev/null: ") + std::strerror(errno));
  ::dup2(null, fd);
  if (null != fd) ::close(null);
}

}  // namespace

Daemon Daemon::detach() {
  int pipe[2];
  if (::pipe2(pipe, O_CLOEXEC) != 0) throw std::runtime_error(std::string("cannot daemonize: pipe: ") + std::strerror(errno));
  std::fflush(nullptr);  // what the caller printed must not be printed again by the children
  switch (::fork()) {
    case -1:
      throw std::runtime_error(std::string("cannot daemonize: fork: ") + std::strerror(errno));
    case 0:
      break;
    default:
      ::close(pipe[1]);
      wait_for_daemon(pipe[0]);
  }
  ::close(pipe[0]);
  // The first child leads a new session, with no terminal; its child, no session leader, can never
  // acquire one. The first child exits at once.
  if (::setsid() < 0) {
    const std::string reason = std::string("cannot daemonize: setsid: ") + std::strerror(errno);
    (void)!::write(pipe[1], reason.data(), reason.size());
    std::_Exit(1);
  }
  switch (::fork()) {
    case -1: {
      const std::string reason = std::string("cannot daemonize: fork: ") + std::strerror(errno);
      (void)!::write(pipe[1], reason.data(), reason.size());
      std::_Exit(1);
    }
    case 0:
      break;
    default:
      std::_Exit(0);
  }
  // Not to keep a mounted file system busy. Paths the daemon reads later (config, log, pid file)
  // were made absolute by the caller.
  if (::chdir("/") != 0) {
    const std::string reason = std::string("cannot daemonize: chdir /: ") + std::strerror(errno);
    (void)!::write(pipe[1], reason.data(), reason.size());
    std::_Exit(1);
  }
  redirect(STDIN_FILENO, O_RDONLY);
  redirect(STDOUT_FILENO, O_WRONLY);
  if (proxy::log::file().empty()) redirect(STDERR_FILENO, O_WRONLY);
  return Daemon(pipe[1]);
}

Daemon::~Daemon() {
  if (report_ >= 0) ::close(report_);
}

void Daemon::ready() {
  if (report_ < 0) return;
  (void)!::write(report_, "ready", 5);
  ::close(report_);
  report_ = -1;
}

void Daemon::failed(std::string_view message) {
  if (report_ < 0) return;
  (void)!::write(report_, message.data(), message.size());
  ::close(report_);
  report_ = -1;
}

}  // namespace ringleader::cli
