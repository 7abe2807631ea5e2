#include "hybrid/server/unique_fd.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

namespace hybrid::server {
namespace {

int open_null() {
  const int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  EXPECT_GE(fd, 0);
  return fd;
}

bool is_open(int fd) {
  return ::fcntl(fd, F_GETFD) != -1;
}

TEST(UniqueFd, ClosesWhenItGoesOutOfScope) {
  const int fd = open_null();
  {
    UniqueFd owned(fd);
    EXPECT_EQ(owned.get(), fd);
    EXPECT_TRUE(owned);
  }
  EXPECT_FALSE(is_open(fd));
  EXPECT_EQ(errno, EBADF);
}

TEST(UniqueFd, EmptyHoldsNothing) {
  UniqueFd empty;
  EXPECT_FALSE(empty);
  EXPECT_EQ(empty.get(), -1);
  EXPECT_EQ(empty.release(), -1);
}

TEST(UniqueFd, MovingPassesOwnershipOn) {
  const int fd = open_null();
  UniqueFd first(fd);
  UniqueFd second(std::move(first));
  EXPECT_FALSE(first);  // NOLINT(bugprone-use-after-move): moved-from is empty by contract
  EXPECT_EQ(second.get(), fd);
  UniqueFd third;
  third = std::move(second);
  EXPECT_EQ(third.get(), fd);
  EXPECT_TRUE(is_open(fd));
  third = UniqueFd();
  EXPECT_FALSE(is_open(fd));
}

TEST(UniqueFd, ResetClosesTheOldDescriptor) {
  const int old_fd = open_null();
  const int new_fd = open_null();
  UniqueFd owned(old_fd);
  owned.reset(new_fd);
  EXPECT_FALSE(is_open(old_fd));
  EXPECT_TRUE(is_open(new_fd));
  owned.reset();
  EXPECT_FALSE(is_open(new_fd));
  EXPECT_FALSE(owned);
}

TEST(UniqueFd, ReleaseGivesItUpWithoutClosing) {
  const int fd = open_null();
  {
    UniqueFd owned(fd);
    EXPECT_EQ(owned.release(), fd);
    EXPECT_FALSE(owned);
  }
  EXPECT_TRUE(is_open(fd));
  ::close(fd);
}

}  // namespace
}  // namespace hybrid::server
