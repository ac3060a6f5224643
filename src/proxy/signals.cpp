// Signals; see signals.hpp.
#include "proxy/signals.hpp"

#include <execinfo.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

#include "proxy/log.hpp"

namespace ringleader::proxy::signals {
namespace {

constexpr int kFatal[] = {SIGSEGV, SIGABRT, SIGBUS, SIGFPE, SIGILL};

// Writing the crash line may use only async-signal-safe calls (signal-safety(7)): no allocation,
// no stdio, no locale. These append to a fixed buffer.
struct Line {
  char text[256];
  std::size_t size = 0;

  void add(const char* s) {
    while (*s != '\0' && size < sizeof text) text[size++] = *s++;
  }
  void add_number(std::uint64_t value, int digits) {  // zero-padded to `digits`
    char reversed[24];
    int n = 0;
    do {
      reversed[n++] = static_cast<char>('0' + value % 10);
      value /= 10;
    } while (value != 0 || n < digits);
    while (n > 0 && size < sizeof text) text[size++] = reversed[--n];
  }
};

// The log's ISO 8601 UTC timestamp without gmtime_r (not async-signal-safe): Howard Hinnant's
// civil_from_days (http://howardhinnant.github.io/date_algorithms.html).
void add_timestamp(Line& line) {
  timespec now{};
  ::clock_gettime(CLOCK_REALTIME, &now);
  const std::int64_t days = now.tv_sec / 86400, second_of_day = now.tv_sec % 86400;
  const std::int64_t z = days + 719468, era = z / 146097, doe = z - era * 146097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
  const std::int64_t day = doy - (153 * mp + 2) / 5 + 1, month = mp < 10 ? mp + 3 : mp - 9;
  const std::int64_t year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  line.add_number(static_cast<std::uint64_t>(year), 4);
  line.add("-");
  line.add_number(static_cast<std::uint64_t>(month), 2);
  line.add("-");
  line.add_number(static_cast<std::uint64_t>(day), 2);
  line.add("T");
  line.add_number(static_cast<std::uint64_t>(second_of_day / 3600), 2);
  line.add(":");
  line.add_number(static_cast<std::uint64_t>(second_of_day / 60 % 60), 2);
  line.add(":");
  line.add_number(static_cast<std::uint64_t>(second_of_day % 60), 2);
  line.add(".");
  line.add_number(static_cast<std::uint64_t>(now.tv_nsec / 1000000), 3);
  line.add("Z");
}

void on_fatal_signal(int signal) {
  const int saved_errno = errno;
  Line line;
  line.add("ts=");
  add_timestamp(line);
  line.add(" level=error msg=\"fatal signal, stack trace follows\" signal=SIG");
  const char* abbrev = ::sigabbrev_np(signal);  // a lookup in a constant table
  line.add(abbrev != nullptr ? abbrev : "?");
  line.add("\n");
  (void)!::write(STDERR_FILENO, line.text, line.size);
  void* frames[64];
  const int count = ::backtrace(frames, 64);
  ::backtrace_symbols_fd(frames, count, STDERR_FILENO);
  // SA_RESETHAND restored the default action: raised again, the signal is delivered as soon as
  // this handler returns and ends the process the way it would have without the handler.
  errno = saved_errno;
  ::raise(signal);
}

}  // namespace

std::string name(int signal) {
  const char* abbrev = ::sigabbrev_np(signal);
  return abbrev != nullptr ? std::string("SIG") + abbrev : "signal " + std::to_string(signal);
}

Action handle(int signal) {
  const std::string signal_name = name(signal);
  switch (signal) {
    case SIGHUP: {
      log::always(log::Level::info, "signal received", {{"signal", signal_name}, {"action", "reopen log, reload config"}});
      if (std::string error = log::reopen(); !error.empty()) log::error("log file not reopened", {{"error", error}});
      return Action::reload;
    }
    case SIGINT:
    case SIGTERM:
      log::always(log::Level::info, "signal received", {{"signal", signal_name}, {"action", "shut down"}});
      return Action::shut_down;
    case SIGTTIN:
    case SIGTTOU: {
      const log::Level now = signal == SIGTTIN ? log::raise_level() : log::lower_level();
      log::always(log::Level::info, "signal received",
                  {{"signal", signal_name},
                   {"action", signal == SIGTTIN ? "log level up" : "log level down"},
                   {"level", std::string(log::name(now))}});
      return Action::none;
    }
    default:
      log::always(log::Level::info, "signal received", {{"signal", signal_name}, {"action", "ignored"}});
      return Action::none;
  }
}

void install() {
  // backtrace() loads libgcc on its first call, which allocates: done here, not in the handler.
  void* frame[1];
  (void)::backtrace(frame, 1);
  struct sigaction action {};
  action.sa_handler = on_fatal_signal;
  action.sa_flags = static_cast<int>(SA_RESETHAND);
  ::sigemptyset(&action.sa_mask);
  for (int signal : kFatal) ::sigaction(signal, &action, nullptr);
  // Until Server::run() handles them: a logrotate SIGHUP during start-up must not end the process.
  for (int signal : {SIGHUP, SIGTTIN, SIGTTOU, SIGUSR1, SIGUSR2}) ::signal(signal, SIG_IGN);
}

}  // namespace ringleader::proxy::signals
