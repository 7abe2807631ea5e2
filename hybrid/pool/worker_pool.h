// A fixed pool of worker threads fed by a bounded lock-free queue.
//
// Knows jobs and threads — nothing about sockets. The queue is the only way work reaches a worker:
// whoever submits a job hands over ownership of what the job points to until the handler returns.
// Workers that find nothing to do spin briefly, yield the core once, then park on a futex; a
// submit wakes a worker only when one is parked (batched submits: once per batch), so under load
// the hand-off costs no syscall at all.
#pragma once

#include <atomic>
#include <boost/lockfree/queue.hpp>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <thread>
#include <type_traits>
#include <vector>

namespace hybrid::pool {

// One word; its meaning belongs to the submitter. Trivially copyable, as the lock-free queue needs.
struct Job {
  void* item = nullptr;
};
static_assert(std::is_trivially_copyable_v<Job>);
static_assert(sizeof(std::atomic<std::uint32_t>) == sizeof(std::uint32_t), "futex word");

// Which jobs a worker takes first. A job's priority is the submitter's to choose; jobs of one
// priority run in the order submitted.
enum class Priority : unsigned char {
  kNormal,
  // Taken only when no normal job waits: work that may wait a little so that others do not —
  // a server's TLS handshakes (each ~0.1-0.5 ms of CPU) behind the requests of connections that
  // are already established.
  kDeferrable,
};

// How workers are scheduled against the thread that feeds them.
enum class Scheduling : unsigned char {
  kNormal,  // the caller's policy, unchanged
  // SCHED_BATCH (needs no privilege) for workers still under the default policy: a woken worker
  // does not preempt the running thread but runs when that thread blocks or its slice ends. A
  // producer sharing a core with its workers then hands them each round's jobs as one batch.
  kBatch,
};

class WorkerPool {
 public:
  // Runs on a worker thread; `worker` is that thread's index in [0, size()), so handlers can keep
  // per-worker state (scratch buffers, a libmagic handle) without locks.
  using Handler = std::function<void(std::size_t worker, Job job)>;
  // Runs on a worker that found no work and is about to sleep (and once before it exits): the
  // place to flush per-worker buffers. Optional.
  using IdleHandler = std::function<void(std::size_t worker)>;

  // Starts `threads` workers (≥ 1). `queue_capacity` bounds the normal jobs waiting and
  // `deferrable_capacity` the deferrable ones (each ≤ 65534, the lock-free queue's limit; a
  // queue slot takes a cache line, so a pool that never defers keeps the default). Throws
  // std::system_error if a thread cannot start.
  WorkerPool(std::size_t threads, std::size_t queue_capacity, Handler handler,
             IdleHandler idle = {}, Scheduling scheduling = Scheduling::kNormal,
             std::size_t deferrable_capacity = 1);
  ~WorkerPool();  // stop()
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Any thread. False when the queue is full: the caller keeps the job and retries later
  // (backpressure); a job is never dropped or reordered with respect to the caller's own submits.
  // Wakes a parked worker if there is one.
  bool try_submit(Job job);

  // Like try_submit(), but wakes nobody: a parked worker may not see the job until the same
  // thread calls end_batch(). A producer that submits many jobs per round (a reactor's epoll
  // batch) pays one wake-up per round instead of one per job — a cross-core wake-up costs more
  // than a whole small request.
  bool try_submit_batched(Job job, Priority priority = Priority::kNormal);

  // Wakes one parked worker if any job submitted since the last end_batch() may be waiting.
  // A woken worker that finds more work wakes the next, so a big batch spreads over the pool.
  void end_batch();

  // Runs every job already queued, then joins the workers. Idempotent; not from a worker.
  void stop();

  std::size_t size() const { return threads_.size(); }

  // Times a worker parked (for tests and benchmarks; relaxed counter).
  std::uint64_t parks() const { return parks_.load(std::memory_order_relaxed); }

 private:
  void run(std::size_t worker, Scheduling scheduling);
  bool wait_for_work(std::size_t worker, Job& job);
  void wake_one_if_parked();
  // The next job: a normal one if any waits, else a deferrable one.
  bool take(Job& job) { return queue_.pop(job) || deferrable_.pop(job); }
  bool empty() const { return queue_.empty() && deferrable_.empty(); }

  Handler handler_;
  IdleHandler idle_;
  boost::lockfree::queue<Job, boost::lockfree::fixed_sized<true>> queue_;
  boost::lockfree::queue<Job, boost::lockfree::fixed_sized<true>> deferrable_;
  std::atomic<std::uint32_t> wake_epoch_{0};  // the futex parked workers wait on
  std::atomic<int> parked_{0};
  std::atomic<bool> stopping_{false};
  std::atomic<std::uint64_t> parks_{0};
  bool batch_open_ = false;  // the batching producer's own flag: submitted without a wake-up
  std::vector<std::thread> threads_;
};

}  // namespace hybrid::pool
