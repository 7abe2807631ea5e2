// Serves a directory on a loopback port until SIGINT/SIGTERM: the smallest embedding of hybrid
// (examples/service adds handlers).
#include <cstdio>

#include "hybrid/server/server.h"

int main(int argc, char** argv) {
  hybrid::server::ServerOptions options;
  options.root = argc > 1 ? argv[1] : ".";
  options.bind_address = "127.0.0.1";
  options.port = 0;  // any free port

  hybrid::server::Server server(options);  // binds and opens the root, or throws
  std::printf("serving %s on %s\n", options.root.c_str(), server.url().c_str());
  std::fflush(stdout);
  server.run_until_signal();  // serves until SIGINT or SIGTERM, then drains
}
