#include "hybrid/server/small_file_cache.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cstddef>
#include <ctime>
#include <string>

#include "hybrid/server/file_responder.h"
#include "tests/support/temp_dir.h"

namespace hybrid::server {
namespace {

class SmallFileCacheTest : public testing::Test {
 protected:
  void SetUp() override {
    root_fd_ = ::open(dir_.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    ASSERT_GE(root_fd_, 0);
  }
  void TearDown() override { ::close(root_fd_); }

  // Writes a file whose mtime is an hour old, so it is not "too recent to cache".
  void write_old(const std::string& name, const std::string& content, long age_seconds = 3600) {
    auto path = dir_.write(name, content);
    struct timespec times[2] = {{::time(nullptr) - age_seconds, 0},
                                {::time(nullptr) - age_seconds, 0}};
    ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), times, 0), 0);
  }

  // A responder that keeps files of up to 1 KiB in its own cache of `budget` bytes.
  struct CachedFiles {
    CachedFiles(int root_fd, std::size_t budget, FileChangeMonitor* monitor = nullptr)
        : cache(budget, monitor), files(root_fd, 1024) {
      files.use_cache(&cache, 1024);
    }
    SmallFileCache cache;
    FileResponder files;
  };

  FileChoice choose(CachedFiles& cached, const char* target) {
    FileChoice choice = cached.files.choose(target, location_);
    choice.fd.reset();
    return choice;
  }

  test::TempDir dir_;
  int root_fd_ = -1;
  std::array<char, 1024> location_{};
};

TEST_F(SmallFileCacheTest, SecondRequestIsServedFromMemoryWithTheSameBytes) {
  write_old("a.txt", "hello");
  CachedFiles cached(root_fd_, 1 << 20);
  FileChoice first = choose(cached, "/a.txt");
  ASSERT_EQ(first.status, http::Status::kOk);
  ASSERT_NE(first.content, nullptr);
  EXPECT_EQ(*first.content, "hello");
  FileChoice second = choose(cached, "/a.txt");
  ASSERT_NE(second.content, nullptr);
  EXPECT_EQ(second.content, first.content);  // the same cache entry
  EXPECT_EQ(second.fd.get(), -1);
}

TEST_F(SmallFileCacheTest, AChangedFileIsNeverServedStale) {
  write_old("a.txt", "hello");
  CachedFiles cached(root_fd_, 1 << 20);
  ASSERT_NE(choose(cached, "/a.txt").content, nullptr);
  write_old("a.txt", "HELLO", 1800);  // same size, a different mtime
  FileChoice after = choose(cached, "/a.txt");
  ASSERT_NE(after.content, nullptr);
  EXPECT_EQ(*after.content, "HELLO");
  ASSERT_EQ(::unlink((dir_.path() / "a.txt").c_str()), 0);
  EXPECT_EQ(choose(cached, "/a.txt").status, http::Status::kNotFound);
}

TEST_F(SmallFileCacheTest, DirectoryIndexIsCachedUnderTheRequestPath) {
  write_old("d/index.html", "<p>index</p>");
  CachedFiles cached(root_fd_, 1 << 20);
  ASSERT_NE(choose(cached, "/d/").content, nullptr);
  FileChoice again = choose(cached, "/d/");
  ASSERT_NE(again.content, nullptr);
  EXPECT_EQ(*again.content, "<p>index</p>");
  EXPECT_EQ(again.content_type, "text/html; charset=utf-8");
  EXPECT_EQ(choose(cached, "/d").status,
            http::Status::kMovedPermanently);  // not the same key
}

TEST_F(SmallFileCacheTest, FilesChangedInTheLastSecondsAreNotCached) {
  dir_.write("fresh.txt", "just written");
  CachedFiles cached(root_fd_, 1 << 20);
  FileChoice choice = cached.files.choose("/fresh.txt", location_);
  EXPECT_EQ(choice.status, http::Status::kOk);
  EXPECT_EQ(choice.content, nullptr);  // served from the fd
  EXPECT_GE(choice.fd.get(), 0);
}

TEST_F(SmallFileCacheTest, LargerFilesAndOverBudgetEntriesStayOnDisk) {
  write_old("big.txt", std::string(2048, 'x'));
  write_old("small.txt", "s");
  CachedFiles cached(root_fd_, 64);  // too small for any entry with its bookkeeping
  EXPECT_EQ(choose(cached, "/big.txt").content, nullptr);    // over the per-file limit
  EXPECT_EQ(choose(cached, "/small.txt").content, nullptr);  // over the budget
}

TEST_F(SmallFileCacheTest, AWatchedEntryIsRevalidatedOnlyAfterTheMonitorSawAChange) {
  write_old("w.txt", "watched");
  FileChangeMonitor monitor;
  ASSERT_TRUE(monitor.enabled());
  CachedFiles cached(root_fd_, 1 << 20, &monitor);
  ASSERT_NE(choose(cached, "/w.txt").content, nullptr);

  write_old("w.txt", "WATCHED", 1800);  // same size, another mtime
  // Until the reactor hands the monitor its events, a hit takes no stat: the old snapshot
  // (which proves the hit skipped the stat; within the one-second recheck bound).
  FileChoice unseen = choose(cached, "/w.txt");
  ASSERT_NE(unseen.content, nullptr);
  EXPECT_EQ(*unseen.content, "watched");

  monitor.on_readable();
  FileChoice seen = choose(cached, "/w.txt");
  ASSERT_NE(seen.content, nullptr);
  EXPECT_EQ(*seen.content, "WATCHED");
}

TEST_F(SmallFileCacheTest, AWatchedEntryIsStillStatAtLeastOnceASecond) {
  write_old("w.txt", "watched");
  FileChangeMonitor monitor;
  ASSERT_TRUE(monitor.enabled());
  CachedFiles cached(root_fd_, 1 << 20, &monitor);
  ASSERT_NE(choose(cached, "/w.txt").content, nullptr);
  write_old("w.txt", "WATCHED", 1800);  // as if inotify had missed it: on_readable() never runs
  ::usleep(1'100'000);
  FileChoice later = choose(cached, "/w.txt");
  ASSERT_NE(later.content, nullptr);
  EXPECT_EQ(*later.content, "WATCHED");
}

TEST_F(SmallFileCacheTest, FilesWithOtherHardLinksAreStatOnEveryHit) {
  write_old("linked.txt", "linked");
  ASSERT_EQ(::link((dir_.path() / "linked.txt").c_str(), (dir_.path() / "other.txt").c_str()), 0);
  FileChangeMonitor monitor;
  CachedFiles cached(root_fd_, 1 << 20, &monitor);
  ASSERT_NE(choose(cached, "/linked.txt").content, nullptr);
  write_old("linked.txt", "LINKED", 1800);  // rewritten in place: both names see it
  FileChoice after = choose(cached, "/linked.txt");
  ASSERT_NE(after.content, nullptr);
  EXPECT_EQ(*after.content, "LINKED");
}

TEST_F(SmallFileCacheTest, AnotherRootUnderAReusedDescriptorNumberMissesTheOldEntries) {
  // A replaced document root is closed, and the next directory opened may get its number: the
  // entries cached below the old root must not answer for the new one.
  write_old("w.txt", "old");
  test::TempDir other;
  auto path = other.write("w.txt", "new");
  struct timespec times[2] = {{::time(nullptr) - 3600, 0}, {::time(nullptr) - 3600, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), times, 0), 0);
  FileChangeMonitor monitor;
  ASSERT_TRUE(monitor.enabled());
  int first = ::open(dir_.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  ASSERT_GE(first, 0);
  CachedFiles cached(first, 1 << 20, &monitor);
  FileChoice choice = cached.files.choose({first, new_root_id()}, "/w.txt", location_);
  ASSERT_NE(choice.content, nullptr);
  ASSERT_EQ(*choice.content, "old");

  ::close(first);
  int second = ::open(other.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  ASSERT_EQ(second, first);  // the number is reused
  choice = cached.files.choose({second, new_root_id()}, "/w.txt", location_);
  choice.fd.reset();
  ASSERT_EQ(choice.status, http::Status::kOk);
  EXPECT_EQ(choice.content == nullptr ? "(from disk)" : *choice.content, "new");
  ::close(second);
}

}  // namespace
}  // namespace hybrid::server
