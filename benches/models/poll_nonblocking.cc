// 6. Non-blocking sockets swept in a loop. The text made every socket non-blocking, kept them in
// a list, and went round it forever: accept if a client waits, recv on each connection, send
// what is due — no thread per client, and no system call that waits. This one does exactly that,
// never sleeping. What it shows: one thread can hold many connections, but it burns a whole core
// even with no client at all (a recv that fails with EAGAIN for every connection, every round),
// and every ready socket waits for a sweep over all the idle ones; blocking work (/sleep) stops
// the sweep.
#include <algorithm>
#include <vector>

#include "benches/models/exchange.h"
#include "benches/models/models.h"

namespace hybrid::models {

void run_poll_nonblocking(const ModelOptions& options) {
  install_stop_handlers();
  const Site site(options.root);
  const UniqueFd listener = listen_on(options);
  announce("poll-nonblocking", bound_port(listener.get()), options);
  std::vector<Session> sessions;
  while (!stop_requested()) {
    while (UniqueFd socket = accept_connection(listener.get(), /*non_blocking=*/true)) {
      sessions.emplace_back(std::move(socket));
    }
    std::erase_if(sessions, [&site](Session& session) { return !session.advance(site); });
  }
}

}  // namespace hybrid::models
