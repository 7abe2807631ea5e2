#include "hybrid/server/thread_metrics.h"

#include <time.h>

#include <algorithm>

namespace hybrid::server {

void OwnedHistogram::observe(std::uint64_t ns, std::uint64_t times) {
  const auto& bounds = LatencyHistogram::kUpperBoundsNs;
  const auto bucket =
      static_cast<std::size_t>(std::lower_bound(bounds.begin(), bounds.end(), ns) - bounds.begin());
  buckets_[bucket].add(times);
  sum_ns_.add(ns * times);
  count_.add(times);
}

void OwnedHistogram::add_to(LatencyHistogram& total) const {
  for (std::size_t i = 0; i < buckets_.size(); ++i) total.counts[i] += buckets_[i].read();
  total.sum_ns += sum_ns_.read();
  total.count += count_.read();
}

std::uint64_t monotonic_ns() {
  struct timespec now {};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<std::uint64_t>(now.tv_sec) * 1'000'000'000u +
         static_cast<std::uint64_t>(now.tv_nsec);
}

}  // namespace hybrid::server
