// The reactor: one thread waiting on epoll for readiness, plus a coalescing cross-thread wake-up.
//
// Knows file descriptors, readiness, time and wake-ups — nothing about HTTP. Every member except
// wake() must be called on the loop's own thread.
#pragma once

#include <sys/epoll.h>

#include <array>
#include <atomic>
#include <cstdint>

namespace hybrid::reactor {

// Receives the readiness of one registered fd. The handler must stay alive while registered.
class EventHandler {
 public:
  virtual void on_events(std::uint32_t events) = 0;

 protected:
  ~EventHandler() = default;
};

// Milliseconds on a monotonic clock, read once per loop iteration (a vDSO call, no syscall).
using MonotonicMs = std::int64_t;
MonotonicMs monotonic_ms();

class EventLoop {
 public:
  // Throws std::system_error when epoll or the eventfd cannot be created.
  explicit EventLoop(EventHandler& wake_handler);
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Register, change or remove interest. Return 0 or an errno value.
  int add(int fd, std::uint32_t events, EventHandler& handler);
  int modify(int fd, std::uint32_t events, EventHandler& handler);
  int remove(int fd);

  // Waits up to timeout_ms (-1: no limit) and dispatches every ready event. A handler may remove
  // or close any fd, including others reported in the same batch: handlers must tolerate a
  // spurious event (it is harmless for non-blocking sockets that re-check their state).
  // Returns how many events it dispatched (0 on timeout or EINTR).
  int run_once(int timeout_ms);

  // The time at the start of the current iteration.
  MonotonicMs now() const { return now_; }

  // Any thread: makes the loop call wake_handler.on_events() soon. Calls between two deliveries
  // coalesce into one eventfd write, so a burst of completions costs one syscall, not one each.
  void wake();

 private:
  class WakeFd final : public EventHandler {
   public:
    WakeFd(EventLoop& loop, EventHandler& target) : loop_(loop), target_(target) {}
    void on_events(std::uint32_t events) override;

   private:
    EventLoop& loop_;
    EventHandler& target_;
  };

  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  WakeFd wake_dispatch_;
  std::atomic<bool> wake_pending_{false};
  MonotonicMs now_ = 0;
  std::array<epoll_event, 256> events_{};
};

}  // namespace hybrid::reactor
