// Black-box: connection persistence, pipelining, slow and rude clients.
#include <sys/socket.h>

#include <chrono>
#include <csignal>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "tests/blackbox/blackbox_support.h"
#include "tests/support/server_process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_client.h"

namespace hybrid::test {
namespace {

constexpr std::size_t kBigSize = 20 * 1024 * 1024;

// Ten small files whose contents differ in size and bytes, so a reordered response shows.
std::string numbered_content(int i) {
  return "file number " + std::to_string(i) + " " +
         std::string(static_cast<std::size_t>(i) * 37, 'x') + "\n";
}

class ConnectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (int i = 0; i < 10; ++i) dir_.write("f" + std::to_string(i) + ".txt", numbered_content(i));
    server_ = std::make_unique<ServerProcess>(root_args(dir_.path()));
    ASSERT_TRUE(server_->running());
  }

  std::uint16_t port() const { return server_->port(); }

  void write_big_file() {
    big_ = random_bytes(kBigSize, 7);
    dir_.write("big.bin", big_);
  }

  // The server answers a fresh connection correctly (it survived whatever came before).
  void expect_healthy() {
    const auto response = get(port(), "/f3.txt");
    ASSERT_TRUE(response) << "server did not answer";
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->body, numbered_content(3));
  }

  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
  std::string big_;
};

TEST_F(ConnectionTest, Http10ClosesByDefault) {
  TestClient client(kLoopback, port());
  ASSERT_TRUE(client.send("GET /f1.txt HTTP/1.0\r\n\r\n"));
  const auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, numbered_content(1));
  EXPECT_TRUE(client.wait_closed(std::chrono::seconds(3)));
}

TEST_F(ConnectionTest, Http10KeepAliveIsHonoured) {
  TestClient client(kLoopback, port());
  for (int i = 0; i < 3; ++i) {
    SCOPED_TRACE(i);
    const auto response = client.request("GET /f" + std::to_string(i) +
                                         ".txt HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->body, numbered_content(i));
    EXPECT_NE(response->header("Connection").find("keep-alive"), std::string::npos)
        << "an HTTP/1.0 client needs Connection: keep-alive to know the connection persists";
  }
}

TEST_F(ConnectionTest, Http11KeepsTheConnectionOpen) {
  TestClient client(kLoopback, port());
  for (int i = 0; i < 10; ++i) {
    SCOPED_TRACE(i);
    const auto response = client.request(make_request("GET", "/f" + std::to_string(i) + ".txt"));
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->body, numbered_content(i));
  }
}

TEST_F(ConnectionTest, ConnectionCloseIsHonoured) {
  TestClient client(kLoopback, port());
  const auto response = client.request(make_request("GET", "/f2.txt", "Connection: close\r\n"));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, numbered_content(2));
  EXPECT_NE(response->header("Connection").find("close"), std::string::npos);
  EXPECT_TRUE(client.wait_closed(std::chrono::seconds(3)));
}

TEST_F(ConnectionTest, PipelinedRequestsAreAnsweredInOrder) {
  std::string burst;
  for (int i = 0; i < 10; ++i) burst += make_request("GET", "/f" + std::to_string(i) + ".txt");
  TestClient client(kLoopback, port());
  ASSERT_TRUE(client.send(burst));
  for (int i = 0; i < 10; ++i) {
    SCOPED_TRACE(i);
    const auto response = client.read_response();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->body, numbered_content(i));
  }
}

TEST_F(ConnectionTest, PipelinedMixOfGetHeadAndMissing) {
  struct Step {
    std::string method;
    std::string target;
    int status;
    std::string body;
  };
  const std::vector<Step> steps = {
      {"GET", "/f0.txt", 200, numbered_content(0)},
      {"HEAD", "/f1.txt", 200, ""},
      {"GET", "/missing", 404, ""},
      {"GET", "/f2.txt", 200, numbered_content(2)},
      {"HEAD", "/missing", 404, ""},
      {"GET", "/f9.txt", 200, numbered_content(9)},
  };
  std::string burst;
  for (const Step& step : steps) burst += make_request(step.method, step.target);
  TestClient client(kLoopback, port());
  ASSERT_TRUE(client.send(burst));
  for (const Step& step : steps) {
    SCOPED_TRACE(step.method + " " + step.target);
    const auto response = client.read_response(step.method == "HEAD");
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, step.status);
    if (step.status == 200) {
      EXPECT_EQ(response->body, step.body);
    }
  }
}

TEST_F(ConnectionTest, RequestDribbledOneByteAtATimeIsAnswered) {
  const std::string request = make_request("GET", "/f5.txt", "User-Agent: dribbler\r\n");
  TestClient client(kLoopback, port());
  for (char byte : request) {
    ASSERT_TRUE(client.send(std::string_view(&byte, 1)));
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  const auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, numbered_content(5));
  // The connection is still usable after the slow request.
  const auto next = client.request(make_request("GET", "/f6.txt"));
  ASSERT_TRUE(next);
  EXPECT_EQ(next->body, numbered_content(6));
}

TEST_F(ConnectionTest, RequestSplitAcrossWritesAtTheHeadEnd) {
  TestClient client(kLoopback, port());
  ASSERT_TRUE(client.send("GET /f4.txt HTTP/1.1\r\nHost: test\r\n\r"));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_TRUE(client.send("\n"));
  const auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, numbered_content(4));
}

TEST_F(ConnectionTest, ClientClosingMidResponseDoesNotHurtTheServer) {
  write_big_file();
  for (int round = 0; round < 5; ++round) {
    TestClient client(kLoopback, port());
    ASSERT_TRUE(client.send(make_request("GET", "/big.bin")));
    // Read a little of the body, then hang up with most of it unsent.
    const int fd = client.fd();
    char chunk[65536];
    const ssize_t n = ::recv(fd, chunk, sizeof(chunk), 0);
    ASSERT_GT(n, 0);
    client.close();
  }
  ASSERT_NO_FATAL_FAILURE(expect_healthy());
  const auto response = get(port(), "/big.bin");
  ASSERT_TRUE(response);
  EXPECT_TRUE(response->body == big_) << "big file differs after aborted downloads";
  const int status = server_->stop(SIGTERM);
  EXPECT_TRUE(exited_zero(status)) << describe_exit(status) << "\n" << server_->output();
}

TEST_F(ConnectionTest, ClientResettingMidResponseDoesNotHurtTheServer) {
  write_big_file();
  for (int round = 0; round < 5; ++round) {
    TestClient client(kLoopback, port());
    ASSERT_TRUE(client.send(make_request("GET", "/big.bin")));
    char chunk[65536];
    ASSERT_GT(::recv(client.fd(), chunk, sizeof(chunk), 0), 0);
    const linger reset{1, 0};  // close() now sends RST instead of FIN
    ASSERT_EQ(::setsockopt(client.fd(), SOL_SOCKET, SO_LINGER, &reset, sizeof(reset)), 0);
    client.close();
  }
  ASSERT_NO_FATAL_FAILURE(expect_healthy());
  const int status = server_->stop(SIGTERM);
  EXPECT_TRUE(exited_zero(status)) << describe_exit(status) << "\n" << server_->output();
}

TEST_F(ConnectionTest, ClientResettingMidRequestDoesNotHurtTheServer) {
  for (int round = 0; round < 5; ++round) {
    TestClient client(kLoopback, port());
    ASSERT_TRUE(client.send("GET /f1.txt HTTP/1.1\r\nHost: te"));
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    const linger reset{1, 0};
    ASSERT_EQ(::setsockopt(client.fd(), SOL_SOCKET, SO_LINGER, &reset, sizeof(reset)), 0);
    client.close();
  }
  ASSERT_NO_FATAL_FAILURE(expect_healthy());
}

TEST_F(ConnectionTest, ClientHalfClosingAfterRequestStillGetsTheResponse) {
  TestClient client(kLoopback, port());
  ASSERT_TRUE(client.send(make_request("GET", "/f7.txt")));
  ASSERT_EQ(::shutdown(client.fd(), SHUT_WR), 0);
  const auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, numbered_content(7));
  // And then the close it waits for, at once: not at the reactor's next once-a-second
  // housekeeping, though no socket event follows the response.
  EXPECT_TRUE(client.wait_closed(std::chrono::milliseconds(600)));
}

// Slowloris: the head timeout runs from the first byte, so a byte every 100 ms cannot keep a
// connection alive past --header-timeout.
TEST(ConnectionTimeoutTest, DribblingHeadIsCutOffByTheHeaderTimeout) {
  TempDir dir;
  dir.write("index.html", "x");
  ServerProcess server(root_args(dir.path(), {"--header-timeout", "0.5"}));
  ASSERT_TRUE(server.running());
  TestClient client(kLoopback, server.port());
  ASSERT_TRUE(client.send("GET /index.html HTTP/1.1\r\nHost: test\r\nX-Slow: "));
  const auto start = std::chrono::steady_clock::now();
  bool closed = false;
  while (!closed && std::chrono::steady_clock::now() - start < std::chrono::seconds(4)) {
    closed = !client.send("a") || client.wait_closed(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(closed) << "a dribbling client held the connection for 4 s";
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(2500));
}

TEST(ConnectionTimeoutTest, IdleKeepAliveConnectionIsClosed) {
  TempDir dir;
  dir.write("index.html", "x");
  ServerProcess server(root_args(dir.path(), {"--keepalive-timeout", "0.5"}));
  ASSERT_TRUE(server.running());
  TestClient client(kLoopback, server.port());
  const auto response = client.request(make_request("GET", "/index.html"));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_TRUE(client.wait_closed(std::chrono::seconds(3)));
}

}  // namespace
}  // namespace hybrid::test
