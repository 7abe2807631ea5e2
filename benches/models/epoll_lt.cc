// 7a. epoll, level-triggered. The text's first epoll server registered each socket for input and
// asked epoll which ones were ready, instead of sweeping them all; while a response could not be
// sent whole it watched for output instead. So does this one: level-triggered, a socket is
// reported as long as it is ready, so interest flips between EPOLLIN and EPOLLOUT (one epoll_ctl
// each way) or an unsent response would wake the loop forever. What it shows: the cost of a
// round no longer grows with idle connections, and the thread sleeps when nothing happens; one
// thread still means that blocking work (/sleep) stops every connection.
#include <sys/epoll.h>

#include "benches/models/epoll_loop.h"
#include "benches/models/models.h"

namespace hybrid::models {

void run_epoll_lt(const ModelOptions& options) {
  serve_with_epoll("epoll-lt", options, {.listener = EPOLLIN, .connection = EPOLLIN},
                   [](int epoll, int fd, Session& session, const Site& site) {
                     const bool was_writing = session.wants_write();
                     if (!session.advance(site)) return false;
                     if (session.wants_write() != was_writing) {
                       epoll_event interest{};
                       interest.events = session.wants_write() ? EPOLLOUT : EPOLLIN;
                       interest.data.fd = fd;
                       ::epoll_ctl(epoll, EPOLL_CTL_MOD, fd, &interest);
                     }
                     return true;
                   });
}

}  // namespace hybrid::models
