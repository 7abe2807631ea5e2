// 2. Iterative. The text's second server parsed the request line and sent the file it named, or
// 404 — still one connection at a time. So is this one: accept, answer one request
// ("Connection: close"), close, accept the next. It cannot keep connections: while it waits for
// one client's next request every other client waits in the backlog. What it shows: files and
// HTTP cost little next to waiting, and a request whose work blocks (/sleep) stalls everyone.
#include "benches/models/exchange.h"
#include "benches/models/models.h"

namespace hybrid::models {

void run_iterative(const ModelOptions& options) {
  install_stop_handlers();
  const Site site(options.root);
  const UniqueFd listener = listen_on(options);
  announce("iterative", bound_port(listener.get()), options);
  while (wait_readable_or_stop(listener.get())) {
    while (!stop_requested()) {
      UniqueFd socket = accept_connection(listener.get(), /*non_blocking=*/false);
      if (!socket) break;
      Session(std::move(socket), /*keep_alive=*/false).advance(site);
    }
  }
}

}  // namespace hybrid::models
