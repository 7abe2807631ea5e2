#include "hybrid/http/file_version.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdio>
#include <string>

#include "tests/support/temp_dir.h"

namespace hybrid::http {
namespace {

struct stat stat_of(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st;
}

void set_mtime(const std::string& path, time_t seconds, long nanoseconds) {
  const struct timespec times[2] = {{seconds, nanoseconds}, {seconds, nanoseconds}};
  ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), times, 0), 0);
}

TEST(FileVersionTest, TakesDeviceInodeSizeAndMtimeInNanoseconds) {
  struct stat st {};
  st.st_dev = 7;
  st.st_ino = 42;
  st.st_size = 1024;
  st.st_mtim = {1'700'000'000, 123'456'789};
  const FileVersion version = FileVersion::of(st);
  EXPECT_EQ(version.device, dev_t{7});
  EXPECT_EQ(version.inode, ino_t{42});
  EXPECT_EQ(version.size, off_t{1024});
  EXPECT_EQ(version.mtime_ns, 1'700'000'000'123'456'789);
}

TEST(FileVersionTest, AnUnchangedFileIsTheSameVersionWithTheSameHash) {
  test::TempDir root;
  const std::string path = root.write("page.html", "<p>hello</p>");
  const FileVersion first = FileVersion::of(stat_of(path));
  const FileVersion again = FileVersion::of(stat_of(path));
  EXPECT_EQ(first, again);
  EXPECT_EQ(FileVersionHash{}(first), FileVersionHash{}(again));
}

TEST(FileVersionTest, EveryKindOfChangeMakesAnotherVersion) {
  test::TempDir root;
  const std::string path = root.write("page.html", "<p>hello</p>");
  set_mtime(path, 1'700'000'000, 0);
  const FileVersion original = FileVersion::of(stat_of(path));

  set_mtime(path, 1'700'000'000, 1);  // one nanosecond later, same size
  EXPECT_NE(FileVersion::of(stat_of(path)), original) << "mtime nanoseconds";

  root.write("page.html", "<p>hello!</p>");
  set_mtime(path, 1'700'000'000, 0);  // same mtime, other size
  EXPECT_NE(FileVersion::of(stat_of(path)), original) << "size";

  // Replaced by rename with the same size and mtime: only the inode tells.
  const std::string replacement = root.write("page.html.new", "<p>HELLO</p>");
  set_mtime(replacement, 1'700'000'000, 0);
  ASSERT_EQ(std::rename(replacement.c_str(), path.c_str()), 0);
  const FileVersion renamed = FileVersion::of(stat_of(path));
  EXPECT_EQ(renamed.size, original.size);
  EXPECT_EQ(renamed.mtime_ns, original.mtime_ns);
  EXPECT_NE(renamed, original) << "inode";
}

}  // namespace
}  // namespace hybrid::http
