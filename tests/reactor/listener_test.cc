#include "hybrid/reactor/listener.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <string>
#include <system_error>

namespace hybrid::reactor {
namespace {

// A blocking client socket connected to 127.0.0.1:port, or -errno.
int connect_v4(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -errno;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    int error = errno;
    ::close(fd);
    return -error;
  }
  return fd;
}

std::uint16_t bound_port(int fd) {
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  EXPECT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length), 0);
  if (address.ss_family == AF_INET6) {
    return ntohs(reinterpret_cast<sockaddr_in6*>(&address)->sin6_port);
  }
  return ntohs(reinterpret_cast<sockaddr_in*>(&address)->sin_port);
}

// Waits (bounded) until the listening socket has a connection to accept.
bool wait_readable(int fd) {
  pollfd pfd{fd, POLLIN, 0};
  return ::poll(&pfd, 1, 10'000) == 1 && (pfd.revents & POLLIN);
}

std::unique_ptr<Listener> try_ipv6_loopback() {
  try {
    return std::make_unique<Listener>("::1", 0);
  } catch (const std::system_error&) {
    return nullptr;
  }
}

TEST(ListenerTest, PortZeroPicksAnEphemeralPort) {
  Listener listener("127.0.0.1", 0);
  EXPECT_GE(listener.fd(), 0);
  EXPECT_NE(listener.port(), 0);
  EXPECT_EQ(listener.port(), bound_port(listener.fd()));
}

TEST(ListenerTest, ListeningSocketIsNonBlockingAndCloseOnExec) {
  Listener listener("127.0.0.1", 0);
  EXPECT_TRUE(::fcntl(listener.fd(), F_GETFL) & O_NONBLOCK);
  EXPECT_TRUE(::fcntl(listener.fd(), F_GETFD) & FD_CLOEXEC);
}

TEST(ListenerTest, UrlForIpv4) {
  Listener listener("127.0.0.1", 0);
  EXPECT_EQ(listener.url(), "http://127.0.0.1:" + std::to_string(listener.port()));
}

TEST(ListenerTest, UrlForIpv6HasBrackets) {
  auto listener = try_ipv6_loopback();
  if (!listener) GTEST_SKIP() << "IPv6 loopback unavailable";
  EXPECT_NE(listener->port(), 0);
  EXPECT_EQ(listener->port(), bound_port(listener->fd()));
  EXPECT_EQ(listener->url(), "http://[::1]:" + std::to_string(listener->port()));
}

TEST(ListenerTest, BindingABusyPortThrowsNamingTheAddress) {
  Listener first("127.0.0.1", 0);
  try {
    Listener second("127.0.0.1", first.port());
    FAIL() << "a second bind to port " << first.port() << " succeeded";
  } catch (const std::system_error& error) {
    EXPECT_EQ(error.code().value(), EADDRINUSE);
    const std::string what = error.what();
    EXPECT_NE(what.find("127.0.0.1:" + std::to_string(first.port())), std::string::npos) << what;
  }
}

TEST(ListenerTest, BindingABusyIpv6PortNamesTheAddressInBrackets) {
  auto first = try_ipv6_loopback();
  if (!first) GTEST_SKIP() << "IPv6 loopback unavailable";
  try {
    Listener second("::1", first->port());
    FAIL() << "a second bind to port " << first->port() << " succeeded";
  } catch (const std::system_error& error) {
    const std::string what = error.what();
    EXPECT_NE(what.find("[::1]:" + std::to_string(first->port())), std::string::npos) << what;
  }
}

TEST(ListenerTest, NonNumericAddressThrows) {
  try {
    Listener listener("localhost", 0);
    FAIL() << "a host name was accepted";
  } catch (const std::system_error& error) {
    EXPECT_EQ(error.code().value(), EINVAL);
    EXPECT_NE(std::string(error.what()).find("localhost"), std::string::npos) << error.what();
  }
  EXPECT_THROW(Listener("", 0), std::system_error);
  EXPECT_THROW(Listener("127.0.0.1:80", 0), std::system_error);
  EXPECT_THROW(Listener("[::1]", 0), std::system_error);
}

TEST(ListenerTest, AcceptWithNothingPendingReturnsMinusEagain) {
  Listener listener("127.0.0.1", 0);
  EXPECT_EQ(listener.accept_connection(), -EAGAIN);
}

TEST(ListenerTest, AcceptReturnsANonBlockingNoDelaySocketAfterAConnect) {
  Listener listener("127.0.0.1", 0);
  int client = connect_v4(listener.port());
  ASSERT_GE(client, 0) << "connect: " << std::strerror(-client);
  ASSERT_TRUE(wait_readable(listener.fd()));

  int fd = listener.accept_connection();
  ASSERT_GE(fd, 0) << "accept: " << std::strerror(-fd);
  EXPECT_TRUE(::fcntl(fd, F_GETFL) & O_NONBLOCK);
  EXPECT_TRUE(::fcntl(fd, F_GETFD) & FD_CLOEXEC);
  int nodelay = 0;
  socklen_t length = sizeof nodelay;
  ASSERT_EQ(::getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &nodelay, &length), 0);
  EXPECT_NE(nodelay, 0);

  // The accepted socket really is the client's peer.
  ASSERT_EQ(::send(client, "ping", 4, MSG_NOSIGNAL), 4);
  pollfd pfd{fd, POLLIN, 0};
  ASSERT_EQ(::poll(&pfd, 1, 10'000), 1);
  char buffer[8] = {};
  EXPECT_EQ(::recv(fd, buffer, sizeof buffer, 0), 4);
  EXPECT_EQ(std::string(buffer, 4), "ping");

  EXPECT_EQ(listener.accept_connection(), -EAGAIN);  // only one was pending
  ::close(fd);
  ::close(client);
}

TEST(ListenerTest, CloseRefusesNewConnections) {
  Listener listener("127.0.0.1", 0);
  const std::uint16_t port = listener.port();
  listener.close();
  EXPECT_EQ(listener.fd(), -1);
  listener.close();  // idempotent
  int client = connect_v4(port);
  EXPECT_EQ(client, -ECONNREFUSED);
  if (client >= 0) ::close(client);
}

}  // namespace
}  // namespace hybrid::reactor
