#include "hybrid/server/thread_metrics.h"

#include <gtest/gtest.h>

#include <thread>

namespace hybrid::server {
namespace {

TEST(OwnedHistogramTest, AnObservationOnABoundCountsInThatBucket) {
  OwnedHistogram histogram;
  histogram.observe(50'000);  // exactly the first bound: "le" includes it
  histogram.observe(50'001);
  histogram.observe(0);
  LatencyHistogram total;
  histogram.add_to(total);
  EXPECT_EQ(total.counts[0], 2u);
  EXPECT_EQ(total.counts[1], 1u);
  EXPECT_EQ(total.count, 3u);
  EXPECT_EQ(total.sum_ns, 100'001u);
}

TEST(OwnedHistogramTest, BeyondTheLastBoundIsTheOpenBucket) {
  OwnedHistogram histogram;
  histogram.observe(LatencyHistogram::kUpperBoundsNs.back() + 1, 3);
  LatencyHistogram total;
  histogram.add_to(total);
  EXPECT_EQ(total.counts.back(), 3u);
  EXPECT_EQ(total.count, 3u);
  EXPECT_EQ(total.sum_ns, 3 * (LatencyHistogram::kUpperBoundsNs.back() + 1));
}

TEST(OwnedHistogramTest, AddsIntoATotal) {
  OwnedHistogram a;
  OwnedHistogram b;
  a.observe(2'000'000);
  b.observe(2'000'000);
  LatencyHistogram total;
  a.add_to(total);
  b.add_to(total);
  EXPECT_EQ(total.counts[5], 2u);  // (1 ms, 2.5 ms]
  EXPECT_EQ(total.count, 2u);
}

TEST(ThreadMetricsTest, CountsResponsesByClassAndRoute) {
  ThreadMetrics metrics;
  metrics.size_routes(3);
  metrics.count_response(200, 0);
  metrics.count_response(404, 2);
  metrics.count_response(503, 2);
  metrics.count_response(700, 1);  // no class: counted for its route only
  metrics.count_response(200, 9);  // no such route: counted by class only
  EXPECT_EQ(metrics.responses_by_class[1].read(), 2u);
  EXPECT_EQ(metrics.responses_by_class[3].read(), 1u);
  EXPECT_EQ(metrics.responses_by_class[4].read(), 1u);
  EXPECT_EQ(metrics.routes[0].read(), 1u);
  EXPECT_EQ(metrics.routes[1].read(), 1u);
  EXPECT_EQ(metrics.routes[2].read(), 2u);
}

// One writer, one reader at the same time: what the reader sees only grows, and ends at the
// total. ThreadSanitizer checks the "no lock" claim holds without a race.
TEST(OwnedCounterTest, AReaderOnAnotherThreadSeesAGrowingValue) {
  OwnedCounter counter;
  constexpr std::uint64_t kAdds = 200'000;
  std::thread writer([&counter] {
    for (std::uint64_t i = 0; i < kAdds; ++i) counter.add();
  });
  std::uint64_t last = 0;
  bool monotonic = true;
  while (last < kAdds) {
    const std::uint64_t now = counter.read();
    monotonic = monotonic && now >= last;
    last = now;
  }
  writer.join();
  EXPECT_TRUE(monotonic);
  EXPECT_EQ(counter.read(), kAdds);
}

TEST(MonotonicNsTest, DoesNotGoBackwards) {
  const std::uint64_t first = monotonic_ns();
  const std::uint64_t second = monotonic_ns();
  EXPECT_GT(first, 0u);
  EXPECT_GE(second, first);
}

}  // namespace
}  // namespace hybrid::server
