// Black-box: nothing outside the document root is ever served, and special files cannot stall
// the server.
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/blackbox/blackbox_support.h"
#include "tests/support/server_process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_client.h"

namespace hybrid::test {
namespace {

constexpr std::string_view kSecret = "TOP-SECRET-5f0c2a-outside-the-root";
constexpr std::string_view kIndex = "<!DOCTYPE html><title>inside</title>\n";

// Layout: <tmp>/secret.txt and <tmp>/outside/secret.txt hold kSecret; <tmp>/root is served.
class SecurityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_.write("secret.txt", kSecret);
    dir_.write("outside/secret.txt", kSecret);
    dir_.write("root/index.html", kIndex);
    dir_.write("root/sub/file.txt", "sub file");
  }

  std::filesystem::path root() const { return dir_.path() / "root"; }

  void start(std::vector<std::string> extra = {}) {
    server_ = std::make_unique<ServerProcess>(root_args(root(), std::move(extra)));
    ASSERT_TRUE(server_->running());
  }

  std::uint16_t port() const { return server_->port(); }

  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
};

// RFC 9112 §3.2 / RFC 3986 §5.2.4: dot segments never climb above the root, however encoded.
TEST_F(SecurityTest, TraversalNeverLeavesTheRoot) {
  ASSERT_NO_FATAL_FAILURE(start());
  const std::vector<std::string> targets = {
      "/../secret.txt",
      "/../../secret.txt",
      "/sub/../../secret.txt",
      "/./../secret.txt",
      "/%2e%2e/secret.txt",
      "/%2E%2E/secret.txt",
      "/.%2e/secret.txt",
      "/..%2fsecret.txt",
      "/..%2Fsecret.txt",
      "/%2e%2e%2fsecret.txt",
      "/sub/%2e%2e/%2e%2e/secret.txt",
      "/..\\secret.txt",
      "/%5c..%5csecret.txt",
      "/..%5csecret.txt",
      "/%2e%2e%5csecret.txt",
      "/../outside/secret.txt",
      "/%2e%2e/outside/secret.txt",
      "/index.html%00",
      "/%00/../secret.txt",
      "/..%00/secret.txt",
      "/%252e%252e/secret.txt",
      "/%252e%252e%252fsecret.txt",
  };
  for (const std::string& target : targets) {
    SCOPED_TRACE(target);
    const auto response = get(port(), target);
    ASSERT_TRUE(response) << "no response";
    EXPECT_TRUE(response->status == 400 || response->status == 404) << response->status;
    EXPECT_EQ(response->body.find(kSecret), std::string::npos) << "leaked a file outside the root";
  }
  // Absolute-form targets go through the same normalisation.
  const auto response =
      fetch(port(), "GET http://test/../secret.txt HTTP/1.1\r\nHost: test\r\n\r\n");
  ASSERT_TRUE(response);
  EXPECT_TRUE(response->status == 400 || response->status == 404) << response->status;
  EXPECT_EQ(response->body.find(kSecret), std::string::npos);
}

TEST_F(SecurityTest, DoubleEncodedDotsAreALiteralName) {
  ASSERT_NO_FATAL_FAILURE(start());
  const auto response = get(port(), "/%252e%252e/secret.txt");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 404);
}

TEST_F(SecurityTest, DoubleEncodedDotsReachALiteralDirectory) {
  dir_.write("root/%2e%2e/secret.txt", "a literal directory named %2e%2e");
  ASSERT_NO_FATAL_FAILURE(start());
  const auto response = get(port(), "/%252e%252e/secret.txt");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "a literal directory named %2e%2e");
}

TEST_F(SecurityTest, SymlinkLeavingTheRootIsNotServed) {
  std::filesystem::create_symlink("../secret.txt", root() / "leak.txt");
  std::filesystem::create_symlink(dir_.path() / "secret.txt", root() / "leak-absolute.txt");
  std::filesystem::create_directory_symlink("../outside", root() / "outdir");
  ASSERT_NO_FATAL_FAILURE(start());
  for (const char* target : {"/leak.txt", "/leak-absolute.txt", "/outdir/secret.txt"}) {
    SCOPED_TRACE(target);
    const auto response = get(port(), target);
    ASSERT_TRUE(response);
    EXPECT_TRUE(response->status == 403 || response->status == 404) << response->status;
    EXPECT_EQ(response->body.find(kSecret), std::string::npos) << "followed a symlink out";
  }
}

TEST_F(SecurityTest, SymlinkInsideTheRootIsServed) {
  std::filesystem::create_symlink("index.html", root() / "alias.html");
  std::filesystem::create_directory_symlink("sub", root() / "subalias");
  ASSERT_NO_FATAL_FAILURE(start());
  auto response = get(port(), "/alias.html");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, kIndex);
  response = get(port(), "/subalias/file.txt");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "sub file");
}

TEST_F(SecurityTest, SymlinkLoopIsAnError) {
  std::filesystem::create_symlink("loop", root() / "loop");
  ASSERT_NO_FATAL_FAILURE(start());
  const auto response = get(port(), "/loop");
  ASSERT_TRUE(response);
  EXPECT_TRUE(response->status == 403 || response->status == 404) << response->status;
  // Still alive.
  const auto next = get(port(), "/index.html");
  ASSERT_TRUE(next);
  EXPECT_EQ(next->status, 200);
}

// open() on a FIFO blocks until a writer appears: a server that opens one in a worker loses
// that worker forever. More requests than workers make that visible.
TEST_F(SecurityTest, FifoIsNotServedAndDoesNotStallTheServer) {
  ASSERT_EQ(::mkfifo((root() / "pipe.txt").c_str(), 0644), 0);
  ASSERT_NO_FATAL_FAILURE(start({"--threads", "2"}));

  std::vector<std::unique_ptr<TestClient>> clients;
  for (int i = 0; i < 4; ++i) {
    clients.push_back(std::make_unique<TestClient>(kLoopback, port()));
    ASSERT_TRUE(clients.back()->send(make_request("GET", "/pipe.txt")));
  }
  for (auto& client : clients) {
    const auto response = client->read_response(false, std::chrono::seconds(2));
    ASSERT_TRUE(response) << "no answer for a FIFO within 2 s";
    EXPECT_TRUE(response->status == 403 || response->status == 404) << response->status;
  }
  TestClient other(kLoopback, port());
  ASSERT_TRUE(other.send(make_request("GET", "/index.html")));
  const auto response = other.read_response(false, std::chrono::seconds(3));
  ASSERT_TRUE(response) << "server stalled after FIFO requests";
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, kIndex);
}

}  // namespace
}  // namespace hybrid::test
