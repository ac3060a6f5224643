// nutcracker's command line (twemproxy 0.5.0, nc.c), for the binary run as `nutcracker`: the same
// options, parsed by the same getopt_long() string, with the same defaults (Debian's build: its
// systemd unit passes no -c or -o) and exit codes, so init scripts, units and logrotate rules
// written for twemproxy start ringleader unchanged.
//
//   -h -V -D     print to stderr and exit 0, as nutcracker does
//   -t           "configuration file 'F' syntax is ok" (exit 0) or "... is invalid" (exit 1)
//   -v N         nutcracker's levels 0..11 onto ringleader's five (nc_log.h: 5 = LOG_NOTICE is the
//                default): 0..3 error, 4 warn, 5 and 6 info, 7 debug, 8..11 trace
//   -s -a        the stats port, on by default at 0.0.0.0:22222 as in nutcracker
//   -p           written only with -d, as nutcracker 0.5.0 does
//   -i -m        accepted, checked as nutcracker checks them, logged as having no effect: stats are
//                live (no aggregation interval) and buffers grow as needed (no mbuf chunks)
#include <getopt.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "cli/commands.hpp"
#include "cli/serve.hpp"
#include "proxy/stats/description.hpp"

namespace ringleader::cli {
namespace {

// Debian's nutcracker 0.5.0 (`nutcracker -h` on Debian 12).
constexpr int kDefaultVerbosity = 5;  // LOG_NOTICE
constexpr int kMaxVerbosity = 11;     // LOG_PVERB
constexpr const char* kDefaultLog = "/var/log/nutcracker/nutcracker.log";
constexpr const char* kDefaultConfig = "/etc/nutcracker/nutcracker.yml";
constexpr int kDefaultStatsPort = 22222;
constexpr const char* kDefaultStatsAddr = "0.0.0.0";
constexpr int kDefaultStatsInterval = 30000;
constexpr const char* kDefaultPidFile = "/run/nutcracker/nutcracker.pid";
constexpr int kDefaultMbufSize = 16384;
constexpr int kMinMbufSize = 512;
constexpr int kMaxMbufSize = 16777216;

constexpr option kLongOptions[] = {
    {"help", no_argument, nullptr, 'h'},
    {"version", no_argument, nullptr, 'V'},
    {"test-conf", no_argument, nullptr, 't'},
    {"daemonize", no_argument, nullptr, 'd'},
    {"describe-stats", no_argument, nullptr, 'D'},
    {"verbose", required_argument, nullptr, 'v'},
    {"output", required_argument, nullptr, 'o'},
    {"conf-file", required_argument, nullptr, 'c'},
    {"stats-port", required_argument, nullptr, 's'},
    {"stats-interval", required_argument, nullptr, 'i'},
    {"stats-addr", required_argument, nullptr, 'a'},
    {"pid-file", required_argument, nullptr, 'p'},
    {"mbuf-size", required_argument, nullptr, 'm'},
    {nullptr, 0, nullptr, 0},
};
constexpr const char* kShortOptions = "hVtdDv:o:c:s:i:a:p:m:";

void show_usage() {
  std::fprintf(stderr,
               "Usage: nutcracker [-?hVdDt] [-v verbosity level] [-o output file]\n"
               "                  [-c conf file] [-s stats port] [-a stats addr]\n"
               "                  [-i stats interval] [-p pid file] [-m mbuf size]\n"
               "\n"
               "Options:\n"
               "  -h, --help             : this help\n"
               "  -V, --version          : show version and exit\n"
               "  -t, --test-conf        : test configuration for syntax errors and exit\n"
               "  -d, --daemonize        : run as a daemon\n"
               "  -D, --describe-stats   : print stats description and exit\n"
               "  -v, --verbose=N        : set logging level (default: %d, min: 0, max: %d)\n"
               "  -o, --output=S         : set logging file (default: %s)\n"
               "  -c, --conf-file=S      : set configuration file (default: %s)\n"
               "  -s, --stats-port=N     : set stats monitoring port (default: %d)\n"
               "  -a, --stats-addr=S     : set stats monitoring ip (default: %s)\n"
               "  -i, --stats-interval=N : set stats aggregation interval in msec (default: %d msec; no effect)\n"
               "  -p, --pid-file=S       : set pid file (default: %s)\n"
               "  -m, --mbuf-size=N      : set size of mbuf chunk in bytes (default: %d bytes; no effect)\n"
               "\n",
               kDefaultVerbosity, kMaxVerbosity, kDefaultLog, kDefaultConfig, kDefaultStatsPort, kDefaultStatsAddr,
               kDefaultStatsInterval, kDefaultPidFile, kDefaultMbufSize);
}

// nutcracker's nc_atoi: digits only, else -1.
int number(const char* text) {
  if (*text == '\0') return -1;
  long value = 0;
  for (const char* c = text; *c != '\0'; ++c) {
    if (*c < '0' || *c > '9') return -1;
    value = value * 10 + (*c - '0');
    if (value > 0x7fffffff) return -1;
  }
  return static_cast<int>(value);
}

proxy::log::Level level_of(int verbosity) {
  using proxy::log::Level;
  if (verbosity <= 3) return Level::error;  // LOG_EMERG .. LOG_ERR
  if (verbosity == 4) return Level::warn;   // LOG_WARN
  if (verbosity <= 6) return Level::info;   // LOG_NOTICE, LOG_INFO
  if (verbosity == 7) return Level::debug;  // LOG_DEBUG
  return Level::trace;                      // LOG_VERB .. LOG_PVERB
}

}  // namespace

int run_as_nutcracker(int argc, char** argv) {
  bool show_help = false, show_version = false, test_conf = false, describe_stats = false;
  int verbosity = kDefaultVerbosity;
  std::string pid_file = kDefaultPidFile;
  ServeOptions options;
  options.config = kDefaultConfig;
  options.output = kDefaultLog;
  std::string stats_addr = kDefaultStatsAddr;
  int stats_port = kDefaultStatsPort;
  opterr = 0;
  for (;;) {
    const int c = ::getopt_long(argc, argv, kShortOptions, kLongOptions, nullptr);
    if (c == -1) break;
    int value = 0;
    switch (c) {
      case 'h': show_version = show_help = true; break;
      case 'V': show_version = true; break;
      case 't': test_conf = true; break;
      case 'd': options.daemonize = true; break;
      case 'D': describe_stats = show_version = true; break;
      case 'v':
        if ((value = number(optarg)) < 0) {
          std::fprintf(stderr, "nutcracker: option -v requires a number\n");
          show_usage();
          return 1;
        }
        verbosity = value;
        break;
      case 'o': options.output = optarg; break;
      case 'c': options.config = optarg; break;
      case 's':
        if ((value = number(optarg)) < 0) {
          std::fprintf(stderr, "nutcracker: option -s requires a number\n");
          show_usage();
          return 1;
        }
        if (value < 1 || value > 65535) {
          std::fprintf(stderr, "nutcracker: option -s value %d is not a valid port\n", value);
          show_usage();
          return 1;
        }
        stats_port = value;
        break;
      case 'i':
        if (number(optarg) < 0) {
          std::fprintf(stderr, "nutcracker: option -i requires a number\n");
          show_usage();
          return 1;
        }
        options.no_effect.push_back(std::string("-i ") + optarg + " (stats are live, summed when asked)");
        break;
      case 'a': stats_addr = optarg; break;
      case 'p': pid_file = optarg; break;
      case 'm':
        if ((value = number(optarg)) <= 0) {
          std::fprintf(stderr, "nutcracker: option -m requires a non-zero number\n");
          show_usage();
          return 1;
        }
        if (value < kMinMbufSize || value > kMaxMbufSize) {
          std::fprintf(stderr, "nutcracker: mbuf chunk size must be between %d and %d bytes\n", kMinMbufSize,
                       kMaxMbufSize);
          show_usage();
          return 1;
        }
        options.no_effect.push_back(std::string("-m ") + optarg + " (buffers grow as needed)");
        break;
      default:
        switch (optopt) {
          case 'o': case 'c': case 'p':
            std::fprintf(stderr, "nutcracker: option -%c requires a file name\n", optopt);
            break;
          case 'm': case 'v': case 's': case 'i':
            std::fprintf(stderr, "nutcracker: option -%c requires a number\n", optopt);
            break;
          case 'a':
            std::fprintf(stderr, "nutcracker: option -%c requires a string\n", optopt);
            break;
          default:
            std::fprintf(stderr, "nutcracker: invalid option -- '%c'\n", optopt);
        }
        show_usage();
        return 1;
    }
  }

  if (show_version) {
    // The first line is nutcracker's, word for word: scripts read the version from it.
    std::fprintf(stderr, "This is nutcracker-0.5.0\nserved by ringleader-%.*s\n\n", static_cast<int>(kVersion.size()),
                 kVersion.data());
    if (show_help) show_usage();
    if (describe_stats) std::fputs(proxy::stats::describe_twemproxy_fields().c_str(), stderr);
    return 0;
  }
  if (test_conf) {
    try {
      load_config(options.config);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "nutcracker: %s\n", e.what());
      std::fprintf(stderr, "nutcracker: configuration file '%s' syntax is invalid\n", options.config.c_str());
      return 1;
    }
    std::fprintf(stderr, "nutcracker: configuration file '%s' syntax is ok\n", options.config.c_str());
    return 0;
  }
  options.level = level_of(std::min(verbosity, kMaxVerbosity));
  options.stats = stats_address(stats_addr, static_cast<std::uint16_t>(stats_port));
  if (options.daemonize) options.pid_file = pid_file;
  return serve(std::move(options), "nutcracker");
}

}  // namespace ringleader::cli
