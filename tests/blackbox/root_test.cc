// The document root disappearing and coming back while hybridd runs (a deploy that swaps the
// directory, an unmounted disk): 500s while it is gone, a log line, and recovery without restart.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include "tests/blackbox/blackbox_support.h"
#include "tests/blackbox/process_probe.h"
#include "tests/support/temp_dir.h"

namespace hybrid::test {
namespace {

// Polls `fetch_status` until it returns `want` or `timeout` passes; the last status seen.
template <typename Fetch>
int await_status(Fetch fetch_status, int want, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    status = fetch_status();
    if (status == want) return status;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return status;
}

TEST(RootTest, MissingRootIsAnswered500AndRecoveredWhenItReturns) {
  TempDir dir;
  dir.write("site/a.txt", "first");
  const auto site = dir.path() / "site";
  ServerProcess server(root_args(site));
  ASSERT_TRUE(server.running());
  auto status_of_a = [&] {
    auto response = get(server.port(), "/a.txt");
    return response ? response->status : 0;
  };
  ASSERT_EQ(status_of_a(), 200);

  std::filesystem::rename(site, dir.path() / "old-site");
  EXPECT_EQ(await_status(status_of_a, 500, std::chrono::seconds(5)), 500);

  dir.write("site/a.txt", "second");
  EXPECT_EQ(await_status(status_of_a, 200, std::chrono::seconds(5)), 200);
  auto response = get(server.port(), "/a.txt");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->body, "second");  // the new directory, not the old one kept open

  EXPECT_EQ(WEXITSTATUS(server.stop(SIGTERM)), 0);
  EXPECT_NE(server.output().find("is gone"), std::string::npos) << server.output();
  EXPECT_NE(server.output().find("is back"), std::string::npos) << server.output();
}

TEST(RootTest, SwappedRootDirectoryIsPickedUp) {
  TempDir dir;
  dir.write("v1/a.txt", "one");
  dir.write("v2/a.txt", "two");
  const auto live = dir.path() / "live";
  std::filesystem::create_directory_symlink(dir.path() / "v1", live);
  ServerProcess server(root_args(live));
  ASSERT_TRUE(server.running());
  auto body_of_a = [&] {
    auto response = get(server.port(), "/a.txt");
    return response ? response->body : std::string();
  };
  ASSERT_EQ(body_of_a(), "one");
  // An atomic deploy: a new symlink renamed over the old one.
  std::filesystem::create_directory_symlink(dir.path() / "v2", dir.path() / "live.new");
  std::filesystem::rename(dir.path() / "live.new", live);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (body_of_a() != "two" && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(body_of_a(), "two");
}

TEST(RootTest, EverySwapClosesTheReplacedDirectory) {
  // Ten deploys by symlink swap. Each replaced directory must be closed once no worker uses it
  // (here: the one worker's next request), not kept until shutdown.
  constexpr int kSwaps = 10;
  TempDir dir;
  const auto live = dir.path() / "live";
  dir.write("v0/a.txt", "v0");
  std::filesystem::create_directory_symlink(dir.path() / "v0", live);
  ServerProcess server(root_args(live, {"--threads", "1"}));
  ASSERT_TRUE(server.running());
  auto body_of_a = [&] {
    auto response = get(server.port(), "/a.txt");
    return response ? response->body : std::string();
  };
  ASSERT_EQ(body_of_a(), "v0");
  const int before = settled_fds(server.pid());

  for (int swap = 1; swap <= kSwaps; ++swap) {
    const std::string version = "v" + std::to_string(swap);
    dir.write(version + "/a.txt", version);
    std::filesystem::create_directory_symlink(dir.path() / version, dir.path() / "live.new");
    std::filesystem::rename(dir.path() / "live.new", live);
    ASSERT_TRUE(eventually([&] { return body_of_a() == version; }, std::chrono::seconds(5)))
        << "swap " << swap << " was not picked up";
  }

  const int after = settled_fds(server.pid());
  EXPECT_LT(after - before, 2) << kSwaps << " swaps: " << before << " -> " << after
                               << " descriptors; " << describe_fds(server.pid());
  // None of the replaced directories is still open.
  int replaced_open = 0;
  for (const auto& entry :
       std::filesystem::directory_iterator("/proc/" + std::to_string(server.pid()) + "/fd")) {
    std::error_code error;
    const std::string target = std::filesystem::read_symlink(entry.path(), error).string();
    for (int version = 0; version < kSwaps && !error; ++version) {
      if (target == (dir.path() / ("v" + std::to_string(version))).string()) ++replaced_open;
    }
  }
  EXPECT_EQ(replaced_open, 0);
  EXPECT_EQ(body_of_a(), "v" + std::to_string(kSwaps));
}

}  // namespace
}  // namespace hybrid::test
