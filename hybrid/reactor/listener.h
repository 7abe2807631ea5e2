// A non-blocking listening TCP socket on an IPv4 or IPv6 address.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace hybrid::reactor {

// Connections the kernel queues before accept(); Linux caps it at net.core.somaxconn.
inline constexpr int kDefaultBacklog = 4096;

class Listener {
 public:
  // Binds and listens. `address` is a numeric IPv4 or IPv6 literal ("0.0.0.0", "::1"); port 0
  // picks an ephemeral port. Throws std::system_error with a message naming the address on
  // failure (e.g. "bind 127.0.0.1:8080: Address already in use").
  // `reuse_port`: SO_REUSEPORT, so that other sockets with it may listen on the same port.
  Listener(std::string_view address, std::uint16_t port, int backlog = kDefaultBacklog,
           bool reuse_port = false);
  ~Listener();
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  int fd() const { return fd_; }
  std::uint16_t port() const { return port_; }
  // "http://127.0.0.1:8080", "http://[::1]:8080" — for the start-up line.
  std::string url() const;

  // Accepts one connection as a non-blocking, close-on-exec socket with TCP_NODELAY. Returns the
  // fd, or -errno (-EAGAIN when no connection is pending; -EMFILE / -ENFILE when out of fds).
  // When `peer_text` is given, the client's address is written there as text (NUL-terminated).
  int accept_connection(std::span<char> peer_text = {});

  // Stops accepting for good: new connection attempts are refused from now on.
  void close();

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::string address_;
  bool ipv6_ = false;
};

}  // namespace hybrid::reactor
