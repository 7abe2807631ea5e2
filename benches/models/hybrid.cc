// The text's conclusion, built for real: IO multiplexing for the sockets plus a thread pool for
// the work. This is hybrid's own Server (hybrid/server/server.h) on --root with --threads
// workers and as many handler threads; /sleep is registered as a blocking route, so its
// nanosleep runs on the handler pool while the epoll thread keeps every other connection moving.
// What it shows: where a single epoll thread is already ahead (small cached files on one core:
// the hand-off to a worker costs a little) and where the pool wins (work that blocks).
#include <chrono>
#include <optional>

#include "benches/models/exchange.h"
#include "benches/models/models.h"
#include "hybrid/server/server.h"

namespace hybrid::models {

void run_hybrid(const ModelOptions& options) {
  server::ServerOptions server_options;
  server_options.bind_address = options.bind_address;
  server_options.port = options.port;
  server_options.root = options.root;
  server_options.threads = options.threads;
  server_options.handler_threads = options.threads;
  server::Server server(server_options);
  server.handle(
      "GET /sleep",
      [](server::Request& request) {
        const std::optional<int> ms = sleep_milliseconds(request.query_param("ms").value_or(""));
        if (!ms) return server::Response::text("ms must be an integer from 0 to 10000\n", 400);
        block_for(std::chrono::milliseconds(*ms));
        return server::Response::text(sleep_body(*ms));
      },
      server::RouteOptions{.blocking = true, .read_body = false});
  announce("hybrid", server.port(), options);
  server.run_until_signal();
}

}  // namespace hybrid::models
