#include "hybrid/server/server_stats.h"

#include <cstdio>
#include <string_view>

namespace hybrid::server {
namespace {

class Exposition {
 public:
  // Every metric gets its HELP and TYPE lines once, before its samples (the format's rule).
  void family(std::string_view name, std::string_view type, std::string_view help) {
    out_ += "# HELP ";
    out_ += name;
    out_ += ' ';
    out_ += help;
    out_ += "\n# TYPE ";
    out_ += name;
    out_ += ' ';
    out_ += type;
    out_ += '\n';
  }

  // A family of one unlabelled sample.
  void single(std::string_view name, std::string_view type, std::string_view help,
              std::uint64_t value) {
    family(name, type, help);
    sample(name, {}, value);
  }

  void sample(std::string_view name, std::string_view labels, std::uint64_t value) {
    line(name, labels, std::to_string(value));
  }

  void seconds(std::string_view name, std::string_view labels, std::uint64_t ns) {
    char value[40];
    std::snprintf(value, sizeof value, "%.9f", static_cast<double>(ns) / 1e9);
    line(name, labels, value);
  }

  // Buckets are cumulative in the format: each "le" counts every observation up to it.
  void histogram(std::string_view name, std::string_view labels, const LatencyHistogram& h) {
    const std::string bucket = std::string(name) + "_bucket";
    const std::string prefix = labels.empty() ? std::string() : std::string(labels) + ",";
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < h.counts.size(); ++i) {
      cumulative += h.counts[i];
      std::string le = "+Inf";
      if (i < LatencyHistogram::kUpperBoundsNs.size()) {
        char bound[32];
        std::snprintf(bound, sizeof bound, "%g",
                      static_cast<double>(LatencyHistogram::kUpperBoundsNs[i]) / 1e9);
        le = bound;
      }
      sample(bucket, prefix + "le=\"" + le + "\"", cumulative);
    }
    seconds(std::string(name) + "_sum", labels, h.sum_ns);
    sample(std::string(name) + "_count", labels, h.count);
  }

  std::string take() { return std::move(out_); }

 private:
  void line(std::string_view name, std::string_view labels, std::string_view value) {
    out_ += name;
    if (!labels.empty()) {
      out_ += '{';
      out_ += labels;
      out_ += '}';
    }
    out_ += ' ';
    out_ += value;
    out_ += '\n';
  }

  std::string out_;
};

// A label value: backslash, double quote and line feed are escaped (exposition format 0.0.4).
std::string label_value(std::string_view value) {
  std::string escaped;
  for (char c : value) {
    if (c == '\\' || c == '"') {
      escaped += '\\';
      escaped += c;
    } else if (c == '\n') {
      escaped += "\\n";
    } else {
      escaped += c;
    }
  }
  return escaped;
}

void pool_families(Exposition& out, const PoolStats& fast, const PoolStats& handlers) {
  const std::pair<std::string_view, const PoolStats*> pools[] = {{"workers", &fast},
                                                                 {"handlers", &handlers}};
  out.family("hybrid_pool_threads", "gauge", "Worker threads in the pool.");
  for (auto [name, pool] : pools) {
    out.sample("hybrid_pool_threads", "pool=\"" + std::string(name) + "\"", pool->workers);
  }
  out.family("hybrid_pool_busy_threads", "gauge", "Worker threads running a job now.");
  for (auto [name, pool] : pools) {
    out.sample("hybrid_pool_busy_threads", "pool=\"" + std::string(name) + "\"", pool->busy);
  }
  out.family("hybrid_pool_queued_jobs", "gauge", "Jobs waiting in the pool's queue now.");
  for (auto [name, pool] : pools) {
    out.sample("hybrid_pool_queued_jobs", "pool=\"" + std::string(name) + "\"", pool->queued);
  }
  out.family("hybrid_pool_queue_wait_seconds", "histogram",
             "Time from a request being read to a worker taking it.");
  for (auto [name, pool] : pools) {
    out.histogram("hybrid_pool_queue_wait_seconds", "pool=\"" + std::string(name) + "\"",
                  pool->queue_wait);
  }
}

}  // namespace

std::string prometheus_text(const ServerStats& stats) {
  Exposition out;
  out.single("hybrid_connections_accepted_total", "counter", "Connections accepted.",
             stats.connections_accepted);
  out.single("hybrid_connections_open", "gauge", "Connections open now.", stats.connections_open);

  out.family("hybrid_responses_total", "counter", "Responses by status class.");
  for (std::size_t i = 0; i < stats.responses_by_class.size(); ++i) {
    const std::string code = "code=\"" + std::to_string(i + 1) + "xx\"";
    out.sample("hybrid_responses_total", code, stats.responses_by_class[i]);
  }
  out.family("hybrid_route_requests_total", "counter",
             "Requests answered by each route, mount, or the static document root.");
  for (const RouteRequests& route : stats.requests_by_route) {
    out.sample("hybrid_route_requests_total", "route=\"" + label_value(route.route) + "\"",
               route.requests);
  }
  out.single("hybrid_handler_requests_total", "counter", "Requests answered by handlers.",
             stats.handler_requests);
  out.single("hybrid_overloaded_total", "counter",
             "503 answers for a full handler queue or a wait past max_queue_wait.",
             stats.overloaded);
  out.single("hybrid_tls_handshakes_total", "counter", "Finished TLS handshakes.",
             stats.tls_handshakes);
  out.single("hybrid_tls_resumed_total", "counter",
             "TLS handshakes that resumed a session from a ticket.", stats.tls_resumed);
  out.single("hybrid_tls_handshake_errors_total", "counter",
             "TLS handshakes that failed or were abandoned.", stats.tls_handshake_errors);
  out.single("hybrid_sent_bytes_total", "counter",
             "Bytes written to client sockets, heads and bodies.", stats.bytes_sent);
  out.family("hybrid_request_duration_seconds", "histogram",
             "Time from a request being read to its response handed to the kernel.");
  out.histogram("hybrid_request_duration_seconds", {}, stats.request_duration);

  out.single("hybrid_jobs_dispatched_total", "counter",
             "Connections handed to the workers with requests.", stats.jobs_dispatched);
  pool_families(out, stats.workers, stats.handler_workers);

  out.single("hybrid_file_cache_hits_total", "counter", "Small files answered from memory.",
             stats.file_cache_hits);
  out.single("hybrid_file_cache_misses_total", "counter",
             "Lookups in the small-file cache that found nothing fresh.", stats.file_cache_misses);
  out.single("hybrid_gzip_cache_hits_total", "counter", "Compressed copies reused.",
             stats.gzip_cache_hits);
  out.single("hybrid_gzip_cache_misses_total", "counter", "Files compressed anew.",
             stats.gzip_cache_misses);
  return out.take();
}

}  // namespace hybrid::server
