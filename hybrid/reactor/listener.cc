#include "hybrid/reactor/listener.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

namespace hybrid::reactor {
namespace {

std::string endpoint_text(std::string_view address, bool ipv6, std::uint16_t port) {
  std::string host(address);
  if (ipv6) host = "[" + host + "]";
  return host + ":" + std::to_string(port);
}

}  // namespace

Listener::Listener(std::string_view address, std::uint16_t port, int backlog, bool reuse_port)
    : address_(address) {
  sockaddr_storage storage{};
  socklen_t length = 0;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&storage);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&storage);
  if (inet_pton(AF_INET, address_.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    length = sizeof *v4;
  } else if (inet_pton(AF_INET6, address_.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    length = sizeof *v6;
    ipv6_ = true;
  } else {
    throw std::system_error(
        EINVAL, std::generic_category(),
        "bind address '" + address_ + "' is not a numeric IPv4 or IPv6 address");
  }

  fd_ = ::socket(storage.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "socket");
  int on = 1;
  // SO_REUSEADDR lets a restarted server bind while old connections sit in TIME_WAIT.
  // SO_REUSEPORT only when asked for: two servers silently sharing a port by accident is a bug,
  // while an operator running one process per NUMA node wants exactly that.
  setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  if (reuse_port) setsockopt(fd_, SOL_SOCKET, SO_REUSEPORT, &on, sizeof on);
  if (ipv6_) setsockopt(fd_, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on);
  if (::bind(fd_, reinterpret_cast<sockaddr*>(&storage), length) != 0 ||
      ::listen(fd_, backlog) != 0) {
    int error = errno;
    ::close(fd_);
    fd_ = -1;
    throw std::system_error(error, std::generic_category(),
                            "bind " + endpoint_text(address_, ipv6_, port));
  }
  sockaddr_storage bound{};
  socklen_t bound_length = sizeof bound;
  getsockname(fd_, reinterpret_cast<sockaddr*>(&bound), &bound_length);
  port_ = ntohs(ipv6_ ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                      : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
}

Listener::~Listener() {
  close();
}

void Listener::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

std::string Listener::url() const {
  return "http://" + endpoint_text(address_, ipv6_, port_);
}

int Listener::accept_connection(std::span<char> peer_text) {
  sockaddr_storage peer{};
  socklen_t peer_length = sizeof peer;
  int fd = ::accept4(fd_, reinterpret_cast<sockaddr*>(&peer), &peer_length,
                     SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (fd < 0) return -errno;
  if (!peer_text.empty()) {
    const void* address =
        peer.ss_family == AF_INET6
            ? static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(&peer)->sin6_addr)
            : static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(&peer)->sin_addr);
    if (!inet_ntop(peer.ss_family, address, peer_text.data(),
                   static_cast<socklen_t>(peer_text.size()))) {
      peer_text[0] = '\0';
    }
  }
  int on = 1;
  // Responses leave in one write each; Nagle would only delay the last segment of a response.
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
  return fd;
}

}  // namespace hybrid::reactor
