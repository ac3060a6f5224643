// The proxy's log: one line per event on stderr, in logfmt (key=value), so both people and log
// shippers read it:
//
//   ts=2026-11-21T22:50:01.123Z level=info msg="config reloaded" file=/etc/ringleader.yml pools=2
//
// Levels: error, warn, info (the default), debug (`-v`), trace (`-vv`). Thread-safe: each line is
// formatted whole, then written with one write() call.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace ringleader::proxy::log {

enum class Level { error = 0, warn = 1, info = 2, debug = 3, trace = 4 };

/// Lines above this level are dropped. Set once at start-up (serve's -v).
void set_level(Level level) noexcept;
bool enabled(Level level) noexcept;

using Field = std::pair<std::string_view, std::string>;

/// Writes `ts=... level=... msg="..."` and the fields; values with spaces or quotes are quoted.
void write(Level level, std::string_view message, std::initializer_list<Field> fields = {});

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
