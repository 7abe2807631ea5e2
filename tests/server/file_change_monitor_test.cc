#include "hybrid/server/file_change_monitor.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include "tests/support/temp_dir.h"

namespace hybrid::server {
namespace {

class FileChangeMonitorTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_.write("a/b/page.html", "<p>page</p>");
    dir_.write("top.txt", "top");
    root_fd_ = ::open(dir_.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    ASSERT_GE(root_fd_, 0);
    ASSERT_TRUE(monitor_.enabled());
  }
  void TearDown() override { ::close(root_fd_); }

  test::TempDir dir_;
  int root_fd_ = -1;
  FileChangeMonitor monitor_;
};

TEST_F(FileChangeMonitorTest, GenerationMovesOnlyAfterAChangeInAWatchedDirectory) {
  ASSERT_TRUE(monitor_.watch(root_fd_, "a/b/page.html"));
  const auto before = monitor_.generation();
  monitor_.on_readable();
  EXPECT_EQ(monitor_.generation(), before) << "no change yet";

  dir_.write("a/b/page.html", "<p>new</p>");
  EXPECT_EQ(monitor_.generation(), before) << "events are taken by on_readable(), not before";
  monitor_.on_readable();
  const auto after_write = monitor_.generation();
  EXPECT_NE(after_write, before);

  monitor_.on_readable();
  EXPECT_EQ(monitor_.generation(), after_write) << "each event counts once";
}

TEST_F(FileChangeMonitorTest, EveryDirectoryOnThePathIsWatched) {
  ASSERT_TRUE(monitor_.watch(root_fd_, "a/b/page.html"));
  // Renaming a parent changes what the path names without touching the file's own directory.
  auto generation = monitor_.generation();
  std::filesystem::rename(dir_.path() / "a", dir_.path() / "moved");
  monitor_.on_readable();
  EXPECT_NE(monitor_.generation(), generation);

  generation = monitor_.generation();
  std::filesystem::rename(dir_.path() / "moved/b", dir_.path() / "moved/c");
  monitor_.on_readable();
  EXPECT_NE(monitor_.generation(), generation);
}

TEST_F(FileChangeMonitorTest, AnUnwatchedDirectoryDoesNotMoveTheGeneration) {
  dir_.write("elsewhere/x.txt", "x");
  ASSERT_TRUE(monitor_.watch(root_fd_, "a/b/page.html"));
  // "elsewhere" is a new directory inside the watched root: its creation was an event.
  monitor_.on_readable();
  const auto generation = monitor_.generation();
  dir_.write("elsewhere/x.txt", "changed");
  monitor_.on_readable();
  EXPECT_EQ(monitor_.generation(), generation);
}

TEST_F(FileChangeMonitorTest, APathThroughASymlinkIsNotTrusted) {
  std::filesystem::create_directory_symlink(dir_.path() / "a", dir_.path() / "link");
  EXPECT_FALSE(monitor_.watch(root_fd_, "link/b/page.html"));
  std::filesystem::create_symlink(dir_.path() / "top.txt", dir_.path() / "top-link.txt");
  EXPECT_FALSE(monitor_.watch(root_fd_, "top-link.txt"));
  EXPECT_TRUE(monitor_.watch(root_fd_, "top.txt"));
}

TEST_F(FileChangeMonitorTest, TheWatchLimitIsHonoured) {
  FileChangeMonitor limited(2);
  ASSERT_TRUE(limited.enabled());
  EXPECT_TRUE(limited.watch(root_fd_, "top.txt"));         // the root: one watch
  EXPECT_FALSE(limited.watch(root_fd_, "a/b/page.html"));  // root, a, a/b: over the limit
}

}  // namespace
}  // namespace hybrid::server
