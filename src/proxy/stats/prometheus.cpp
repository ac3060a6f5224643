// Registry::prometheus: the Prometheus text exposition format, version 0.0.4
// (https://prometheus.io/docs/instrumenting/exposition_formats/): a HELP and a TYPE line per metric
// family, label values escaped (\\, \", \n), histograms as cumulative _bucket{le=...} series ending
// in le="+Inf", then _sum and _count. Latency is in seconds, as Prometheus' conventions ask.
#include <algorithm>
#include <cstdio>
#include <optional>

#include "proxy/stats/registry.hpp"

namespace ringleader::proxy::stats {
namespace {

std::string escape_label(std::string_view value) {
  std::string out;
  for (char c : value) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

void family(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  out.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

void sample(std::string& out, std::string_view name, const std::string& labels, std::uint64_t value) {
  out.append(name).append("{").append(labels).append("} ").append(std::to_string(value)).append("\n");
}

std::string seconds(std::uint64_t micros) {
  char text[32];
  std::snprintf(text, sizeof text, "%.6f", static_cast<double>(micros) / 1e6);
  return text;
}

// Cumulative buckets of `latencies` summed, as one histogram with `labels`.
void histogram(std::string& out, std::string_view name, const std::string& labels,
               const std::vector<const Latency*>& latencies) {
  std::uint64_t cumulative = 0, sum = 0, count = 0;
  for (std::size_t b = 0; b <= Latency::kBoundsMicros.size(); ++b) {
    for (const Latency* l : latencies) cumulative += l->buckets[b].get();
    const std::string le = b < Latency::kBoundsMicros.size() ? seconds(Latency::kBoundsMicros[b]) : "+Inf";
    out.append(name).append("_bucket{").append(labels).append(",le=\"").append(le).append("\"} ");
    out.append(std::to_string(cumulative)).append("\n");
  }
  for (const Latency* l : latencies) {
    sum += l->sum_micros.get();
    count += l->count.get();
  }
  out.append(name).append("_sum{").append(labels).append("} ").append(seconds(sum)).append("\n");
  out.append(name).append("_count{").append(labels).append("} ").append(std::to_string(count)).append("\n");
}

struct PoolMetric {
  std::string_view name, type, help;
  Counter PoolCounters::*field;
};

struct ServerMetric {
  std::string_view name, type, help;
  Counter ServerCounters::*field;
};

constexpr PoolMetric kPoolMetrics[] = {
    {"ringleader_client_connections", "gauge", "Clients connected now.", &PoolCounters::client_connections},
    {"ringleader_client_accepted_total", "counter", "Clients accepted.", &PoolCounters::total_connections},
    {"ringleader_client_rejected_total", "counter", "Clients closed at once: the pool had client_connections clients.",
     &PoolCounters::client_rejected},
    {"ringleader_client_eof_total", "counter", "Clients that closed their connection.", &PoolCounters::client_eof},
    {"ringleader_client_errors_total", "counter", "Clients dropped on a connection or protocol error.",
     &PoolCounters::client_err},
    {"ringleader_client_output_limit_closed_total", "counter",
     "Clients closed for leaving more reply bytes unread than their output limit allows.",
     &PoolCounters::client_output_limit_closed},
    {"ringleader_fragments_total", "counter", "Sub-requests made by splitting multi-key requests over servers.",
     &PoolCounters::fragments},
    {"ringleader_replica_failovers_total", "counter", "Reads asked again of a key's next replica.",
     &PoolCounters::replica_failovers},
    {"ringleader_warmup_reads_total", "counter", "Misses of a moved key asked again of its previous owner.",
     &PoolCounters::warmup_reads},
    {"ringleader_warmup_hits_total", "counter", "Warm-up reads the previous owner answered with a value.",
     &PoolCounters::warmup_hits},
    {"ringleader_warmup_copies_total", "counter", "Warm-up hits copied to the new owner.", &PoolCounters::warmup_copies},
    {"ringleader_warmup_copies_skipped_total", "counter",
     "Warm-up copies not made: the new owner had a value, or the key was written or deleted since the read.",
     &PoolCounters::warmup_copies_skipped},
};

constexpr ServerMetric kServerMetrics[] = {
    {"ringleader_server_requests_total", "counter", "Requests sent to the server.", &ServerCounters::requests},
    {"ringleader_server_request_bytes_total", "counter", "Bytes of requests sent to the server.",
     &ServerCounters::request_bytes},
    {"ringleader_server_responses_total", "counter", "Replies received from the server.", &ServerCounters::responses},
    {"ringleader_server_response_bytes_total", "counter", "Bytes of replies received from the server.",
     &ServerCounters::response_bytes},
    {"ringleader_server_errors_total", "counter", "Connect, read and write errors and malformed replies.",
     &ServerCounters::server_err},
    {"ringleader_server_eof_total", "counter", "Connections the server closed.", &ServerCounters::server_eof},
    {"ringleader_server_timeouts_total", "counter", "Replies that did not come within the pool's timeout.",
     &ServerCounters::server_timedout},
    {"ringleader_server_ejections_total", "counter", "Times the server was ejected (auto_eject_hosts).",
     &ServerCounters::server_ejects},
    {"ringleader_server_forward_errors_total", "counter", "Requests answered with an error because the server failed.",
     &ServerCounters::forward_error},
    {"ringleader_server_connections", "gauge", "Connections open to the server.", &ServerCounters::server_connections},
    {"ringleader_server_in_queue", "gauge", "Requests not yet written to the server.", &ServerCounters::in_queue},
    {"ringleader_server_in_queue_bytes", "gauge", "Bytes of requests not yet written to the server.",
     &ServerCounters::in_queue_bytes},
    {"ringleader_server_out_queue", "gauge", "Requests written to the server, waiting for a reply.",
     &ServerCounters::out_queue},
    {"ringleader_server_out_queue_bytes", "gauge", "Bytes of requests waiting for a reply.",
     &ServerCounters::out_queue_bytes},
};

}  // namespace

// The membership a source (etcd, DNS) keeps, for the pools that have one; a family that is one
// source's own shows only the pools of that source.
void Registry::source_metrics(std::string& out, const std::vector<const PoolStats*>& pools,
                              const std::function<std::string(const PoolStats&)>& pool_label) const {
  using Kind = SourceStatus::Kind;
  struct Metric {
    std::string_view name, type, help;
    std::optional<Kind> only;  // nothing: every source
    std::function<std::uint64_t(const SourceStatus&)> value;
  };
  const Metric metrics[] = {
      {"ringleader_membership_revision", "gauge", "etcd's revision of the members the pool serves.", Kind::etcd,
       [](const SourceStatus& s) { return static_cast<std::uint64_t>(s.revision.load()); }},
      {"ringleader_membership_applied_timestamp_seconds", "gauge", "When the pool's members were last applied (unix time).",
       std::nullopt, [](const SourceStatus& s) { return static_cast<std::uint64_t>(s.applied_at_ms.load() / 1000); }},
      {"ringleader_membership_refused_total", "counter",
       "Memberships not applied: empty, below etcd_min_servers or dns_min_servers, or failed.", std::nullopt,
       [](const SourceStatus& s) { return s.refused.load(); }},
      {"ringleader_etcd_connected", "gauge", "1 while etcd answers the pool's source.", Kind::etcd,
       [](const SourceStatus& s) { return std::uint64_t{s.connected.load() ? 1u : 0u}; }},
      {"ringleader_etcd_errors_total", "counter", "Failures to reach or read etcd.", Kind::etcd,
       [](const SourceStatus& s) { return s.errors.load(); }},
      {"ringleader_dns_answered_timestamp_seconds", "gauge", "When DNS last answered the pool's source (unix time).",
       Kind::dns, [](const SourceStatus& s) { return static_cast<std::uint64_t>(s.answered_at_ms.load() / 1000); }},
      {"ringleader_dns_servers", "gauge", "Servers DNS gave in its last answer.", Kind::dns,
       [](const SourceStatus& s) { return s.servers.load(); }},
      {"ringleader_dns_failures_total", "counter", "DNS queries that failed or timed out (the members were kept).",
       Kind::dns, [](const SourceStatus& s) { return s.errors.load(); }},
  };
  for (const auto& metric : metrics) {
    const auto shown = [&](const PoolStats* pool) -> const SourceStatus* {
      const auto source = sources_.find(pool->name());
      if (source == sources_.end() || (metric.only && source->second->kind != *metric.only)) return nullptr;
      return source->second.get();
    };
    if (std::none_of(pools.begin(), pools.end(), shown)) continue;  // no pool has such a source
    family(out, metric.name, metric.type, metric.help);
    for (const PoolStats* pool : pools)
      if (const SourceStatus* status = shown(pool)) sample(out, metric.name, pool_label(*pool), metric.value(*status));
  }
}

std::string Registry::prometheus() const {
  std::lock_guard lock(mutex_);
  const auto pools = shown();
  std::string out;
  auto pool_label = [&](const PoolStats& pool) { return "pool=\"" + escape_label(pool.name()) + "\""; };
  auto server_labels = [&](const PoolStats& pool, const std::string& label) {
    return pool_label(pool) + ",server=\"" + escape_label(label) + "\"";
  };
  for (const auto& metric : kPoolMetrics) {
    family(out, metric.name, metric.type, metric.help);
    for (const PoolStats* pool : pools)
      sample(out, metric.name, pool_label(*pool), pool->sum([&](const PoolCounters& c) { return (c.*metric.field).get(); }));
  }
  for (const auto& metric : kServerMetrics) {
    family(out, metric.name, metric.type, metric.help);
    for (const PoolStats* pool : pools) {
      for (const auto& label : pool->labels_)
        sample(out, metric.name, server_labels(*pool, label), sum(pool->servers_.at(label).get(), metric.field));
    }
  }
  source_metrics(out, pools, pool_label);
  family(out, "ringleader_server_latency_seconds", "histogram", "Round-trip time of requests to the server.");
  for (const PoolStats* pool : pools) {
    for (const auto& label : pool->labels_) {
      const ServerCounters* server = pool->servers_.at(label).get();
      std::vector<const Latency*> latencies;
      for (unsigned w = 0; w < workers_; ++w) latencies.push_back(&server[w].latency);
      histogram(out, "ringleader_server_latency_seconds", server_labels(*pool, label), latencies);
    }
  }
  family(out, "ringleader_pool_latency_seconds", "histogram", "Round-trip time of requests to the pool's servers.");
  for (const PoolStats* pool : pools) {
    std::vector<const Latency*> latencies;
    for (const auto& label : pool->labels_) {
      const ServerCounters* server = pool->servers_.at(label).get();
      for (unsigned w = 0; w < workers_; ++w) latencies.push_back(&server[w].latency);
    }
    histogram(out, "ringleader_pool_latency_seconds", pool_label(*pool), latencies);
  }
  return out;
}

}  // namespace ringleader::proxy::stats
