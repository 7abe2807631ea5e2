// benches/peers/httplib_server.cc: the handlers-mode peer on cpp-httplib (Debian's
// libcpp-httplib-dev), with the endpoints of hybrid's example service, for
// `benches/compare --handlers`.
//
//   GET  /plaintext          200 text/plain "Hello, World!"
//   GET  /api/sleep?ms=N     sleeps N ms on the pool thread (std::this_thread::sleep_for),
//                            then 200 "slept"
//   GET  /api/deferred?ms=N  the same: cpp-httplib cannot answer later without a thread, so
//                            this one holds a pool thread too
//   POST /api/echo           200 with the request body (Content-Length or chunked) and its
//                            Content-Type
//
// Usage: httplib_server --port P [--threads N] (or PORT=P, THREADS=N; 0 picks a port). Binds
// 127.0.0.1 and prints "cpp-httplib listening on http://127.0.0.1:PORT (N threads)".
// --threads sizes the thread pool (new_task_queue); cpp-httplib runs one connection at a time on
// a pool thread, for up to 5 requests (its CPPHTTPLIB_KEEPALIVE_MAX_COUNT), then closes it.
// TCP_NODELAY is set, as Go, Node.js and nginx do; the rest are cpp-httplib's defaults.
//
// Build: g++ -O2 -std=c++17 -pthread httplib_server.cc -o httplib_server -lcpp-httplib
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

namespace {

// Debian's libcpp-httplib is built with a listen backlog of 5 (CPPHTTPLIB_LISTEN_BACKLOG, fixed in
// the shared library): listen() again on the bound socket raises it to the 4096 the other servers
// get. The socket is found among the process's descriptors by its port.
void raise_backlog(int port) {
  for (int fd = 3; fd < 1024; ++fd) {
    sockaddr_in address{};
    socklen_t length = sizeof address;
    int accepting = 0;
    socklen_t flag_length = sizeof accepting;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0 &&
        address.sin_family == AF_INET && ntohs(address.sin_port) == port &&
        getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &accepting, &flag_length) == 0 && accepting) {
      listen(fd, 4096);
      return;
    }
  }
}

// ?ms=N, 0 to 60000; -1 when missing or out of range.
int delay_ms(const httplib::Request& request) {
  const std::string text = request.get_param_value("ms");
  char* end = nullptr;
  const long ms = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || ms < 0 || ms > 60000) return -1;
  return static_cast<int>(ms);
}

httplib::Server::Handler sleeper(const char* body) {
  return [body](const httplib::Request& request, httplib::Response& response) {
    const int ms = delay_ms(request);
    if (ms < 0) {
      response.status = 400;
      response.set_content("ms must be 0..60000\n", "text/plain");
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    response.set_content(body, "text/plain");
  };
}

}  // namespace

int main(int argc, char** argv) {
  int port = std::getenv("PORT") ? std::atoi(std::getenv("PORT")) : 8080;
  int threads = std::getenv("THREADS") ? std::atoi(std::getenv("THREADS")) : 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--port") == 0) {
      port = std::atoi(argv[i + 1]);
    } else if (std::strcmp(argv[i], "--threads") == 0) {
      threads = std::atoi(argv[i + 1]);
    } else {
      std::fprintf(stderr, "usage: %s [--port P] [--threads N]\n", argv[0]);
      return 2;
    }
  }
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));

  httplib::Server server;
  server.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  // Go, Node.js and nginx (tcp_nodelay on) all send without Nagle's delay; cpp-httplib writes a
  // response in two sends and, with Nagle, waits for a delayed ACK (40 ms) between them.
  server.set_tcp_nodelay(true);
  server.Get("/plaintext", [](const httplib::Request&, httplib::Response& response) {
    response.set_content("Hello, World!", "text/plain");
  });
  server.Get("/api/sleep", sleeper("slept"));
  server.Get("/api/deferred", sleeper("deferred"));
  server.Post("/api/echo", [](const httplib::Request& request, httplib::Response& response) {
    std::string type = request.get_header_value("Content-Type");
    if (type.empty()) type = "application/octet-stream";
    response.set_content(request.body, type.c_str());
  });

  if (port == 0) {
    port = server.bind_to_any_port("127.0.0.1");
    if (port < 0) port = 0;
  } else if (!server.bind_to_port("127.0.0.1", port)) {
    port = 0;
  }
  if (port == 0) {
    std::fprintf(stderr, "httplib_server: cannot listen on 127.0.0.1\n");
    return 1;
  }
  raise_backlog(port);
  std::printf("cpp-httplib listening on http://127.0.0.1:%d (%d threads)\n", port, threads);
  std::fflush(stdout);
  return server.listen_after_bind() ? 0 : 1;
}
