// describe_twemproxy_fields; see description.hpp. Where ringleader's meaning differs from
// nutcracker's (live numbers, no aggregation interval), the text says so.
#include "proxy/stats/description.hpp"

#include <cstdio>
#include <string_view>
#include <utility>

namespace ringleader::proxy::stats {
namespace {

using Field = std::pair<std::string_view, std::string_view>;

constexpr Field kTop[] = {
    {"service", "\"always nutcracker: dashboards match on it\""},
    {"source", "\"the host name\""},
    {"version", "\"always 0.5.0: the nutcracker release whose document this is\""},
    {"uptime", "\"seconds since start\""},
    {"timestamp", "\"now, seconds since epoch\""},
    {"total_connections", "\"# client connections accepted since start\""},
    {"curr_connections", "\"# open client and server connections\""},
};

constexpr Field kPool[] = {
    {"client_eof", "\"# eof on client connections\""},
    {"client_err", "\"# errors on client connections\""},
    {"client_connections", "\"# active client connections\""},
    {"client_output_limit_closed", "\"# clients closed for leaving too many reply bytes unread\""},
    {"server_ejects", "\"# times backend server was ejected\""},
    {"forward_error", "\"# times we encountered a forwarding error\""},
    {"fragments", "\"# fragments created from a multi-vector request\""},
    {"replica_failovers", "\"# reads asked again of a key's next replica\""},
    {"warmup_reads", "\"# misses of a moved key asked of its previous owner\""},
    {"warmup_hits", "\"# warm-up reads the previous owner answered with a value\""},
    {"warmup_copies", "\"# warm-up hits copied to the new owner\""},
    {"warmup_copies_skipped", "\"# warm-up copies not made: new owner had a value or key written\""},
};

constexpr Field kServer[] = {
    {"server_eof", "\"# eof on server connections\""},
    {"server_err", "\"# errors on server connections\""},
    {"server_timedout", "\"# timeouts on server connections\""},
    {"server_connections", "\"# active server connections\""},
    {"server_ejected_at", "\"timestamp when server was ejected in seconds since epoch\""},
    {"requests", "\"# requests\""},
    {"request_bytes", "\"total request bytes\""},
    {"responses", "\"# responses\""},
    {"response_bytes", "\"total response bytes\""},
    {"in_queue", "\"# requests not yet written to the server\""},
    {"in_queue_bytes", "\"current request bytes not yet written to the server\""},
    {"out_queue", "\"# requests written, waiting for the reply\""},
    {"out_queue_bytes", "\"current request bytes written, waiting for the reply\""},
};

template <std::size_t N>
void append(std::string& out, std::string_view title, const Field (&fields)[N]) {
  out += title;
  out += '\n';
  for (const auto& [name, text] : fields) {
    char line[160];
    std::snprintf(line, sizeof line, "  %-20.*s%.*s\n", static_cast<int>(name.size()), name.data(),
                  static_cast<int>(text.size()), text.data());
    out += line;
  }
  out += '\n';
}

}  // namespace

std::string describe_twemproxy_fields() {
  std::string out;
  append(out, "top-level stats (live: summed over the worker threads when asked, no -i interval):", kTop);
  append(out, "pool stats:", kPool);
  append(out, "server stats:", kServer);
  return out;
}

}  // namespace ringleader::proxy::stats
