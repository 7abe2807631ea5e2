// What a running server has done, as one value: Server::stats() sums the threads' own counters
// into it, and prometheus_text() writes it in the Prometheus text exposition format (what
// hybridd's --status-path answers). Public, stable API (installed).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace hybrid::server {

// A latency histogram with fixed bucket bounds (Prometheus's "le", in nanoseconds). Counts are
// per bucket, not cumulative; the last bucket has no upper bound.
struct LatencyHistogram {
  static constexpr std::array<std::uint64_t, 16> kUpperBoundsNs = {
      50'000,      100'000,       250'000,       500'000,       1'000'000,   2'500'000,
      5'000'000,   10'000'000,    25'000'000,    50'000'000,    100'000'000, 250'000'000,
      500'000'000, 1'000'000'000, 2'500'000'000, 10'000'000'000};
  std::array<std::uint64_t, kUpperBoundsNs.size() + 1> counts{};
  std::uint64_t sum_ns = 0;
  std::uint64_t count = 0;
};

// Requests answered below one route, mount or the document root.
struct RouteRequests {
  // A route's pattern, a mount's prefix, or "static": the document root and what the server
  // answers itself (the metrics endpoint, OPTIONS and 405 from the routing table).
  std::string route;
  std::uint64_t requests = 0;
};

// One pool of worker threads and its job queue.
struct PoolStats {
  std::uint64_t workers = 0;
  std::uint64_t busy = 0;    // running a job now
  std::uint64_t queued = 0;  // jobs waiting for a worker now
  // From the request being read (or its body collected) to a worker taking its job.
  LatencyHistogram queue_wait;
};

// A snapshot, not a transaction: each counter is read once, relaxed, while the server runs, so
// two counters may disagree by the requests in flight.
struct ServerStats {
  std::uint64_t connections_accepted = 0;
  std::uint64_t connections_open = 0;
  std::uint64_t jobs_dispatched = 0;       // connections handed to the workers with requests
  std::uint64_t handler_requests = 0;      // requests answered by a service's handlers
  std::uint64_t overloaded = 0;            // 503s for a full handler queue or a wait past the limit
  std::uint64_t tls_handshakes = 0;        // finished TLS handshakes (full and resumed)
  std::uint64_t tls_resumed = 0;           // of those, resumed from a session ticket
  std::uint64_t tls_handshake_errors = 0;  // failed ones, and clients that left during one

  std::array<std::uint64_t, 5> responses_by_class{};  // [0]: 1xx ... [4]: 5xx
  std::vector<RouteRequests> requests_by_route;       // the document root first, then by route id
  std::uint64_t bytes_sent = 0;  // everything written to client sockets: heads and bodies
  // From the request being read to the last byte of its response handed to the kernel (for a
  // stream or a response the reactor finishes: when that output ends).
  LatencyHistogram request_duration;
  PoolStats workers;          // static files and non-blocking handlers
  PoolStats handler_workers;  // blocking handlers (none unless a route is blocking)

  std::uint64_t file_cache_hits = 0;  // small files answered from memory
  std::uint64_t file_cache_misses = 0;
  std::uint64_t gzip_cache_hits = 0;  // gzip copies reused
  std::uint64_t gzip_cache_misses = 0;
};

// The text exposition format 0.0.4 (Content-Type "text/plain; version=0.0.4; charset=utf-8"),
// every metric named hybrid_*: for a service that mounts the endpoint on a path of its own.
std::string prometheus_text(const ServerStats& stats);

}  // namespace hybrid::server
