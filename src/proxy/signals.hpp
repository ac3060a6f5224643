// What `ringleader serve` does on each signal: nutcracker's signals (nc_signal.c) with the same
// meaning, plus the config reload on SIGHUP that nutcracker lacks.
//
//   SIGHUP            reopen the log file (a logrotate rule renamed it), then reload the config
//   SIGINT, SIGTERM   graceful shutdown (Server::run)
//   SIGTTIN, SIGTTOU  log level one step up, one step down (nutcracker's; without a handler either
//                     one would suspend the process, which then stops serving)
//   SIGUSR1, SIGUSR2  logged and ignored (their default action would kill the process)
//   SIGSEGV, SIGABRT, SIGBUS, SIGFPE, SIGILL
//                     a log line and a stack trace on stderr (the log file with -o), then the
//                     signal's default action: the process dies by it (and dumps core if allowed)
//
// Every signal received is logged, at any log level, as `msg="signal received" signal=SIGHUP
// action=...`.
#pragma once

#include <csignal>
#include <string>

namespace ringleader::proxy::signals {

/// The signals Server::run() waits for (through asio, on its own thread, not in a signal handler).
inline constexpr int kHandled[] = {SIGHUP, SIGINT, SIGTERM, SIGTTIN, SIGTTOU, SIGUSR1, SIGUSR2};

enum class Action { none, reload, shut_down };

/// Logs `signal` and does what it does to the process itself (the log file, the log level);
/// returns what the server must do.
Action handle(int signal);

/// Installs the crash handlers, and ignores the signals of kHandled that would stop or kill the
/// process (all but SIGINT and SIGTERM) until Server::run() waits for them: a SIGTTIN during
/// start-up must not suspend it, nor a SIGHUP end it.
/// Call once, before any thread starts.
void install();

/// "SIGHUP", or "signal 77" for one without a name.
std::string name(int signal);

}  // namespace ringleader::proxy::signals
