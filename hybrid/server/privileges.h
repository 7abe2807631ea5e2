// Dropping root after binding: a server started as root binds its port (80, say) and opens its
// root and log, then runs as an ordinary user before it reads a request. Not public API: hybridd
// calls it; a service that needs it links the library and calls it the same way.
//
// Credentials are per thread in the kernel but process-wide in POSIX: glibc applies setgroups,
// setresgid and setresuid to every thread of the process (it signals each one to make the same
// call, and aborts the process if they disagree), so dropping after the server's workers exist
// changes them too. tests/blackbox/privileges_test.cc checks every thread in /proc.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>

namespace hybrid::server {

// A user to run as, from the password database.
struct UserAccount {
  std::string name;
  uid_t uid = 0;
  gid_t gid = 0;  // the primary group
};

// Looks `name` up with getpwnam_r, through NSS (files, systemd's dynamic users, LDAP, ...).
// nullopt when there is no such user; throws std::system_error when the lookup itself fails.
std::optional<UserAccount> find_user(const std::string& name);

// Ports below 1024 need root (or CAP_NET_BIND_SERVICE) to bind; 0, an ephemeral port, does not.
constexpr bool is_privileged_port(std::uint16_t port) {
  return port != 0 && port < 1024;
}

// Makes the whole process `user`: its supplementary groups (initgroups), then real, effective and
// saved gid, then uid. The uid goes last because changing the groups needs root. Moving every
// uid away from 0 also clears the permitted, effective and ambient capabilities (capabilities(7),
// unless SECBIT_KEEP_CAPS was set, which an exec clears). Then checks that it took: every id is
// the user's, no capability is left, and setuid(0) fails. Call with effective uid 0 and a user
// whose uid is not 0. Throws std::system_error naming the step that failed; the caller must then
// exit, not serve, since the process may be half-dropped.
void drop_privileges(const UserAccount& user);

}  // namespace hybrid::server
