// Black-box: hybridd started as root binds first and then serves as --user, in every thread; root
// on a privileged port without --user or --allow-root is refused before binding. The VM and CI
// run the suite as root; elsewhere the tests that need root skip.
#include <arpa/inet.h>
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/blackbox/blackbox_support.h"
#include "tests/blackbox/process_probe.h"
#include "tests/support/server_process.h"
#include "tests/support/temp_dir.h"

namespace hybrid::test {
namespace {

constexpr auto kFailFast = std::chrono::seconds(5);

#define SKIP_UNLESS_ROOT()                                              \
  if (::geteuid() != 0)                                                 \
  GTEST_SKIP() << "needs root: hybridd drops root only when it has it " \
                  "(run the suite as root, as the VM and CI do)"

struct Account {
  uid_t uid;
  gid_t gid;
};

Account nobody() {
  const passwd* entry = ::getpwnam("nobody");
  if (entry == nullptr) return {0, 0};
  return {entry->pw_uid, entry->pw_gid};
}

// Root as a login shell or sudo leaves it: supplementary group 0, which hybridd inherits and must
// shed. (A test runner may start with no supplementary group, which would hide a missing drop.)
void join_group_zero() {
  const gid_t root_group = 0;
  ASSERT_EQ(::setgroups(1, &root_group), 0);
}

// A document root `nobody` can read: mkdtemp makes directories 0700.
void open_to_everyone(const TempDir& dir) {
  std::filesystem::permissions(dir.path(), std::filesystem::perms(0755));
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir.path())) {
    std::filesystem::permissions(entry.path(),
                                 std::filesystem::perms(entry.is_directory() ? 0755 : 0644));
  }
}

// A socket bound to 127.0.0.1:port (listening when asked), or -1.
int bind_loopback(std::uint16_t port, bool listen) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      (listen && ::listen(fd, 1) != 0)) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// A port below 1024 that 127.0.0.1 has free now, or 0. Starts at a place that depends on the
// pid, so suites running side by side rarely try the same ports.
std::uint16_t free_privileged_port() {
  const int start = 1023 - static_cast<int>(::getpid() % 200);
  for (int port = start; port > start - 100; --port) {
    const int fd = bind_loopback(static_cast<std::uint16_t>(port), false);
    if (fd >= 0) {
      ::close(fd);
      return static_cast<std::uint16_t>(port);
    }
  }
  return 0;
}

// The credential lines of one thread's /proc status.
struct ThreadCredentials {
  std::string task;
  std::string uid;  // "Uid:\treal\teffective\tsaved\tfs"
  std::string gid;
  std::string groups;
  std::string permitted_capabilities;
  std::string effective_capabilities;
};

std::vector<ThreadCredentials> thread_credentials(pid_t pid) {
  std::vector<ThreadCredentials> threads;
  std::error_code error;
  for (const auto& task :
       std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task", error)) {
    ThreadCredentials credentials{task.path().filename().string(), "", "", "", "", ""};
    std::ifstream status(task.path() / "status");
    for (std::string line; std::getline(status, line);) {
      if (line.starts_with("Uid:")) credentials.uid = line.substr(4);
      if (line.starts_with("Gid:")) credentials.gid = line.substr(4);
      if (line.starts_with("Groups:")) credentials.groups = line.substr(7);
      if (line.starts_with("CapPrm:")) credentials.permitted_capabilities = line.substr(7);
      if (line.starts_with("CapEff:")) credentials.effective_capabilities = line.substr(7);
    }
    threads.push_back(credentials);
  }
  return threads;
}

std::vector<long> numbers(const std::string& text) {
  std::istringstream in(text);
  std::vector<long> values;
  for (long value = 0; in >> value;) values.push_back(value);
  return values;
}

// Every thread of `pid` is `account`: real, effective, saved and filesystem ids, no group 0, no
// capability. `at_least` threads must be there (main, reactor's helpers, workers).
void expect_every_thread_runs_as(pid_t pid, Account account, std::size_t at_least) {
  const auto threads = thread_credentials(pid);
  EXPECT_GE(threads.size(), at_least);
  for (const auto& thread : threads) {
    SCOPED_TRACE("task " + thread.task);
    EXPECT_EQ(numbers(thread.uid), std::vector<long>(4, account.uid)) << "Uid:" << thread.uid;
    EXPECT_EQ(numbers(thread.gid), std::vector<long>(4, account.gid)) << "Gid:" << thread.gid;
    for (long group : numbers(thread.groups)) {
      EXPECT_NE(group, 0) << "Groups:" << thread.groups;
    }
    EXPECT_EQ(std::stoull(thread.permitted_capabilities, nullptr, 16), 0u)
        << "CapPrm:" << thread.permitted_capabilities;
    EXPECT_EQ(std::stoull(thread.effective_capabilities, nullptr, 16), 0u)
        << "CapEff:" << thread.effective_capabilities;
  }
}

// GET /index.html answers 200 with `body`.
void expect_index(std::uint16_t port, const std::string& body) {
  const auto response = get(port, "/index.html");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, body);
}

TEST(PrivilegesTest, UserServesAFileAndNoThreadKeepsRoot) {
  SKIP_UNLESS_ROOT();
  const Account account = nobody();
  ASSERT_NE(account.uid, 0u) << "no user 'nobody' on this machine";
  TempDir root;
  root.write("index.html", "served by nobody");
  open_to_everyone(root);
  join_group_zero();
  ServerProcess server(root_args(root.path(), {"--user", "nobody", "--threads", "3"}));
  ASSERT_TRUE(server.running()) << server.output();
  expect_index(server.port(), "served by nobody");
  // main + signal waiter + 3 workers at least; the workers existed before the drop.
  expect_every_thread_runs_as(server.pid(), account, 5);
}

TEST(PrivilegesTest, UserBindsAPrivilegedPortFirst) {
  SKIP_UNLESS_ROOT();
  const Account account = nobody();
  ASSERT_NE(account.uid, 0u) << "no user 'nobody' on this machine";
  const std::uint16_t port = free_privileged_port();
  if (port == 0) GTEST_SKIP() << "no free port below 1024 on 127.0.0.1";
  TempDir root;
  root.write("index.html", "port below 1024");
  open_to_everyone(root);
  ServerProcess server(
      root_args(root.path(), {"--user", "nobody", "--port", std::to_string(port)}));
  ASSERT_TRUE(server.running()) << server.output();
  EXPECT_EQ(server.port(), port);
  expect_index(port, "port below 1024");
  expect_every_thread_runs_as(server.pid(), account, 3);
}

TEST(PrivilegesTest, RootOnAPrivilegedPortWithoutUserIsRefusedBeforeBinding) {
  SKIP_UNLESS_ROOT();
  const std::uint16_t port = free_privileged_port();
  if (port == 0) GTEST_SKIP() << "no free port below 1024 on 127.0.0.1";
  // The port is held: had hybridd tried to bind, it would exit 1 with "Address in use".
  const int holder = bind_loopback(port, true);
  ASSERT_GE(holder, 0);
  TempDir root;
  const RunResult result = run_hybridd(
      {"--root", root.path().string(), "--bind", "127.0.0.1", "--port", std::to_string(port)},
      kFailFast);
  ::close(holder);
  EXPECT_EQ(result.exit_code, 2) << result.output;
  EXPECT_NE(result.output.find("refusing to serve as root on port " + std::to_string(port)),
            std::string::npos)
      << result.output;
  EXPECT_NE(result.output.find("--user"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("--allow-root"), std::string::npos) << result.output;
  EXPECT_EQ(result.output.find("in use"), std::string::npos) << result.output;
}

TEST(PrivilegesTest, AllowRootServesAsRootOnAPrivilegedPort) {
  SKIP_UNLESS_ROOT();
  const std::uint16_t port = free_privileged_port();
  if (port == 0) GTEST_SKIP() << "no free port below 1024 on 127.0.0.1";
  TempDir root;
  root.write("index.html", "root by choice");
  ServerProcess server(root_args(root.path(), {"--allow-root", "--port", std::to_string(port)}));
  ASSERT_TRUE(server.running()) << server.output();
  expect_index(port, "root by choice");
  const auto threads = thread_credentials(server.pid());
  ASSERT_FALSE(threads.empty());
  EXPECT_EQ(numbers(threads.front().uid), std::vector<long>(4, 0));
}

TEST(PrivilegesTest, UnknownUserExitsTwoBeforeBinding) {
  TempDir root;
  const RunResult result = run_hybridd({"--root", root.path().string(), "--bind", "127.0.0.1",
                                        "--port", "0", "--user", "no-such-user-hybridd"},
                                       kFailFast);
  EXPECT_EQ(result.exit_code, 2) << result.output;
  EXPECT_NE(result.output.find("hybridd: no such user 'no-such-user-hybridd'"), std::string::npos)
      << result.output;
  EXPECT_EQ(result.output.find("listening"), std::string::npos) << result.output;
}

bool can_become_nobody() {
  return std::filesystem::exists("/usr/bin/setpriv") && nobody().uid != 0;
}

// hybridd started as `nobody` (by setpriv, from root) with `--user user`, serving `root`.
RunResult run_as_nobody(const TempDir& root, const std::string& user,
                        std::chrono::milliseconds timeout) {
  const Account account = nobody();
  return run_program("/usr/bin/setpriv",
                     {"--reuid", std::to_string(account.uid), "--regid",
                      std::to_string(account.gid), "--clear-groups", HYBRIDD_PATH, "--root",
                      root.path().string(), "--bind", "127.0.0.1", "--port", "0", "--user", user},
                     timeout);
}

TEST(PrivilegesTest, UserWithoutRootExitsTwo) {
  SKIP_UNLESS_ROOT();  // to become someone else first
  if (!can_become_nobody()) GTEST_SKIP() << "needs /usr/bin/setpriv and a user 'nobody'";
  TempDir root;
  open_to_everyone(root);
  const RunResult result = run_as_nobody(root, "daemon", kFailFast);
  EXPECT_EQ(result.exit_code, 2) << result.output;
  EXPECT_NE(result.output.find("--user needs root"), std::string::npos) << result.output;
}

// A unit with User=nobody may share a config file that says user = "nobody": nothing to drop.
TEST(PrivilegesTest, UserThatIsAlreadyTheCallerServes) {
  SKIP_UNLESS_ROOT();  // to become someone else first
  if (!can_become_nobody()) GTEST_SKIP() << "needs /usr/bin/setpriv and a user 'nobody'";
  TempDir root;
  open_to_everyone(root);
  // Runs until the timeout kills it (-1): it started instead of refusing.
  const RunResult result = run_as_nobody(root, "nobody", std::chrono::seconds(2));
  EXPECT_EQ(result.exit_code, -1) << result.output;
  EXPECT_NE(result.output.find("listening on"), std::string::npos) << result.output;
}

// Both flags live in a config file like every other, and --print-config shows them.
TEST(PrivilegesTest, ConfigFileCarriesUserAndAllowRoot) {
  TempDir dir;
  const std::string config =
      dir.write("hybridd.toml", "user = \"nobody\"\nallow-root = true\n").string();
  const RunResult printed = run_hybridd({"--config", config, "--print-config"}, kFailFast);
  EXPECT_EQ(printed.exit_code, 0) << printed.output;
  EXPECT_NE(printed.output.find("user=\"nobody\""), std::string::npos) << printed.output;
  EXPECT_NE(printed.output.find("allow-root=true"), std::string::npos) << printed.output;

  const RunResult defaults = run_hybridd({"--print-config"}, kFailFast);
  EXPECT_EQ(defaults.exit_code, 0) << defaults.output;
  EXPECT_NE(defaults.output.find("allow-root=false"), std::string::npos) << defaults.output;
}

// After the drop, SIGHUP reopens the access log as the user: a directory the user may write to
// gets a new file owned by the user (the README's logrotate stanza relies on it).
TEST(PrivilegesTest, SighupReopensTheAccessLogAsTheUser) {
  SKIP_UNLESS_ROOT();
  const Account account = nobody();
  ASSERT_NE(account.uid, 0u) << "no user 'nobody' on this machine";
  TempDir root;
  root.write("f.txt", "logged");
  open_to_everyone(root);
  TempDir logs;
  open_to_everyone(logs);
  ASSERT_EQ(::chown(logs.path().c_str(), account.uid, account.gid), 0);
  const std::filesystem::path log = logs.path() / "access.log";
  ServerProcess server(root_args(root.path(), {"--user", "nobody", "--access-log", log.string()}));
  ASSERT_TRUE(server.running()) << server.output();
  ASSERT_TRUE(get(server.port(), "/f.txt"));

  std::filesystem::rename(log, logs.path() / "access.log.1");
  ASSERT_EQ(::kill(server.pid(), SIGHUP), 0);
  ASSERT_TRUE(eventually([&] { return std::filesystem::exists(log); }, std::chrono::seconds(5)))
      << server.output();
  ASSERT_TRUE(get(server.port(), "/f.txt"));
  struct stat reopened {};
  ASSERT_EQ(::stat(log.c_str(), &reopened), 0);
  EXPECT_EQ(reopened.st_uid, account.uid);
  EXPECT_TRUE(
      eventually([&] { return std::filesystem::file_size(log) > 0; }, std::chrono::seconds(5)));
  EXPECT_EQ(server.output().find("cannot reopen"), std::string::npos) << server.output();
}

}  // namespace
}  // namespace hybrid::test
