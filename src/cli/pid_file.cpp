// PidFile; see pid_file.hpp.
#include "cli/pid_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

namespace ringleader::cli {

PidFile::PidFile(std::string path) : path_(std::move(path)) {
  const int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error("cannot open pid file '" + path_ + "': " + std::strerror(errno));
  const std::string text = std::to_string(::getpid()) + "\n";
  const bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  const int saved = errno;
  ::close(fd);
  if (!written) throw std::runtime_error("cannot write pid file '" + path_ + "': " + std::strerror(saved));
}

PidFile::~PidFile() {
  // Only the file this process wrote: a second instance may have replaced it since.
  if (const int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC); fd >= 0) {
    char buffer[32] = {};
    const ssize_t n = ::read(fd, buffer, sizeof buffer - 1);
    ::close(fd);
    if (n > 0 && std::atol(buffer) == ::getpid()) ::unlink(path_.c_str());
  }
}

}  // namespace ringleader::cli
