// SIGHUP reopens the access log, as logrotate's postrotate expects: the file is renamed under a
// running, loaded server, and every answered request still has its line in one of the two files.
#include <signal.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "tests/blackbox/blackbox_support.h"
#include "tests/support/temp_dir.h"

namespace hybrid::test {
namespace {

std::size_t count_lines(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::size_t lines = 0;
  for (std::string line; std::getline(in, line);) ++lines;
  return lines;
}

TEST(LogRotationTest, SighupReopensTheLogAndNoLineIsLost) {
  TempDir root;
  root.write("f.txt", "rotate me");
  TempDir logs;
  const std::filesystem::path log = logs.path() / "access.log";
  const std::filesystem::path rotated = logs.path() / "access.log.1";
  ServerProcess server(root_args(root.path(), {"--access-log", log.string(), "--threads", "2"}));
  ASSERT_TRUE(server.running());

  // Two clients keep requests coming, on keep-alive connections, across the rotation.
  std::atomic<bool> stop{false};
  std::atomic<std::size_t> answered{0};
  std::atomic<std::size_t> failed{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < 2; ++c) {
    clients.emplace_back([&] {
      TestClient client(kLoopback, server.port());
      while (!stop.load()) {
        const auto response = client.request(make_request("GET", "/f.txt"));
        if (response && response->status == 200) {
          answered.fetch_add(1);
        } else {
          failed.fetch_add(1);
          return;
        }
      }
    });
  }
  auto wait_for_answers = [&](std::size_t at_least) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (answered.load() < at_least && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  };
  wait_for_answers(200);
  std::filesystem::rename(log, rotated);
  const std::size_t before_signal = answered.load();
  ASSERT_EQ(::kill(server.pid(), SIGHUP), 0);
  wait_for_answers(before_signal + 400);
  stop.store(true);
  for (std::thread& client : clients) client.join();
  ASSERT_EQ(failed.load(), 0u) << "a request failed during the rotation";

  // SIGTERM drains and flushes every worker's buffered lines.
  ASSERT_TRUE(exited_zero(server.stop(SIGTERM))) << server.output();
  ASSERT_TRUE(std::filesystem::exists(log)) << "SIGHUP did not reopen the log's path";
  const std::size_t old_lines = count_lines(rotated);
  const std::size_t new_lines = count_lines(log);
  EXPECT_GT(old_lines, 0u);
  EXPECT_GT(new_lines, 0u) << "nothing was written to the reopened file";
  EXPECT_EQ(old_lines + new_lines, answered.load())
      << old_lines << " lines in the rotated file, " << new_lines << " in the new one";
}

TEST(LogRotationTest, SighupWithoutAnAccessLogChangesNothing) {
  TempDir root;
  root.write("f.txt", "still here");
  ServerProcess server(root_args(root.path()));
  ASSERT_TRUE(server.running());
  ASSERT_EQ(::kill(server.pid(), SIGHUP), 0);
  const auto response = get(server.port(), "/f.txt");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->body, "still here");
  EXPECT_TRUE(exited_zero(server.stop(SIGTERM))) << server.output();
}

}  // namespace
}  // namespace hybrid::test
