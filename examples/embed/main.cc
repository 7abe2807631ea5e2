// Serves a directory on a loopback port until SIGINT/SIGTERM: the whole embedding API.
#include <signal.h>

#include <cstdio>
#include <thread>

#include "hybrid/server/server.h"

int main(int argc, char** argv) {
  hybrid::server::ServerOptions options;
  options.root = argc > 1 ? argv[1] : ".";
  options.bind_address = "127.0.0.1";
  options.port = 0;  // any free port

  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);  // before the server starts its threads

  hybrid::server::Server server(options);
  std::printf("serving %s on %s\n", options.root.c_str(), server.url().c_str());
  std::fflush(stdout);
  std::thread stopper([&] {
    int signal = 0;
    sigwait(&signals, &signal);
    server.stop();
  });
  server.run();
  stopper.join();
}
