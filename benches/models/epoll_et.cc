// 7b. epoll, edge-triggered. The text's last single-threaded server registered each socket once
// with EPOLLET: epoll reports a change of state, not a state, so the server must read until
// EAGAIN and write until EAGAIN, or it never hears of that socket again. This one registers each
// socket once for both directions and never calls epoll_ctl again; Session::advance() works until
// EAGAIN by construction. What it shows: the fewest system calls per request of the models here —
// hybrid's reactor is built this way — and still one thread that any blocking work stops.
#include <sys/epoll.h>

#include <array>
#include <cstdint>

#include "benches/models/exchange.h"
#include "benches/models/models.h"

namespace hybrid::models {

void run_epoll_et(const ModelOptions& options) {
  install_stop_handlers();
  const Site site(options.root);
  const UniqueFd listener = listen_on(options);
  const UniqueFd epoll = create_epoll();
  watch(epoll.get(), listener.get(), EPOLLIN | EPOLLET);
  watch(epoll.get(), wake_fd(), EPOLLIN);
  announce("epoll-et", bound_port(listener.get()), options);

  SessionTable sessions;
  std::array<epoll_event, 256> events{};
  while (!stop_requested()) {
    const int count = ::epoll_wait(epoll.get(), events.data(), events.size(), -1);
    for (int i = 0; i < count; ++i) {
      const int fd = events[i].data.fd;
      if (fd == listener.get()) {
        // Edge-triggered: accept until EAGAIN, or the clients left waiting raise no new edge.
        // Bytes that arrived before a socket's registration are reported all the same.
        constexpr std::uint32_t kBothWays = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
        while (UniqueFd socket = accept_connection(fd, /*non_blocking=*/true)) {
          if (try_watch(epoll.get(), socket.get(), kBothWays)) sessions.add(std::move(socket));
        }
        continue;
      }
      Session* session = sessions.find(fd);
      if (session != nullptr && !session->advance(site)) sessions.remove(fd);
    }
  }
}

}  // namespace hybrid::models
