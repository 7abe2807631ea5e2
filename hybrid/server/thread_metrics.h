// Counters each server thread keeps for itself: one writer (the thread), any number of readers
// (a scrape). An increment is a relaxed load and store — no lock prefix, no shared cache line,
// no syscall — and a scrape sums every thread's block into a ServerStats.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "hybrid/server/server_stats.h"

namespace hybrid::server {

// A counter only its owning thread changes. Readers on other threads see some recent value.
class OwnedCounter {
 public:
  void add(std::uint64_t n = 1) {
    value_.store(value_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  std::uint64_t read() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

class OwnedHistogram {
 public:
  void observe(std::uint64_t ns, std::uint64_t times = 1);
  // Adds this histogram's counts into `total`.
  void add_to(LatencyHistogram& total) const;

 private:
  std::array<OwnedCounter, LatencyHistogram::kUpperBoundsNs.size() + 1> buckets_;
  OwnedCounter sum_ns_;
  OwnedCounter count_;
};

// Nanoseconds on the monotonic clock: clock_gettime through the vDSO, ~30 ns and no syscall on
// this project's machines (kvm-clock and tsc both have vDSO support).
std::uint64_t monotonic_ns();

// One thread's counters: a worker's, or the reactor's (connections, dispatches, and the output
// it finishes for the workers). Aligned so two threads' blocks never share a cache line.
struct alignas(64) ThreadMetrics {
  // The reactor's.
  OwnedCounter accepted;
  OwnedCounter closed;
  OwnedCounter dispatched;  // jobs submitted to the worker pool

  // A worker's.
  OwnedCounter jobs_started;
  OwnedCounter jobs_finished;
  OwnedCounter handed_off;  // fast lane: jobs passed on to the handler pool
  OwnedHistogram queue_wait;
  OwnedCounter tls_handshakes;        // finished: full ones and resumptions
  OwnedCounter tls_resumed;           // of those, resumed from a ticket
  OwnedCounter tls_handshake_errors;  // failed: protocol, version, ALPN, or the client left

  // Either's: whoever writes to a socket or finishes a response.
  std::array<OwnedCounter, 5> responses_by_class;
  OwnedCounter bytes_sent;
  OwnedHistogram request_duration;

  // Per route (see Service::route_label()): sized before the thread serves its first request,
  // never resized while it runs.
  void size_routes(std::size_t count) {
    routes = std::make_unique<OwnedCounter[]>(count);
    route_count = count;
  }
  void count_response(int status, std::size_t route) {
    if (status >= 100 && status < 600)
      responses_by_class[static_cast<std::size_t>(status / 100 - 1)].add();
    if (route < route_count) routes[route].add();
  }
  std::unique_ptr<OwnedCounter[]> routes;
  std::size_t route_count = 0;
};

}  // namespace hybrid::server
