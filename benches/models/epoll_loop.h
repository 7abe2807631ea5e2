// What the two epoll models share: the loop that waits, accepts, and hands each ready connection
// to the model. What differs between level- and edge-triggered is in the registration flags and
// in what the model does with a ready connection (epoll_lt.cc, epoll_et.cc).
#pragma once

#include <sys/epoll.h>

#include <array>
#include <cstdint>
#include <string_view>

#include "benches/models/exchange.h"

namespace hybrid::models {

struct EpollFlags {
  std::uint32_t listener;
  std::uint32_t connection;  // each accepted socket is registered once with these
};

// Serves until SIGINT/SIGTERM. For every event on a connection, `on_ready(epoll_fd, fd, session)`
// advances it and returns false when the session is over (it is then dropped, which closes the
// socket and takes it out of epoll).
template <typename OnReady>
void serve_with_epoll(std::string_view model, const ModelOptions& options, EpollFlags flags,
                      OnReady on_ready) {
  install_stop_handlers();
  const Site site(options.root);
  const UniqueFd listener = listen_on(options);
  const UniqueFd epoll = create_epoll();
  watch(epoll.get(), listener.get(), flags.listener);
  watch(epoll.get(), wake_fd(), EPOLLIN);
  announce(model, bound_port(listener.get()), options);

  SessionTable sessions;
  std::array<epoll_event, 256> events{};
  while (!stop_requested()) {
    const int count = ::epoll_wait(epoll.get(), events.data(), events.size(), -1);
    for (int i = 0; i < count; ++i) {
      const int fd = events[i].data.fd;
      if (fd == listener.get()) {
        // Until EAGAIN: an edge-triggered listener raises no new edge for clients left waiting.
        while (UniqueFd socket = accept_connection(fd, /*non_blocking=*/true)) {
          if (try_watch(epoll.get(), socket.get(), flags.connection)) {
            sessions.add(std::move(socket));
          }
        }
        continue;
      }
      Session* session = sessions.find(fd);
      if (session != nullptr && !on_ready(epoll.get(), fd, *session, site)) sessions.remove(fd);
    }
  }
}

}  // namespace hybrid::models
