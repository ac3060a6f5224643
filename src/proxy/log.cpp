#include "proxy/log.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <stdexcept>

namespace ringleader::proxy::log {
namespace {

std::atomic<int> g_level{static_cast<int>(Level::info)};
std::string g_file;  // set once before the workers start; read by reopen() on the signal thread

constexpr std::string_view kNames[] = {"error", "warn", "info", "debug", "trace"};

void append_value(std::string& line, std::string_view value) {
  bool plain = !value.empty() && value.find_first_of(" \"=\t\r\n\\") == std::string_view::npos;
  if (plain) {
    line += value;
    return;
  }
  line += '"';
  for (char c : value) {
    switch (c) {
      case '"': line += "\\\""; break;
      case '\\': line += "\\\\"; break;
      case '\n': line += "\\n"; break;
      case '\r': line += "\\r"; break;
      case '\t': line += "\\t"; break;
      default: line += c;
    }
  }
  line += '"';
}

// Opens `path` for appending onto stderr; an error message, empty on success.
std::string open_onto_stderr(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return "cannot open log file '" + path + "': " + std::strerror(errno);
  const bool moved = ::dup2(fd, STDERR_FILENO) >= 0;  // atomic: a concurrent write goes to one or the other
  const int saved = errno;
  ::close(fd);
  if (!moved) return "cannot use log file '" + path + "': " + std::strerror(saved);
  return {};
}

void emit(Level level, std::string_view message, std::initializer_list<Field> fields) {
  using namespace std::chrono;
  const auto now = system_clock::now();
  const std::time_t seconds = system_clock::to_time_t(now);
  const auto millis = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char ts[64];
  std::snprintf(ts, sizeof ts, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900, utc.tm_mon + 1,
                utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, static_cast<int>(millis));
  std::string line = "ts=";
  line += ts;
  line += " level=";
  line += kNames[static_cast<int>(level)];
  line += " msg=";
  append_value(line, message);
  for (const auto& [key, value] : fields) {
    line += ' ';
    line += key;
    line += '=';
    append_value(line, value);
  }
  line += '\n';
  (void)!::write(STDERR_FILENO, line.data(), line.size());
}

}  // namespace

void set_level(Level level) noexcept { g_level.store(static_cast<int>(level), std::memory_order_relaxed); }

Level level() noexcept { return static_cast<Level>(g_level.load(std::memory_order_relaxed)); }

bool enabled(Level level) noexcept { return static_cast<int>(level) <= g_level.load(std::memory_order_relaxed); }

Level raise_level() noexcept {
  const int next = std::min(g_level.load(std::memory_order_relaxed) + 1, static_cast<int>(Level::trace));
  g_level.store(next, std::memory_order_relaxed);
  return static_cast<Level>(next);
}

Level lower_level() noexcept {
  const int next = std::max(g_level.load(std::memory_order_relaxed) - 1, static_cast<int>(Level::error));
  g_level.store(next, std::memory_order_relaxed);
  return static_cast<Level>(next);
}

std::string_view name(Level level) noexcept { return kNames[static_cast<int>(level)]; }

void open_file(const std::string& path) {
  if (std::string error = open_onto_stderr(path); !error.empty()) throw std::runtime_error(error);
  g_file = path;
}

std::string reopen() { return g_file.empty() ? std::string() : open_onto_stderr(g_file); }

const std::string& file() noexcept { return g_file; }

void write(Level level, std::string_view message, std::initializer_list<Field> fields) {
  if (enabled(level)) emit(level, message, fields);
}

void always(Level level, std::string_view message, std::initializer_list<Field> fields) {
  emit(level, message, fields);
}

}  // namespace ringleader::proxy::log
