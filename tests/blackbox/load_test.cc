// Black-box: many concurrent clients all get correct answers, within a time bound.
#include <atomic>
#include <chrono>
#include <csignal>
#include <latch>
#include <memory>
#include <mutex>
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

using Clock = std::chrono::steady_clock;

constexpr int kFiles = 10;

// Sizes from a few bytes to 64 KiB, so some responses need several writes.
std::string file_content(int i) {
  return random_bytes(static_cast<std::size_t>(1) << (i + 7), static_cast<std::uint64_t>(i));
}

// Failures from worker threads, reported once on the main thread (the first few verbatim).
class FailureLog {
 public:
  void add(std::string what) {
    failures_.fetch_add(1);
    std::lock_guard lock(mutex_);
    if (first_.size() < 5) first_.push_back(std::move(what));
  }
  int count() const { return failures_.load(); }
  std::string summary() const {
    std::lock_guard lock(mutex_);
    std::string text;
    for (const std::string& line : first_) text += line + "\n";
    return text;
  }

 private:
  std::atomic<int> failures_{0};
  mutable std::mutex mutex_;
  std::vector<std::string> first_;
};

class LoadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (int i = 0; i < kFiles; ++i) {
      contents_.push_back(file_content(i));
      dir_.write("f" + std::to_string(i) + ".bin", contents_.back());
    }
    server_ = std::make_unique<ServerProcess>(root_args(dir_.path()));
    ASSERT_TRUE(server_->running());
  }

  // One GET checked against the file; false (and logged) when anything is off.
  bool check_get(TestClient& client, int file, std::string_view extra, FailureLog& log) {
    const auto response =
        client.request(make_request("GET", "/f" + std::to_string(file) + ".bin", extra));
    if (!response) {
      log.add("no response for f" + std::to_string(file));
      return false;
    }
    if (response->status != 200 || response->body != contents_[static_cast<std::size_t>(file)]) {
      log.add("f" + std::to_string(file) + ": status " + std::to_string(response->status) +
              ", body " + std::to_string(response->body.size()) + " bytes");
      return false;
    }
    return true;
  }

  TempDir dir_;
  std::vector<std::string> contents_;
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(LoadTest, HundredKeepAliveClientsFiftyRequestsEach) {
  constexpr int kClients = 100;
  constexpr int kRequests = 50;
  const auto deadline = Clock::now() + std::chrono::seconds(30);
  FailureLog log;
  std::atomic<int> served{0};
  std::latch start(kClients);
  std::vector<std::thread> threads;
  for (int c = 0; c < kClients; ++c) {
    threads.emplace_back([&, c] {
      TestClient client(kLoopback, server_->port());
      start.arrive_and_wait();  // all connections open before the first request
      for (int r = 0; r < kRequests && Clock::now() < deadline; ++r) {
        if (!check_get(client, (c + r) % kFiles, "", log)) return;
        served.fetch_add(1);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(served.load(), kClients * kRequests) << log.summary();
  EXPECT_EQ(log.count(), 0) << log.summary();
}

TEST_F(LoadTest, ManyShortConnections) {
  constexpr int kClients = 50;
  constexpr int kConnectionsEach = 10;
  const auto deadline = Clock::now() + std::chrono::seconds(20);
  FailureLog log;
  std::atomic<int> served{0};
  std::vector<std::thread> threads;
  for (int c = 0; c < kClients; ++c) {
    threads.emplace_back([&, c] {
      for (int r = 0; r < kConnectionsEach && Clock::now() < deadline; ++r) {
        TestClient client(kLoopback, server_->port());
        if (!check_get(client, (c * 3 + r) % kFiles, "Connection: close\r\n", log)) return;
        served.fetch_add(1);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(served.load(), kClients * kConnectionsEach) << log.summary();
}

TEST_F(LoadTest, ConcurrentLargeDownloadsAreByteExact) {
  constexpr std::size_t kSize = 8 * 1024 * 1024;
  const std::string big = random_bytes(kSize, 99);
  dir_.write("big.bin", big);
  constexpr int kClients = 6;
  std::atomic<int> exact{0};
  std::vector<std::thread> threads;
  for (int c = 0; c < kClients; ++c) {
    threads.emplace_back([&] {
      TestClient client(kLoopback, server_->port());
      if (!client.send(make_request("GET", "/big.bin"))) return;
      const auto response = client.read_response(false, std::chrono::seconds(20));
      if (response && response->status == 200 && response->body == big) exact.fetch_add(1);
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(exact.load(), kClients);
  const int status = server_->stop(SIGTERM);
  EXPECT_TRUE(exited_zero(status)) << describe_exit(status) << "\n" << server_->output();
}

}  // namespace
}  // namespace hybrid::test
