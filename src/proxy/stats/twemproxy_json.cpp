// Registry::twemproxy_json: nutcracker's stats document (nc_stats.c: stats_make_rsp), field for
// field, so dashboards written for nutcracker read ours. Checked against a live nutcracker by
// tests/integration/operations/stats_test.py.
#include <ctime>

#include "proxy/stats/registry.hpp"

namespace ringleader::proxy::stats {
namespace {

void append_string(std::string& out, std::string_view text) {
  out += '"';
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
      out += escaped;
    } else {
      out += c;
    }
  }
  out += '"';
}

void append_field(std::string& out, std::string_view name, std::uint64_t value) {
  append_string(out, name);
  out += ':';
  out += std::to_string(value);
  out += ", ";
}

}  // namespace

std::string Registry::twemproxy_json(std::string_view source) const {
  using namespace std::chrono;
  std::lock_guard lock(mutex_);
  const auto pools = shown();
  std::uint64_t total = 0, current = 0;
  for (const PoolStats* pool : pools) {
    total += pool->sum([](const PoolCounters& c) { return c.total_connections.get(); });
    current += pool->clients();
    for (const auto& label : pool->labels_)
      current += sum(pool->servers_.at(label).get(), &ServerCounters::server_connections);
  }
  std::string out = "{\"service\":\"nutcracker\", \"source\":";
  append_string(out, source);
  out += ", \"version\":\"0.5.0\", ";  // the nutcracker release whose document this reproduces
  append_field(out, "uptime", static_cast<std::uint64_t>(duration_cast<seconds>(steady_clock::now() - started_).count()));
  append_field(out, "timestamp", static_cast<std::uint64_t>(std::time(nullptr)));
  append_field(out, "total_connections", total);
  append_field(out, "curr_connections", current);
  for (const PoolStats* stats : pools) {
    const PoolStats& pool = *stats;
    append_string(out, pool.name());
    out += ": {";
    auto pool_sum = [&](auto field) { return pool.sum(field); };
    append_field(out, "client_eof", pool_sum([](const PoolCounters& c) { return c.client_eof.get(); }));
    append_field(out, "client_err", pool_sum([](const PoolCounters& c) { return c.client_err.get(); }));
    append_field(out, "client_connections", pool.clients());
    append_field(out, "client_output_limit_closed",
                 pool_sum([](const PoolCounters& c) { return c.client_output_limit_closed.get(); }));
    std::uint64_t ejects = 0, forward_errors = 0;
    for (const auto& label : pool.labels_) {
      ejects += sum(pool.servers_.at(label).get(), &ServerCounters::server_ejects);
      forward_errors += sum(pool.servers_.at(label).get(), &ServerCounters::forward_error);
    }
    append_field(out, "server_ejects", ejects);
    append_field(out, "forward_error", forward_errors);
    append_field(out, "fragments", pool_sum([](const PoolCounters& c) { return c.fragments.get(); }));
    append_field(out, "replica_failovers", pool_sum([](const PoolCounters& c) { return c.replica_failovers.get(); }));
    append_field(out, "warmup_reads", pool_sum([](const PoolCounters& c) { return c.warmup_reads.get(); }));
    append_field(out, "warmup_hits", pool_sum([](const PoolCounters& c) { return c.warmup_hits.get(); }));
    append_field(out, "warmup_copies", pool_sum([](const PoolCounters& c) { return c.warmup_copies.get(); }));
    append_field(out, "warmup_copies_skipped",
                 pool_sum([](const PoolCounters& c) { return c.warmup_copies_skipped.get(); }));
    // ringleader's: the membership a source (etcd, DNS) keeps; nutcracker has no such source.
    if (const auto source = sources_.find(pool.name()); source != sources_.end()) {
      const SourceStatus& status = *source->second;
      if (status.kind == SourceStatus::Kind::etcd)
        append_field(out, "membership_revision", static_cast<std::uint64_t>(status.revision.load()));
      append_field(out, "membership_applied_at", static_cast<std::uint64_t>(status.applied_at_ms.load() / 1000));
      append_field(out, "membership_refused", status.refused.load());
      if (status.kind == SourceStatus::Kind::etcd) {
        append_field(out, "etcd_connected", status.connected.load() ? 1 : 0);
        append_field(out, "etcd_errors", status.errors.load());
      } else {
        append_field(out, "membership_changes", status.changes.load());
        append_field(out, "dns_answered_at_ms", static_cast<std::uint64_t>(status.answered_at_ms.load()));
        append_field(out, "dns_answers", status.answers.load());
        append_field(out, "dns_servers", status.servers.load());
        append_field(out, "dns_failures", status.errors.load());
      }
    }
    for (const auto& label : pool.labels_) {
      append_string(out, label);
      out += ": {";
      const ServerCounters* server = pool.servers_.at(label).get();
      auto server_sum = [&](Counter ServerCounters::*field) { return sum(server, field); };
      std::uint64_t ejected_at = 0;  // the latest over the workers, not a sum
      for (unsigned w = 0; w < workers_; ++w) ejected_at = std::max(ejected_at, server[w].server_ejected_at.get());
      append_field(out, "server_eof", server_sum(&ServerCounters::server_eof));
      append_field(out, "server_err", server_sum(&ServerCounters::server_err));
      append_field(out, "server_timedout", server_sum(&ServerCounters::server_timedout));
      append_field(out, "server_connections", server_sum(&ServerCounters::server_connections));
      append_field(out, "server_ejected_at", ejected_at);
      append_field(out, "requests", server_sum(&ServerCounters::requests));
      append_field(out, "request_bytes", server_sum(&ServerCounters::request_bytes));
      append_field(out, "responses", server_sum(&ServerCounters::responses));
      append_field(out, "response_bytes", server_sum(&ServerCounters::response_bytes));
      append_field(out, "in_queue", server_sum(&ServerCounters::in_queue));
      append_field(out, "in_queue_bytes", server_sum(&ServerCounters::in_queue_bytes));
      append_field(out, "out_queue", server_sum(&ServerCounters::out_queue));
      append_field(out, "out_queue_bytes", server_sum(&ServerCounters::out_queue_bytes));
      out.resize(out.size() - 2);  // the last ", "
      out += "},";
    }
    if (out.back() == ',') out.pop_back();
    if (out.ends_with(", ")) out.resize(out.size() - 2);
    out += "},";
  }
  if (out.back() == ',') out.pop_back();
  if (out.ends_with(", ")) out.resize(out.size() - 2);
  out += "}\n";
  return out;
}

}  // namespace ringleader::proxy::stats
