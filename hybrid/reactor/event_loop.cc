#include "hybrid/reactor/event_loop.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>
#include <system_error>

namespace hybrid::reactor {

MonotonicMs monotonic_ms() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<MonotonicMs>(ts.tv_sec) * 1000 + ts.tv_nsec / 1'000'000;
}

EventLoop::EventLoop(EventHandler& wake_handler) : wake_dispatch_(*this, wake_handler) {
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0) throw std::system_error(errno, std::generic_category(), "epoll_create1");
  wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd_ < 0) {
    int error = errno;
    ::close(epoll_fd_);
    throw std::system_error(error, std::generic_category(), "eventfd");
  }
  if (int error = add(wake_fd_, EPOLLIN, wake_dispatch_); error != 0) {
    ::close(wake_fd_);
    ::close(epoll_fd_);
    throw std::system_error(error, std::generic_category(), "epoll_ctl(eventfd)");
  }
  now_ = monotonic_ms();
}

EventLoop::~EventLoop() {
  ::close(wake_fd_);
  ::close(epoll_fd_);
}

int EventLoop::add(int fd, std::uint32_t events, EventHandler& handler) {
  epoll_event event{};
  event.events = events;
  event.data.ptr = &handler;
  return epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &event) == 0 ? 0 : errno;
}

int EventLoop::modify(int fd, std::uint32_t events, EventHandler& handler) {
  epoll_event event{};
  event.events = events;
  event.data.ptr = &handler;
  return epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &event) == 0 ? 0 : errno;
}

int EventLoop::remove(int fd) {
  return epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr) == 0 ? 0 : errno;
}

int EventLoop::run_once(int timeout_ms) {
  int ready = epoll_wait(epoll_fd_, events_.data(), static_cast<int>(events_.size()), timeout_ms);
  now_ = monotonic_ms();
  for (int i = 0; i < ready; ++i) {
    static_cast<EventHandler*>(events_[i].data.ptr)->on_events(events_[i].events);
  }
  return ready > 0 ? ready : 0;
}

void EventLoop::wake() {
  // Only the first caller since the last delivery pays for the syscall. Sequentially consistent
  // with the clear in WakeFd::on_events: a caller that sees `true` published its work before the
  // clear, so the target's drain, which follows the clear, sees it.
  if (wake_pending_.exchange(true)) return;
  std::uint64_t one = 1;
  [[maybe_unused]] ssize_t written = ::write(wake_fd_, &one, sizeof one);
}

void EventLoop::WakeFd::on_events(std::uint32_t events) {
  std::uint64_t count = 0;
  [[maybe_unused]] ssize_t got = ::read(loop_.wake_fd_, &count, sizeof count);
  // Cleared before the target runs: a wake() racing with the target's drain then writes again,
  // so no hand-off is ever left unnoticed.
  loop_.wake_pending_.store(false);
  target_.on_events(events);
}

}  // namespace hybrid::reactor
