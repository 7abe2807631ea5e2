#include "benches/models/common.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <system_error>

namespace hybrid::models {
namespace {

constexpr int kListenBacklog = 4096;

std::atomic<bool> stop_flag{false};
std::array<int, 2> wake_pipe{-1, -1};

void on_stop_signal(int) {
  stop_flag.store(true, std::memory_order_relaxed);
  const int saved_errno = errno;  // the interrupted code may be about to read errno
  [[maybe_unused]] ssize_t ignored = ::write(wake_pipe[1], "s", 1);
  errno = saved_errno;
}

void on_child_exit(int) {
  const int saved_errno = errno;
  [[maybe_unused]] ssize_t ignored = ::write(wake_pipe[1], "c", 1);
  errno = saved_errno;
}

void handle(int signal, void (*handler)(int)) {
  struct sigaction action {};
  action.sa_handler = handler;
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0;  // no SA_RESTART: a blocked recv or accept must return to see the stop
  ::sigaction(signal, &action, nullptr);
}

std::system_error errno_error(const std::string& what) {
  return {errno, std::generic_category(), what};
}

}  // namespace

UniqueFd listen_on(const ModelOptions& options) {
  const std::string address = options.bind_address + ":" + std::to_string(options.port);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(options.port);
  if (::inet_pton(AF_INET, options.bind_address.c_str(), &addr.sin_addr) != 1) {
    throw std::system_error(EINVAL, std::generic_category(),
                            "not a numeric IPv4 address: " + options.bind_address);
  }
  UniqueFd listener(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!listener) throw errno_error("socket");
  const int one = 1;
  ::setsockopt(listener.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(listener.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    throw errno_error("cannot bind " + address);
  }
  if (::listen(listener.get(), kListenBacklog) != 0)
    throw errno_error("cannot listen on " + address);
  return listener;
}

UniqueFd accept_connection(int listener, bool non_blocking) {
  for (;;) {
    const int flags = SOCK_CLOEXEC | (non_blocking ? SOCK_NONBLOCK : 0);
    UniqueFd socket(::accept4(listener, nullptr, nullptr, flags));
    if (socket) {
      const int one = 1;
      ::setsockopt(socket.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      return socket;
    }
    // A connection reset while it waited in the backlog is gone; the next one may be there.
    if (errno != ECONNABORTED && errno != EPROTO) return {};
  }
}

std::uint16_t bound_port(int listener) {
  sockaddr_in addr{};
  socklen_t length = sizeof addr;
  ::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &length);
  return ntohs(addr.sin_port);
}

void announce(std::string_view model, std::uint16_t port, const ModelOptions& options) {
  std::error_code ignored;
  const std::filesystem::path root = std::filesystem::canonical(options.root, ignored);
  std::printf("bench_models %.*s listening on http://%s:%u (root %s)\n",
              static_cast<int>(model.size()), model.data(), options.bind_address.c_str(), port,
              root.c_str());
  std::fflush(stdout);
}

void install_stop_handlers(bool wake_on_child_exit) {
  if (::pipe2(wake_pipe.data(), O_CLOEXEC | O_NONBLOCK) != 0) throw errno_error("pipe2");
  handle(SIGINT, on_stop_signal);
  handle(SIGTERM, on_stop_signal);
  if (wake_on_child_exit) handle(SIGCHLD, on_child_exit);
}

bool stop_requested() {
  return stop_flag.load(std::memory_order_relaxed);
}

int wake_fd() {
  return wake_pipe[0];
}

void drain_wake_fd() {
  std::array<char, 64> bytes{};
  while (::read(wake_pipe[0], bytes.data(), bytes.size()) > 0) {
  }
}

bool wait_readable_or_stop(int fd) {
  std::array<pollfd, 2> fds{{{fd, POLLIN, 0}, {wake_pipe[0], POLLIN, 0}}};
  while (!stop_requested()) {
    if (::poll(fds.data(), fds.size(), -1) < 0) continue;  // EINTR: look at the flag again
    if (fds[1].revents != 0) drain_wake_fd();
    if (fds[0].revents != 0 || fds[1].revents != 0) return !stop_requested();
  }
  return false;
}

bool try_watch(int epoll_fd, int fd, std::uint32_t events) {
  epoll_event event{};
  event.events = events;
  event.data.fd = fd;
  return ::epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &event) == 0;
}

void watch(int epoll_fd, int fd, std::uint32_t events) {
  if (!try_watch(epoll_fd, fd, events)) throw errno_error("epoll_ctl");
}

UniqueFd create_epoll() {
  UniqueFd epoll(::epoll_create1(EPOLL_CLOEXEC));
  if (!epoll) throw errno_error("epoll_create1");
  return epoll;
}

}  // namespace hybrid::models
