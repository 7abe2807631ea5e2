// 7b. epoll, edge-triggered. The text's last single-threaded server registered each socket once
// with EPOLLET: epoll reports a change of state, not a state, so the server must read until
// EAGAIN and write until EAGAIN, or it never hears of that socket again. This one registers each
// socket once for both directions and never calls epoll_ctl again; Session::advance() works until
// EAGAIN by construction (bytes that arrived before the registration are reported all the same).
// What it shows: the fewest system calls per request of the models here — hybrid's reactor is
// built this way — and still one thread that any blocking work stops.
#include <sys/epoll.h>

#include "benches/models/epoll_loop.h"
#include "benches/models/models.h"

namespace hybrid::models {

void run_epoll_et(const ModelOptions& options) {
  serve_with_epoll(
      "epoll-et", options,
      {.listener = EPOLLIN | EPOLLET, .connection = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET},
      [](int, int, Session& session, const Site& site) { return session.advance(site); });
}

}  // namespace hybrid::models
