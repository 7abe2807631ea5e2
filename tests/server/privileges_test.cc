#include "hybrid/server/privileges.h"

#include <grp.h>
#include <sys/wait.h>
#include <unistd.h>

#include <stdexcept>

#include "gtest/gtest.h"

namespace hybrid::server {
namespace {

TEST(PrivilegesTest, FindsUsersInThePasswordDatabase) {
  const auto root = find_user("root");
  ASSERT_TRUE(root);
  EXPECT_EQ(root->name, "root");
  EXPECT_EQ(root->uid, 0u);
  EXPECT_EQ(root->gid, 0u);
  EXPECT_FALSE(find_user("no-such-user-hybridd"));
  EXPECT_FALSE(find_user(""));
}

TEST(PrivilegesTest, PrivilegedPortsAreOneTo1023) {
  EXPECT_FALSE(is_privileged_port(0));  // ephemeral: the kernel picks one above 1023
  EXPECT_TRUE(is_privileged_port(1));
  EXPECT_TRUE(is_privileged_port(80));
  EXPECT_TRUE(is_privileged_port(1023));
  EXPECT_FALSE(is_privileged_port(1024));
  EXPECT_FALSE(is_privileged_port(8080));
}

TEST(PrivilegesTest, RefusesToDropToRoot) {
  EXPECT_THROW(drop_privileges(UserAccount{"root", 0, 0}), std::invalid_argument);
}

// Dropping cannot be undone, so it happens in a child; the exit code says which check failed.
TEST(PrivilegesTest, DropsEveryIdAndRootCannotBeRegained) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to drop it (the VM and CI run as root)";
  const auto nobody = find_user("nobody");
  ASSERT_TRUE(nobody) << "no user 'nobody' on this machine";
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    const gid_t root_group = 0;  // as a root login shell has it, so that dropping must shed it
    if (::setgroups(1, &root_group) != 0) ::_exit(5);
    try {
      drop_privileges(*nobody);
    } catch (...) {
      ::_exit(1);
    }
    uid_t real = 0, effective = 0, saved = 0;
    ::getresuid(&real, &effective, &saved);
    if (real != nobody->uid || effective != nobody->uid || saved != nobody->uid) ::_exit(2);
    gid_t groups[64];
    const int count = ::getgroups(64, groups);
    for (int i = 0; i < count; ++i) {
      if (groups[i] == 0) ::_exit(3);
    }
    if (::setuid(0) == 0 || ::seteuid(0) == 0) ::_exit(4);
    ::_exit(0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "1: drop_privileges threw, 2: a uid is left, 3: group 0 "
                                       "is left, 4: root came back, 5: setgroups";
}

}  // namespace
}  // namespace hybrid::server
