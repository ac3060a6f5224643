// The proxy's log: one line per event on stderr, in logfmt (key=value), so both people and log
// shippers read it:
//
//   ts=2026-11-21T22:50:01.123Z level=info msg="config reloaded" file=/etc/ringleader.yml pools=2
//
// Levels: error, warn, info (the default), debug (`-v`), trace (`-vv`). Thread-safe: each line is
// formatted whole, then written with one write() call.
//
// With `-o FILE` the log file takes the place of stderr (file descriptor 2, opened for appending),
// so anything else written to stderr (a sanitizer's report, a crash's stack trace) lands in it too.
// reopen() swaps in a fresh descriptor for the same path with one dup2(), which writers on other
// threads never see half done: that is what a logrotate rule's SIGHUP asks for.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace ringleader::proxy::log {

enum class Level { error = 0, warn = 1, info = 2, debug = 3, trace = 4 };

/// Lines above this level are dropped. Set at start-up (serve's -v), changed by SIGTTIN/SIGTTOU.
void set_level(Level level) noexcept;
Level level() noexcept;
bool enabled(Level level) noexcept;
/// One step more (SIGTTIN) or less (SIGTTOU) verbose, stopping at trace and error; returns the new level.
Level raise_level() noexcept;
Level lower_level() noexcept;
std::string_view name(Level level) noexcept;

/// Sends the log (and everything else written to stderr) to `path`, appended to, created 0644 if it
/// does not exist. Throws std::runtime_error naming the path when it cannot be opened.
void open_file(const std::string& path);
/// Opens the log file's path again (after logrotate renamed it). Does nothing when the log is
/// stderr. Returns an error message, empty on success; on failure the old descriptor stays.
std::string reopen();
/// The path given to open_file(), empty when the log is stderr.
const std::string& file() noexcept;

using Field = std::pair<std::string_view, std::string>;

/// Writes `ts=... level=... msg="..."` and the fields; values with spaces or quotes are quoted.
void write(Level level, std::string_view message, std::initializer_list<Field> fields = {});
/// Writes the line at whatever level is set, shown as `level`: for what the operator asked for
/// (a signal received, the level changed), as nutcracker logs its signals at every level.
void always(Level level, std::string_view message, std::initializer_list<Field> fields = {});

inline void error(std::string_view m, std::initializer_list<Field> f = {}) { write(Level::error, m, f); }
inline void warn(std::string_view m, std::initializer_list<Field> f = {}) { write(Level::warn, m, f); }
inline void info(std::string_view m, std::initializer_list<Field> f = {}) { write(Level::info, m, f); }
inline void debug(std::string_view m, std::initializer_list<Field> f = {}) {
  if (enabled(Level::debug)) write(Level::debug, m, f);
}
inline void trace(std::string_view m, std::initializer_list<Field> f = {}) {
  if (enabled(Level::trace)) write(Level::trace, m, f);
}

}  // namespace ringleader::proxy::log
