// Black-box: SIGTERM drains (in-flight responses finish, new connections are refused) and SIGTERM
// and SIGINT both end the process with status 0.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <memory>
#include <string>
#include <thread>

#include "gtest/gtest.h"
#include "tests/blackbox/blackbox_support.h"
#include "tests/support/server_process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_client.h"

namespace hybrid::test {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t kBigSize = 20 * 1024 * 1024;

// A loopback connection that may fail without failing the test (TestClient would): the fd, or -1
// with `error` set (ECONNREFUSED when nothing listens).
int try_connect(std::uint16_t port, int& error) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) {
    error = errno;
    return -1;
  }
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  error = 0;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    error = errno;
    if (error == EINPROGRESS) {
      pollfd pfd{fd, POLLOUT, 0};
      socklen_t size = sizeof(error);
      if (::poll(&pfd, 1, 2000) <= 0) {
        error = ETIMEDOUT;
      } else {
        ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &size);
      }
    }
  }
  if (error != 0) {
    ::close(fd);
    return -1;
  }
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  return fd;
}

enum class ReadEnd { kWanted, kClosed, kTimeout };

// Appends to `out` until it holds `wanted` bytes, the peer closes or resets, or `deadline`;
// sleeps `pause` between reads of at most `chunk` bytes (a slow reader).
ReadEnd read_raw(int fd, std::string& out, std::size_t wanted, Clock::time_point deadline,
                 std::size_t chunk = 256 * 1024,
                 std::chrono::milliseconds pause = std::chrono::milliseconds(0)) {
  std::string buffer(chunk, '\0');
  while (out.size() < wanted) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return ReadEnd::kTimeout;
    pollfd pfd{fd, POLLIN, 0};
    const int ready = ::poll(&pfd, 1, static_cast<int>(left));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return ReadEnd::kTimeout;
    const ssize_t n = ::recv(fd, buffer.data(), std::min(chunk, wanted - out.size()), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return ReadEnd::kClosed;
    out.append(buffer.data(), static_cast<std::size_t>(n));
    if (pause.count() > 0) std::this_thread::sleep_for(pause);
  }
  return ReadEnd::kWanted;
}

// The Content-Length of a raw response head (lower-cased search), or -1.
long long raw_content_length(std::string_view head) {
  std::string lower(head);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  const std::size_t at = lower.find("\r\ncontent-length:");
  if (at == std::string::npos) return -1;
  return std::stoll(lower.substr(at + 17));
}

class ShutdownTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_.write("index.html", "<!DOCTYPE html><title>drain</title>\n");
    server_ = std::make_unique<ServerProcess>(root_args(dir_.path()));
    ASSERT_TRUE(server_->running());
  }

  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(ShutdownTest, SigtermDrainsAnInFlightDownloadAndRefusesNewConnections) {
  const std::string big = random_bytes(kBigSize, 4242);
  dir_.write("big.bin", big);
  const std::uint16_t port = server_->port();

  TestClient download(kLoopback, port);
  ASSERT_TRUE(download.connected());
  // A small receive window keeps most of the file in the server when the signal arrives.
  const int window = 64 * 1024;
  ::setsockopt(download.fd(), SOL_SOCKET, SO_RCVBUF, &window, sizeof(window));
  ASSERT_TRUE(download.send(make_request("GET", "/big.bin")));

  // Slow reader: the first 512 KiB in 16 KiB sips.
  std::string received;
  const auto deadline = Clock::now() + std::chrono::seconds(30);
  ASSERT_EQ(read_raw(download.fd(), received, 512 * 1024, deadline, 16 * 1024,
                     std::chrono::milliseconds(2)),
            ReadEnd::kWanted);
  ASSERT_TRUE(received.starts_with("HTTP/1.1 200 ")) << received.substr(0, 200);

  ASSERT_EQ(::kill(server_->pid(), SIGTERM), 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));

  // A connection after the drain started: refused outright, or accepted by the kernel backlog
  // but never answered with a file.
  int connect_error = 0;
  const int late = try_connect(port, connect_error);
  if (late >= 0) {
    const std::string request = make_request("GET", "/index.html");
    ::send(late, request.data(), request.size(), MSG_NOSIGNAL);
  } else {
    EXPECT_EQ(connect_error, ECONNREFUSED) << std::strerror(connect_error);
  }

  // The download finishes byte-exact.
  const std::size_t head_end = received.find("\r\n\r\n");
  ASSERT_NE(head_end, std::string::npos);
  const long long length = raw_content_length(received.substr(0, head_end + 2));
  ASSERT_EQ(length, static_cast<long long>(kBigSize));
  const std::size_t total = head_end + 4 + kBigSize;
  EXPECT_LT(received.size(), total) << "the download ended before the signal; test is void";
  EXPECT_EQ(read_raw(download.fd(), received, total, deadline), ReadEnd::kWanted)
      << "download cut short at " << received.size() << " of " << total << " bytes";
  EXPECT_TRUE(received.size() == total && received.compare(head_end + 4, kBigSize, big) == 0)
      << "drained download is not byte-exact";
  download.close();

  const int status = server_->stop(0, std::chrono::seconds(10));
  EXPECT_TRUE(exited_zero(status)) << describe_exit(status) << "\n" << server_->output();

  if (late >= 0) {
    std::string answer;
    const ReadEnd end = read_raw(late, answer, 1 << 20, Clock::now() + std::chrono::seconds(3));
    EXPECT_EQ(end, ReadEnd::kClosed);
    EXPECT_FALSE(answer.starts_with("HTTP/1.1 200")) << "served a connection made after SIGTERM";
    ::close(late);
  }
}

TEST_F(ShutdownTest, SigtermWhenIdleExitsZero) {
  const auto response = get(server_->port(), "/index.html");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  const int status = server_->stop(SIGTERM, std::chrono::seconds(5));
  EXPECT_TRUE(exited_zero(status)) << describe_exit(status) << "\n" << server_->output();
}

TEST_F(ShutdownTest, SigintExitsZero) {
  const int status = server_->stop(SIGINT, std::chrono::seconds(5));
  EXPECT_TRUE(exited_zero(status)) << describe_exit(status) << "\n" << server_->output();
}

// An idle keep-alive connection has nothing in flight; it must not hold the drain open.
TEST_F(ShutdownTest, SigtermClosesIdleKeepAliveConnections) {
  TestClient client(kLoopback, server_->port());
  const auto response = client.request(make_request("GET", "/index.html"));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  const auto start = Clock::now();
  const int status = server_->stop(SIGTERM, std::chrono::seconds(10));
  EXPECT_TRUE(exited_zero(status)) << describe_exit(status) << "\n" << server_->output();
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(5));
  EXPECT_TRUE(client.wait_closed(std::chrono::seconds(1)));
}

}  // namespace
}  // namespace hybrid::test
