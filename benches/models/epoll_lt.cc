// 7a. epoll, level-triggered. The text's first epoll server registered each socket for input and
// asked epoll which ones were ready, instead of sweeping them all; while a response could not be
// sent whole it watched for output instead. So does this one: level-triggered, a socket is
// reported as long as it is ready, so interest flips between EPOLLIN and EPOLLOUT (one epoll_ctl
// each way) or an unsent response would wake the loop forever. What it shows: the cost of a
// round no longer grows with idle connections, and the thread sleeps when nothing happens; one
// thread still means that blocking work (/sleep) stops every connection.
#include <sys/epoll.h>

#include <array>

#include "benches/models/exchange.h"
#include "benches/models/models.h"

namespace hybrid::models {

void run_epoll_lt(const ModelOptions& options) {
  install_stop_handlers();
  const Site site(options.root);
  const UniqueFd listener = listen_on(options);
  const UniqueFd epoll = create_epoll();
  watch(epoll.get(), listener.get(), EPOLLIN);
  watch(epoll.get(), wake_fd(), EPOLLIN);
  announce("epoll-lt", bound_port(listener.get()), options);

  SessionTable sessions;
  std::array<epoll_event, 256> events{};
  while (!stop_requested()) {
    const int count = ::epoll_wait(epoll.get(), events.data(), events.size(), -1);
    for (int i = 0; i < count; ++i) {
      const int fd = events[i].data.fd;
      if (fd == listener.get()) {
        while (UniqueFd socket = accept_connection(fd, /*non_blocking=*/true)) {
          if (try_watch(epoll.get(), socket.get(), EPOLLIN)) sessions.add(std::move(socket));
        }
        continue;
      }
      Session* session = sessions.find(fd);
      if (session == nullptr) continue;
      const bool was_writing = session->wants_write();
      if (!session->advance(site)) {
        sessions.remove(fd);
        continue;
      }
      if (session->wants_write() != was_writing) {
        epoll_event interest{};
        interest.events = session->wants_write() ? EPOLLOUT : EPOLLIN;
        interest.data.fd = fd;
        ::epoll_ctl(epoll.get(), EPOLL_CTL_MOD, fd, &interest);
      }
    }
  }
}

}  // namespace hybrid::models
