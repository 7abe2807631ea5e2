#include "hybrid/server/gzip_cache.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "tests/support/temp_dir.h"

namespace hybrid::server {
namespace {

class GzipCacheTest : public testing::Test {
 protected:
  int open_file(const std::string& content, struct stat& st) {
    auto path = dir_.write("f.txt", content);
    // An hour old: files changed in the last second or two are deliberately not cached.
    struct timespec old[2] = {{::time(nullptr) - 3600, 0}, {::time(nullptr) - 3600, 0}};
    EXPECT_EQ(::utimensat(AT_FDCWD, path.c_str(), old, 0), 0);
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    EXPECT_GE(fd, 0);
    EXPECT_EQ(::fstat(fd, &st), 0);
    return fd;
  }
  test::TempDir dir_;
};

std::string compressible(char fill) {
  return std::string(4096, fill) + "tail";
}

TEST_F(GzipCacheTest, CompressesOncePerFileVersion) {
  GzipCache cache(1 << 20);
  struct stat st {};
  int fd = open_file(compressible('a'), st);
  const std::string* first = cache.compressed(fd, st);
  ASSERT_NE(first, nullptr);
  EXPECT_LT(first->size(), 4100u);
  const std::string* again = cache.compressed(fd, st);
  EXPECT_EQ(again, first);
  EXPECT_EQ(cache.compressions().read(), 1u);

  struct stat changed = st;
  changed.st_mtim.tv_nsec += 1;  // a new version of the file is a new key
  cache.compressed(fd, changed);
  EXPECT_EQ(cache.compressions().read(), 2u);
  ::close(fd);
}

TEST_F(GzipCacheTest, StaysWithinItsBudget) {
  struct stat st {};
  int fd = open_file(compressible('b'), st);
  GzipCache probe(1 << 20);
  const std::size_t one = probe.compressed(fd, st)->size();

  GzipCache cache(one * 2);  // room for two entries
  for (int version = 0; version < 5; ++version) {
    struct stat key = st;
    key.st_mtim.tv_sec += version;
    ASSERT_NE(cache.compressed(fd, key), nullptr);
  }
  EXPECT_EQ(cache.compressions().read(), 5u);
  // The oldest versions were dropped: asking for the first again compresses it again.
  cache.compressed(fd, st);
  EXPECT_EQ(cache.compressions().read(), 6u);
  // The newest is still cached.
  struct stat newest = st;
  newest.st_mtim.tv_sec += 4;
  cache.compressed(fd, newest);
  EXPECT_EQ(cache.compressions().read(), 6u);
  ::close(fd);
}

TEST_F(GzipCacheTest, RecentlyChangedFilesAreCompressedButNotCached) {
  GzipCache cache(1 << 20);
  struct stat st {};
  int fd = open_file(compressible('c'), st);
  st.st_mtim.tv_sec = ::time(nullptr);  // changed just now: a same-tick rewrite is still possible
  ASSERT_NE(cache.compressed(fd, st), nullptr);
  ASSERT_NE(cache.compressed(fd, st), nullptr);
  EXPECT_EQ(cache.compressions().read(), 2u);
  ::close(fd);
}

TEST_F(GzipCacheTest, IncompressibleOrShrunkFilesAreNotServedCompressed) {
  GzipCache cache(1 << 20);
  struct stat st {};
  std::string noise;
  unsigned state = 12345;
  for (int i = 0; i < 4096; ++i) {
    state = state * 1103515245 + 12345;
    noise += static_cast<char>(state >> 16);
  }
  int fd = open_file(noise, st);
  EXPECT_EQ(cache.compressed(fd, st), nullptr);  // gzip would not make it smaller

  struct stat lying = st;
  lying.st_size += 100;  // the file is shorter than its stat says: it shrank
  EXPECT_EQ(cache.compressed(fd, lying), nullptr);
  ::close(fd);
}

}  // namespace
}  // namespace hybrid::server
