#include "hybrid/server/privileges.h"

#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>
#include <system_error>
#include <vector>

namespace hybrid::server {

namespace {

[[noreturn]] void fail(int error, const std::string& what) {
  throw std::system_error(error, std::generic_category(), what);
}

// Whether the calling thread holds any permitted or effective capability. glibc has no wrapper
// without libcap; the raw call with version 3 reads both 32-bit halves of each set.
bool holds_capabilities() {
  __user_cap_header_struct header{};
  header.version = _LINUX_CAPABILITY_VERSION_3;
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3]{};
  if (::syscall(SYS_capget, &header, data) != 0) fail(errno, "capget");
  for (const auto& half : data) {
    if (half.permitted != 0 || half.effective != 0) return true;
  }
  return false;
}

}  // namespace

std::optional<UserAccount> find_user(const std::string& name) {
  long size_hint = ::sysconf(_SC_GETPW_R_SIZE_MAX);
  std::vector<char> buffer(size_hint > 0 ? static_cast<std::size_t>(size_hint) : 16384);
  for (;;) {
    passwd entry{};
    passwd* found = nullptr;
    int error = ::getpwnam_r(name.c_str(), &entry, buffer.data(), buffer.size(), &found);
    if (error == ERANGE && buffer.size() < (1u << 20)) {
      buffer.resize(buffer.size() * 2);
      continue;
    }
    if (found != nullptr) return UserAccount{name, entry.pw_uid, entry.pw_gid};
    // getpwnam_r(3): "not found" may be 0 or one of these, depending on the NSS module.
    if (error == 0 || error == ENOENT || error == ESRCH) return std::nullopt;
    fail(error, "looking up user '" + name + "'");
  }
}

void drop_privileges(const UserAccount& user) {
  if (user.uid == 0) throw std::invalid_argument("user '" + user.name + "' is root");
  const std::string target = " for user '" + user.name + "'";
  if (::initgroups(user.name.c_str(), user.gid) != 0) fail(errno, "initgroups" + target);
  if (::setresgid(user.gid, user.gid, user.gid) != 0) fail(errno, "setresgid" + target);
  if (::setresuid(user.uid, user.uid, user.uid) != 0) fail(errno, "setresuid" + target);

  uid_t real_uid = 0, effective_uid = 0, saved_uid = 0;
  gid_t real_gid = 0, effective_gid = 0, saved_gid = 0;
  if (::getresuid(&real_uid, &effective_uid, &saved_uid) != 0 ||
      ::getresgid(&real_gid, &effective_gid, &saved_gid) != 0) {
    fail(errno, "getresuid/getresgid");
  }
  if (real_uid != user.uid || effective_uid != user.uid || saved_uid != user.uid ||
      real_gid != user.gid || effective_gid != user.gid || saved_gid != user.gid) {
    fail(EPERM, "the ids did not all change" + target);
  }
  if (holds_capabilities()) fail(EPERM, "capabilities are left after dropping root" + target);
  // The proof that matters: root cannot be had back.
  if (::setuid(0) == 0) fail(EPERM, "setuid(0) still succeeds after dropping root" + target);
}

}  // namespace hybrid::server
