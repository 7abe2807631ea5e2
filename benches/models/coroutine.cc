// 5. Coroutines. The text used gevent: greenlets on one thread, sockets monkey-patched so that
// code written as blocking reads and writes yields to an event loop instead. This is the same
// with C++20 coroutines over epoll: serve() below reads like the blocking models — answer, send,
// read — and each `co_await loop.ready(...)` parks the connection until epoll reports its socket
// ready. One thread, no locks, a coroutine frame per connection instead of a stack.
// What it shows: the event loop's efficiency with blocking-style code — and its limit. gevent
// also patches sleep into a yield; a real blocking call is not patched, and /sleep here is one
// (nanosleep, like a synchronous database driver): it stops the loop and every connection on it.
// (A timer that the loop awaits would not block; that is not what is measured.)
#include <sys/epoll.h>

#include <array>
#include <coroutine>
#include <cstdint>
#include <exception>
#include <utility>
#include <vector>

#include "benches/models/exchange.h"
#include "benches/models/models.h"

namespace hybrid::models {
namespace {

// A coroutine nobody awaits: it starts at once and frees its frame when it ends. While it waits,
// the loop holds its handle.
struct Detached {
  struct promise_type {
    Detached get_return_object() { return {}; }
    std::suspend_never initial_suspend() { return {}; }
    std::suspend_never final_suspend() noexcept { return {}; }
    void return_void() {}
    void unhandled_exception() { std::terminate(); }
  };
};

// One epoll descriptor and the coroutine waiting on each socket, in a slot table indexed by fd.
// Sockets are registered once, edge-triggered, for both directions. A coroutine always tries its
// call first and waits only after EAGAIN, so an edge that came while it was busy is never lost;
// a wake-up for an event it no longer needs only makes it try again.
class Loop {
 public:
  Loop() : epoll_(create_epoll()) { watch(epoll_.get(), wake_fd(), EPOLLIN); }
  // Destroying a waiting coroutine runs its destructors: its socket closes.
  ~Loop() {
    for (Waiter& waiter : waiters_) {
      if (waiter.handle) waiter.handle.destroy();
    }
  }
  Loop(const Loop&) = delete;
  Loop& operator=(const Loop&) = delete;

  bool add(int fd) {
    return try_watch(epoll_.get(), fd, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET);
  }

  // co_await ready(fd, EPOLLIN): resumes when epoll reports `events` (or an error) on fd.
  auto ready(int fd, std::uint32_t events) {
    struct Awaiter {
      Loop& loop;
      int fd;
      std::uint32_t events;
      bool await_ready() const { return false; }
      void await_suspend(std::coroutine_handle<> handle) {
        if (loop.waiters_.size() <= static_cast<std::size_t>(fd)) loop.waiters_.resize(fd + 1);
        loop.waiters_[fd] = {handle, events};
      }
      void await_resume() const {}
    };
    return Awaiter{*this, fd, events};
  }

  void run() {
    std::array<epoll_event, 256> events{};
    while (!stop_requested()) {
      const int count = ::epoll_wait(epoll_.get(), events.data(), events.size(), -1);
      for (int i = 0; i < count; ++i) {
        const auto fd = static_cast<std::size_t>(events[i].data.fd);
        if (fd >= waiters_.size()) continue;  // the wake-up pipe
        Waiter& waiter = waiters_[fd];
        const std::uint32_t wanted = waiter.events | EPOLLERR | EPOLLHUP | EPOLLRDHUP;
        if (waiter.handle && (events[i].events & wanted) != 0) {
          std::exchange(waiter.handle, {}).resume();
        }
      }
    }
  }

 private:
  struct Waiter {
    std::coroutine_handle<> handle;
    std::uint32_t events = 0;
  };
  UniqueFd epoll_;
  std::vector<Waiter> waiters_;
};

Detached serve(Loop& loop, UniqueFd socket, const Site& site) {
  const int fd = socket.get();
  if (!loop.add(fd)) co_return;
  std::string input;
  for (;;) {
    while (std::optional<Reply> reply = answer_next(input, site)) {
      Progress sent;
      while ((sent = send_reply(fd, *reply)) == Progress::kBlocked) {
        co_await loop.ready(fd, EPOLLOUT);
      }
      if (sent == Progress::kFailed || reply->close_after) co_return;
    }
    Input got;
    while ((got = read_some(fd, input)) == Input::kWouldBlock) co_await loop.ready(fd, EPOLLIN);
    if (got != Input::kRead) co_return;  // the client closed (or failed) with no request left
  }
}

Detached accept_connections(Loop& loop, int listener, const Site& site) {
  loop.add(listener);
  for (;;) {
    while (UniqueFd socket = accept_connection(listener, /*non_blocking=*/true)) {
      serve(loop, std::move(socket), site);
    }
    co_await loop.ready(listener, EPOLLIN);
  }
}

}  // namespace

void run_coroutine(const ModelOptions& options) {
  install_stop_handlers();
  const Site site(options.root);
  const UniqueFd listener = listen_on(options);
  Loop loop;
  accept_connections(loop, listener.get(), site);
  announce("coroutine", bound_port(listener.get()), options);
  loop.run();
}

}  // namespace hybrid::models
