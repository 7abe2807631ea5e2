#include "hybrid/pool/worker_pool.h"

#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <limits>
#include <stdexcept>

namespace hybrid::pool {
namespace {

// Roughly a few microseconds: long enough to catch the next job of a busy reactor without a
// futex round trip, short enough not to steal a core from it on a small machine.
constexpr int kSpinsBeforePark = 64;

// A bare futex instead of std::atomic::wait: libstdc++'s wait spins with sched_yield before it
// sleeps, a syscall per spin that a worker which already spun has no use for.
void futex_wait(std::atomic<std::uint32_t>& word, std::uint32_t expected) {
  ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), FUTEX_WAIT_PRIVATE, expected,
            nullptr, nullptr, 0);
}

void futex_wake(std::atomic<std::uint32_t>& word, int count) {
  ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), FUTEX_WAKE_PRIVATE, count, nullptr,
            nullptr, 0);
}

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

}  // namespace

WorkerPool::WorkerPool(std::size_t threads, std::size_t queue_capacity, Handler handler,
                       IdleHandler idle, Scheduling scheduling, std::size_t deferrable_capacity)
    : handler_(std::move(handler)),
      idle_(std::move(idle)),
      queue_(std::clamp<std::size_t>(queue_capacity, 1, 65534)),
      deferrable_(std::clamp<std::size_t>(deferrable_capacity, 1, 65534)) {
  if (threads == 0) throw std::invalid_argument("worker pool needs at least one thread");
  threads_.reserve(threads);
  // Workers never take the process's asynchronous signals: started with them blocked (a thread
  // inherits its creator's mask), so SIGINT/SIGTERM/SIGHUP reach the thread the application
  // waits on. Otherwise the kernel may pick a worker, where nothing handles them.
  sigset_t blocked;
  sigemptyset(&blocked);
  for (int signal :
       {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGALRM, SIGCHLD, SIGWINCH, SIGPIPE}) {
    sigaddset(&blocked, signal);
  }
  sigset_t previous;
  pthread_sigmask(SIG_BLOCK, &blocked, &previous);
  try {
    for (std::size_t i = 0; i < threads; ++i) {
      threads_.emplace_back([this, i, scheduling] { run(i, scheduling); });
    }
  } catch (...) {
    pthread_sigmask(SIG_SETMASK, &previous, nullptr);
    stop();
    throw;
  }
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
}

WorkerPool::~WorkerPool() {
  stop();
}

bool WorkerPool::try_submit(Job job) {
  if (!queue_.bounded_push(job)) return false;
  wake_one_if_parked();
  return true;
}

bool WorkerPool::try_submit_batched(Job job, Priority priority) {
  if (!(priority == Priority::kNormal ? queue_ : deferrable_).bounded_push(job)) return false;
  batch_open_ = true;
  return true;
}

void WorkerPool::end_batch() {
  if (!batch_open_) return;
  batch_open_ = false;
  wake_one_if_parked();
}

void WorkerPool::wake_one_if_parked() {
  // Pairs with the fence in wait_for_work (Dekker): either this load sees the parked worker, or
  // that worker's re-check of the queue sees the job.
  std::atomic_thread_fence(std::memory_order_seq_cst);
  if (parked_.load(std::memory_order_relaxed) > 0) {
    wake_epoch_.fetch_add(1, std::memory_order_release);
    futex_wake(wake_epoch_, 1);
  }
}

void WorkerPool::stop() {
  if (stopping_.exchange(true)) {
    // A second call still joins, in case the first came from a constructor failure.
  }
  wake_epoch_.fetch_add(1);
  futex_wake(wake_epoch_, std::numeric_limits<int>::max());
  for (auto& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
}

bool WorkerPool::wait_for_work(std::size_t worker, Job& job) {
  for (int spin = 0; spin < kSpinsBeforePark; ++spin) {
    if (take(job)) return true;
    cpu_relax();
  }
  // Give the core away once before parking: a producer sharing it (the reactor, runnable after
  // its own yield) then queues the next round's jobs without a futex wake on either side —
  // measured 0.17 -> 0.01 sleeps per request at 1 KiB. Alone on its core the yield returns at
  // once.
  ::sched_yield();
  if (take(job)) return true;
  if (idle_) idle_(worker);
  while (true) {
    std::uint32_t epoch = wake_epoch_.load(std::memory_order_acquire);
    parked_.fetch_add(1, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_seq_cst);
    if (take(job)) {
      parked_.fetch_sub(1, std::memory_order_relaxed);
      return true;
    }
    if (stopping_.load()) {
      parked_.fetch_sub(1, std::memory_order_relaxed);
      return false;
    }
    parks_.fetch_add(1, std::memory_order_relaxed);
    futex_wait(wake_epoch_, epoch);  // returns at once if the epoch moved on
    parked_.fetch_sub(1, std::memory_order_relaxed);
    if (take(job)) {
      // One wake-up per batch: pass it on while work remains, so a batch does not wait for
      // this worker alone while others sleep. (empty() is only a hint here; a wrong guess costs
      // one spurious wake-up or one job served a little later, never a lost job.)
      if (!empty()) wake_one_if_parked();
      return true;
    }
  }
}

void WorkerPool::run(std::size_t worker, Scheduling scheduling) {
  if (scheduling == Scheduling::kBatch && ::sched_getscheduler(0) == SCHED_OTHER) {
    // Best effort: a refusal changes speed only.
    struct sched_param no_priority {};
    ::sched_setscheduler(0, SCHED_BATCH, &no_priority);
  }
  Job job;
  while (true) {
    if (!take(job) && !wait_for_work(worker, job)) return;
    handler_(worker, job);
  }
}

}  // namespace hybrid::pool
