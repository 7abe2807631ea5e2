#include "hybrid/pool/worker_pool.h"

#include <gtest/gtest.h>
#include <sched.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

namespace hybrid::pool {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kDeadline = std::chrono::seconds(20);

// Polls `condition` until it holds or the deadline passes; returns it. The short sleep is only
// the polling interval of a bounded wait, never what makes the condition true.
bool eventually(const std::function<bool()>& condition) {
  const auto deadline = Clock::now() + kDeadline;
  while (!condition()) {
    if (Clock::now() > deadline) return condition();
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

// A one-shot gate handlers can block on (bounded, so a bug cannot hang the suite).
class Gate {
 public:
  void open() {
    {
      std::lock_guard lock(mutex_);
      open_ = true;
    }
    opened_.notify_all();
  }
  bool wait() {
    std::unique_lock lock(mutex_);
    return opened_.wait_for(lock, kDeadline, [this] { return open_; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable opened_;
  bool open_ = false;
};

Job job_for(void* item) {
  return Job{item};
}

// Submits, retrying while the queue is full (the caller-side backpressure loop). Gives up at the
// deadline, so a pool whose workers never drain the queue fails the test instead of hanging it.
bool submit_with_retry(WorkerPool& pool, Job job) {
  const auto deadline = Clock::now() + kDeadline;
  while (!pool.try_submit(job)) {
    if (Clock::now() > deadline) return false;
    std::this_thread::yield();
  }
  return true;
}

bool submit_all(WorkerPool& pool, std::vector<std::atomic<int>>& counts) {
  for (auto& count : counts) {
    if (!submit_with_retry(pool, job_for(&count))) {
      ADD_FAILURE() << "the queue stayed full: workers stopped taking jobs";
      return false;
    }
  }
  return true;
}

class WorkerPoolThreadsTest : public ::testing::TestWithParam<std::size_t> {};

TEST_P(WorkerPoolThreadsTest, EveryJobRunsExactlyOnceOnAValidWorker) {
  constexpr std::size_t kJobs = 100'000;
  const std::size_t threads = GetParam();
  std::vector<std::atomic<int>> counts(kJobs);
  std::atomic<bool> bad_worker{false};
  std::vector<std::atomic<std::uint64_t>> per_worker(threads);

  WorkerPool pool(threads, 1024, [&](std::size_t worker, Job job) {
    if (worker >= threads) {
      bad_worker.store(true);
    } else {
      per_worker[worker].fetch_add(1, std::memory_order_relaxed);
    }
    static_cast<std::atomic<int>*>(job.item)->fetch_add(1, std::memory_order_relaxed);
  });
  EXPECT_EQ(pool.size(), threads);
  ASSERT_TRUE(submit_all(pool, counts));
  pool.stop();

  EXPECT_FALSE(bad_worker.load());
  std::size_t wrong = 0;
  for (std::size_t i = 0; i < kJobs; ++i) {
    if (counts[i].load() != 1) {
      if (wrong++ < 5) ADD_FAILURE() << "job " << i << " ran " << counts[i].load() << " times";
    }
  }
  EXPECT_EQ(wrong, 0u);
  std::uint64_t total = 0;
  for (auto& count : per_worker) total += count.load();
  EXPECT_EQ(total, kJobs);
}

INSTANTIATE_TEST_SUITE_P(Threads, WorkerPoolThreadsTest, ::testing::Values(1, 2, 4),
                         [](const auto& test_info) {
                           return std::to_string(test_info.param) + "threads";
                         });

TEST(WorkerPoolTest, ZeroThreadsIsRejected) {
  EXPECT_THROW(WorkerPool(0, 16, [](std::size_t, Job) {}), std::invalid_argument);
}

TEST(WorkerPoolTest, OneWorkerRunsJobsInSubmissionOrder) {
  constexpr int kJobs = 10'000;
  std::vector<int> order;  // only the single worker writes; read after stop() joined it
  std::vector<int> ids(kJobs);
  WorkerPool pool(1, 64,
                  [&](std::size_t, Job job) { order.push_back(*static_cast<int*>(job.item)); });
  for (int i = 0; i < kJobs; ++i) {
    ids[i] = i;
    ASSERT_TRUE(submit_with_retry(pool, job_for(&ids[i]))) << "job " << i;
  }
  pool.stop();
  ASSERT_EQ(order.size(), ids.size());
  for (int i = 0; i < kJobs; ++i) {
    ASSERT_EQ(order[i], i) << "at position " << i;
  }
}

TEST(WorkerPoolTest, DeferrableJobsWaitWhileNormalOnesDoAndKeepTheirOwnOrder) {
  // One worker held by a first job while both kinds queue up; released, it must take every
  // normal job before any deferrable one, each kind in submission order.
  Gate release;
  std::vector<int> order;  // only the single worker writes; read after stop() joined it
  std::vector<int> ids = {0, 1, 2, 3, 4, 5, 6};
  WorkerPool pool(
      1, 8,
      [&](std::size_t, Job job) {
        const int id = *static_cast<int*>(job.item);
        if (id == 0) release.wait();
        order.push_back(id);
      },
      {}, Scheduling::kNormal, 8);
  // Whether or not the worker has taken job 0 yet, it is the first normal job.
  ASSERT_TRUE(pool.try_submit(job_for(&ids[0])));
  for (int id : {4, 1, 5, 2, 6, 3}) {  // 4-6 deferrable, 1-3 normal, interleaved
    ASSERT_TRUE(pool.try_submit_batched(job_for(&ids[id]),
                                        id >= 4 ? Priority::kDeferrable : Priority::kNormal));
  }
  pool.end_batch();
  release.open();
  pool.stop();
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4, 5, 6}));
}

TEST(WorkerPoolTest, DeferrableQueueIsBoundedByItsOwnCapacity) {
  Gate release;
  int blocker = 0;
  int other = 1;
  WorkerPool pool(
      1, 4,
      [&](std::size_t, Job job) {
        if (job.item == &blocker) release.wait();
      },
      {}, Scheduling::kNormal, 2);
  // The worker takes the blocker before any deferrable job, and then holds it: no deferrable
  // job leaves the queue until the release.
  ASSERT_TRUE(pool.try_submit(job_for(&blocker)));
  int accepted = 0;
  while (accepted < 10 && pool.try_submit_batched(job_for(&other), Priority::kDeferrable))
    ++accepted;
  EXPECT_EQ(accepted, 2);
  EXPECT_TRUE(pool.try_submit_batched(job_for(&other)));  // the normal queue has room of its own
  pool.end_batch();
  release.open();
}

TEST(WorkerPoolTest, TrySubmitFailsWhenTheQueueIsFullAndTheJobCanBeRetried) {
  constexpr std::size_t kCapacity = 8;
  Gate gate;
  std::promise<void> first_started;
  std::atomic<int> ran{0};
  std::atomic<bool> gate_timed_out{false};
  int blocker = 0;
  WorkerPool pool(1, kCapacity, [&](std::size_t, Job job) {
    if (job.item == &blocker) {
      first_started.set_value();
      if (!gate.wait()) gate_timed_out.store(true);
    }
    ran.fetch_add(1);
  });

  // Occupy the only worker, so nothing leaves the queue while it is filled.
  ASSERT_TRUE(pool.try_submit(job_for(&blocker)));
  ASSERT_EQ(first_started.get_future().wait_for(kDeadline), std::future_status::ready);

  std::vector<int> items(kCapacity + 1);
  std::size_t accepted = 0;
  while (accepted < items.size() && pool.try_submit(job_for(&items[accepted]))) ++accepted;
  EXPECT_EQ(accepted, kCapacity);
  Job rejected = job_for(&items[accepted]);
  EXPECT_FALSE(pool.try_submit(rejected));  // still full: failing is stable, not a glitch

  gate.open();
  // Backpressure: the caller kept the rejected job and resubmits it once there is room.
  ASSERT_TRUE(eventually([&] { return pool.try_submit(rejected); }));
  pool.stop();
  EXPECT_FALSE(gate_timed_out.load());
  EXPECT_EQ(ran.load(), static_cast<int>(1 + accepted + 1));
}

TEST(WorkerPoolTest, StopRunsTheJobsAlreadyQueuedThenJoins) {
  constexpr int kQueued = 50;
  Gate gate;
  std::promise<void> first_started;
  std::atomic<int> ran{0};
  int blocker = 0;
  std::vector<int> items(kQueued);
  WorkerPool pool(1, 128, [&](std::size_t, Job job) {
    if (job.item == &blocker) {
      first_started.set_value();
      gate.wait();
    }
    ran.fetch_add(1);
  });
  ASSERT_TRUE(pool.try_submit(job_for(&blocker)));
  ASSERT_EQ(first_started.get_future().wait_for(kDeadline), std::future_status::ready);
  for (int& item : items) ASSERT_TRUE(pool.try_submit(job_for(&item)));

  std::atomic<bool> stop_called{false};
  auto stopped = std::async(std::launch::async, [&] {
    stop_called.store(true);
    pool.stop();
  });
  ASSERT_TRUE(eventually([&] { return stop_called.load(); }));
  // stop() cannot return while a job runs: it joins the worker.
  EXPECT_EQ(stopped.wait_for(std::chrono::milliseconds(0)), std::future_status::timeout);
  gate.open();
  ASSERT_EQ(stopped.wait_for(kDeadline), std::future_status::ready);
  EXPECT_EQ(ran.load(), 1 + kQueued);  // the queued jobs ran, none was dropped

  pool.stop();  // idempotent
  EXPECT_EQ(ran.load(), 1 + kQueued);
}

TEST(WorkerPoolTest, IdleWorkersParkAndASubmitWakesOne) {
  constexpr std::size_t kThreads = 2;
  std::atomic<int> ran{0};
  WorkerPool pool(kThreads, 64, [&](std::size_t, Job) { ran.fetch_add(1); });
  // With nothing to do every worker spins briefly and then parks.
  ASSERT_TRUE(eventually([&] { return pool.parks() >= kThreads; })) << pool.parks();

  int item = 0;
  ASSERT_TRUE(pool.try_submit(job_for(&item)));
  EXPECT_TRUE(eventually([&] { return ran.load() == 1; }));
}

TEST(WorkerPoolTest, ParkedWorkerIsWokenForEveryJob) {
  // One worker, one job at a time, each submitted only once the worker has parked again: a lost
  // wake-up leaves a job unrun until the deadline.
  constexpr int kRounds = 200;
  std::atomic<int> ran{0};
  WorkerPool pool(1, 16, [&](std::size_t, Job) { ran.fetch_add(1); });
  int item = 0;
  ASSERT_TRUE(eventually([&] { return pool.parks() >= 1; }));
  for (int round = 1; round <= kRounds; ++round) {
    // Read before the submit: once the job has run, the idle worker parks again and the count
    // must pass this value (spurious futex wake-ups only make it grow sooner).
    const std::uint64_t parks_before = pool.parks();
    ASSERT_TRUE(pool.try_submit(job_for(&item)));
    ASSERT_TRUE(eventually([&] { return ran.load() == round; })) << "round " << round;
    ASSERT_TRUE(eventually([&] { return pool.parks() > parks_before; })) << "round " << round;
  }
}

TEST(WorkerPoolTest, BatchedSubmitsWaitForEndBatchAndEveryJobRuns) {
  // A batch is submitted while every worker is parked: nothing may wake them before end_batch()
  // (that is the saving), and after it every job of the batch must run, spread over the pool by
  // the woken worker passing the wake-up on. A fresh pool per round, so "every worker parked" is
  // known from the park count alone.
  constexpr std::size_t kThreads = 3;
  constexpr int kJobs = 300;
  constexpr int kRounds = 10;
  for (int round = 1; round <= kRounds; ++round) {
    std::atomic<int> ran{0};
    WorkerPool pool(kThreads, 512, [&](std::size_t, Job) { ran.fetch_add(1); });
    ASSERT_TRUE(eventually([&] { return pool.parks() >= kThreads; })) << "round " << round;
    const std::uint64_t parks_before = pool.parks();
    int item = 0;
    for (int i = 0; i < kJobs; ++i) ASSERT_TRUE(pool.try_submit_batched(job_for(&item)));
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    EXPECT_EQ(ran.load(), 0) << "round " << round << ": a batched submit woke a parked worker";
    EXPECT_EQ(pool.parks(), parks_before);
    pool.end_batch();
    ASSERT_TRUE(eventually([&] { return ran.load() == kJobs; }))
        << "round " << round << ": " << ran.load();
  }
}

// Pins the calling thread (and so the threads it starts) to one CPU; restores the old mask.
class OneCpuScope {
 public:
  OneCpuScope() {
    if (::sched_getaffinity(0, sizeof previous_, &previous_) != 0) return;
    int cpu = 0;
    while (cpu < CPU_SETSIZE && !CPU_ISSET(cpu, &previous_)) ++cpu;
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpu, &one);
    pinned_ = ::sched_setaffinity(0, sizeof one, &one) == 0;
  }
  ~OneCpuScope() {
    if (pinned_) ::sched_setaffinity(0, sizeof previous_, &previous_);
  }
  OneCpuScope(const OneCpuScope&) = delete;
  OneCpuScope& operator=(const OneCpuScope&) = delete;
  bool pinned() const { return pinned_; }

 private:
  cpu_set_t previous_{};
  bool pinned_ = false;
};

TEST(WorkerPoolTest, WorkerSharingTheProducersCoreTakesTheNextRoundWithoutParking) {
  // The reactor's pattern on one core: submit a round, yield while the worker runs it, submit the
  // next. A worker that yields once before parking finds each next round already queued; one
  // that parks needs a futex wake every round. Other load on this core can still make it park
  // now and then, hence the margin.
  constexpr int kRounds = 200;
  OneCpuScope one_cpu;
  ASSERT_TRUE(one_cpu.pinned());
  std::atomic<int> ran{0};
  WorkerPool pool(
      1, 16, [&](std::size_t, Job) { ran.fetch_add(1); }, {}, Scheduling::kBatch);
  ASSERT_TRUE(eventually([&] { return pool.parks() >= 1; }));
  const std::uint64_t parks_before = pool.parks();
  int item = 0;
  for (int round = 1; round <= kRounds; ++round) {
    ASSERT_TRUE(pool.try_submit_batched(job_for(&item)));
    pool.end_batch();
    const auto deadline = Clock::now() + kDeadline;
    while (ran.load() < round) {
      ASSERT_LT(Clock::now(), deadline) << "round " << round;
      ::sched_yield();
    }
  }
  EXPECT_LT(pool.parks() - parks_before, std::uint64_t{kRounds / 2});
}

TEST(WorkerPoolTest, EndBatchWithoutSubmitsWakesNobody) {
  std::atomic<int> ran{0};
  WorkerPool pool(1, 16, [&](std::size_t, Job) { ran.fetch_add(1); });
  ASSERT_TRUE(eventually([&] { return pool.parks() >= 1; }));
  const std::uint64_t parks = pool.parks();
  for (int i = 0; i < 100; ++i) pool.end_batch();
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  // A woken worker would find nothing, spin and park again, counting one more park.
  EXPECT_EQ(pool.parks(), parks);
  EXPECT_EQ(ran.load(), 0);
}

TEST(WorkerPoolTest, BatchSchedulingAppliesToEveryWorkerOnly) {
  ASSERT_EQ(::sched_getscheduler(0), SCHED_OTHER) << "the test needs the default policy";
  for (Scheduling scheduling : {Scheduling::kBatch, Scheduling::kNormal}) {
    constexpr std::size_t kThreads = 3;
    std::vector<std::atomic<int>> policies(kThreads);
    for (auto& policy : policies) policy.store(-2);
    std::atomic<int> ran{0};
    {
      WorkerPool pool(
          kThreads, 16, [&](std::size_t, Job) { ran.fetch_add(1); },
          [&](std::size_t worker) { policies[worker].store(::sched_getscheduler(0)); }, scheduling);
      ASSERT_TRUE(eventually([&] { return pool.parks() >= kThreads; }));
    }
    const int expected = scheduling == Scheduling::kBatch ? SCHED_BATCH : SCHED_OTHER;
    for (std::size_t i = 0; i < kThreads; ++i) EXPECT_EQ(policies[i].load(), expected) << i;
  }
  EXPECT_EQ(::sched_getscheduler(0), SCHED_OTHER) << "the creating thread is not touched";
}

TEST(WorkerPoolTest, IdleHandlerRunsOnEachWorkerBeforeItParks) {
  constexpr std::size_t kThreads = 3;
  std::vector<std::atomic<int>> idles(kThreads);
  std::atomic<bool> bad_worker{false};
  WorkerPool pool(
      kThreads, 16, [](std::size_t, Job) {},
      [&](std::size_t worker) {
        if (worker >= kThreads) {
          bad_worker.store(true);
        } else {
          idles[worker].fetch_add(1);
        }
      });
  ASSERT_TRUE(eventually([&] { return pool.parks() >= kThreads; }));
  EXPECT_FALSE(bad_worker.load());
  for (std::size_t i = 0; i < kThreads; ++i) EXPECT_GE(idles[i].load(), 1) << "worker " << i;
}

TEST(WorkerPoolTest, IdleHandlerFlushesPerWorkerStateBeforeStopReturns) {
  // The access log's pattern: a handler leaves per-worker state dirty, the idle handler cleans
  // it, and after stop() nothing may be left dirty. The flags are plain bools, each touched only
  // by its own worker, so the idle handler running on the wrong thread is a data race too.
  constexpr std::size_t kThreads = 4;
  constexpr std::size_t kJobs = 20'000;
  std::vector<char> dirty(kThreads, 0);
  std::vector<std::atomic<int>> counts(kJobs);
  WorkerPool pool(
      kThreads, 256,
      [&](std::size_t worker, Job job) {
        dirty[worker] = 1;
        static_cast<std::atomic<int>*>(job.item)->fetch_add(1);
      },
      [&](std::size_t worker) { dirty[worker] = 0; });
  ASSERT_TRUE(submit_all(pool, counts));
  pool.stop();
  for (std::size_t i = 0; i < kThreads; ++i) EXPECT_EQ(dirty[i], 0) << "worker " << i;
  for (auto& count : counts) ASSERT_EQ(count.load(), 1);
}

TEST(WorkerPoolTest, DestructorWithoutStopRunsQueuedJobsAndJoins) {
  constexpr std::size_t kJobs = 1000;
  std::vector<std::atomic<int>> counts(kJobs);
  {
    WorkerPool pool(2, 64, [](std::size_t, Job job) {
      static_cast<std::atomic<int>*>(job.item)->fetch_add(1);
    });
    ASSERT_TRUE(submit_all(pool, counts));
  }
  for (auto& count : counts) ASSERT_EQ(count.load(), 1);
}

TEST(WorkerPoolTest, DestructorOfAnIdlePoolReturns) {
  auto destroyed = std::async(std::launch::async, [] {
    WorkerPool pool(4, 16, [](std::size_t, Job) {});
    // Let the workers reach the parked state so the destructor must wake them.
    EXPECT_TRUE(eventually([&] { return pool.parks() >= pool.size(); }));
  });
  EXPECT_EQ(destroyed.wait_for(kDeadline), std::future_status::ready);
}

}  // namespace
}  // namespace hybrid::pool
