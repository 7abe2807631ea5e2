#include "hybrid/server/document_root.h"

#include <fcntl.h>
#include <gtest/gtest.h>

#include "tests/support/temp_dir.h"

namespace hybrid::server {
namespace {

bool is_open(int fd) {
  return ::fcntl(fd, F_GETFD) != -1;
}

TEST(DocumentRootTest, EveryOpenedRootGetsItsOwnId) {
  test::TempDir dir;
  auto first = DocumentRoot::open(dir.path());
  auto second = DocumentRoot::open(dir.path());
  ASSERT_TRUE(first && second);
  EXPECT_NE(first->dir().id, 0u);
  EXPECT_NE(first->dir().id, second->dir().id);
  EXPECT_EQ(DocumentRoot::open(dir.path() / "missing"), nullptr);
}

TEST(DocumentRootTest, AReplacedRootClosesWhenTheLastViewMovesOn) {
  test::TempDir dir;
  SharedRoot shared;
  RootView worker_a(shared);
  RootView worker_b(shared);
  EXPECT_EQ(worker_a.current().fd, -1);  // nothing published yet

  shared.publish(DocumentRoot::open(dir.path()));
  const RootDir old_root = worker_a.current();
  ASSERT_GE(old_root.fd, 0);
  EXPECT_EQ(worker_b.current().id, old_root.id);

  shared.publish(DocumentRoot::open(dir.path()));
  EXPECT_TRUE(is_open(old_root.fd));  // both workers still hold it
  const RootDir new_root = worker_a.current();
  EXPECT_NE(new_root.id, old_root.id);
  EXPECT_TRUE(is_open(old_root.fd));  // worker_b still does
  EXPECT_EQ(worker_b.current().id, new_root.id);
  EXPECT_FALSE(is_open(old_root.fd));

  shared.publish(nullptr);  // the root went missing
  EXPECT_EQ(worker_a.current().fd, -1);
  EXPECT_TRUE(is_open(new_root.fd));
  EXPECT_EQ(worker_b.current().fd, -1);
  EXPECT_FALSE(is_open(new_root.fd));
}

}  // namespace
}  // namespace hybrid::server
