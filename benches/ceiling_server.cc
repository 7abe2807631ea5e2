// benches/ceiling_server.cc: the ceiling for benches/compare's 1 KiB keep-alive scenarios. A
// minimal single-threaded epoll server that answers every request head it can frame (up to
// "\r\n\r\n") with the same fixed 1 KiB 200 response, keep-alive: one recv and one send per
// request, no parsing, no files, no timeouts. Nothing real can do less work per request, so a
// server's req/s divided by this one's is how close it gets to what the kernel and wrk allow.
//
//   g++ -O2 -std=c++20 benches/ceiling_server.cc -o ceiling_server
//   ./ceiling_server PORT          # listens on 127.0.0.1:PORT until SIGINT/SIGTERM
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <unordered_map>

namespace {

std::string make_response() {
  std::string body(1024, 'x');
  std::string head =
      "HTTP/1.1 200 OK\r\nServer: ceiling\r\nContent-Type: text/plain\r\n"
      "Content-Length: 1024\r\nConnection: keep-alive\r\n\r\n";
  return head + body;
}

struct Conn {
  std::string in;  // bytes received and not yet framed as a request
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s PORT\n", argv[0]);
    return 2;
  }
  const std::string response = make_response();
  int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(std::atoi(argv[1])));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (lfd < 0 || bind(lfd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      listen(lfd, 4096) != 0) {
    std::perror("ceiling_server: listen");
    return 1;
  }
  int ep = epoll_create1(EPOLL_CLOEXEC);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = lfd;
  epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
  std::unordered_map<int, Conn> conns;
  epoll_event events[256];
  char buf[16384];
  for (;;) {
    int n = epoll_wait(ep, events, 256, -1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return 1;
    for (int i = 0; i < n; ++i) {
      int fd = events[i].data.fd;
      if (fd == lfd) {
        for (;;) {
          int c = accept4(lfd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
          if (c < 0) break;
          setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          epoll_event cev{};
          cev.events = EPOLLIN;
          cev.data.fd = c;
          epoll_ctl(ep, EPOLL_CTL_ADD, c, &cev);
          conns[c];
        }
        continue;
      }
      ssize_t got = recv(fd, buf, sizeof buf, 0);
      if (got < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      Conn& conn = conns[fd];
      if (got <= 0 || conn.in.size() > 65536) {  // closed, error, or no request in sight
        close(fd);                               // also removes it from the epoll set
        conns.erase(fd);
        continue;
      }
      conn.in.append(buf, static_cast<size_t>(got));
      // One send for all the requests framed (one, unless the client pipelines). The response is
      // small enough to fit the socket buffer; a short send just closes the connection.
      std::string out;
      size_t pos = 0;
      for (size_t end; (end = std::string_view(conn.in).find("\r\n\r\n", pos)) != std::string::npos;
           pos = end + 4) {
        out += response;
      }
      conn.in.erase(0, pos);
      if (!out.empty() && send(fd, out.data(), out.size(), MSG_NOSIGNAL) != ssize_t(out.size())) {
        close(fd);
        conns.erase(fd);
      }
    }
  }
}
