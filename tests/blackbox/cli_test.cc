// Black-box: the hybridd command line, its start-up failures and the address families it binds.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "tests/blackbox/blackbox_support.h"
#include "tests/support/server_process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_client.h"

namespace hybrid::test {
namespace {

constexpr auto kFailFast = std::chrono::seconds(5);

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

// A start-up failure: a non-zero exit (not a timeout, which means the server started anyway).
void expect_startup_failure(const RunResult& result) {
  EXPECT_NE(result.exit_code, 0) << result.output;
  EXPECT_NE(result.exit_code, -1) << "hybridd kept running:\n" << result.output;
  EXPECT_LT(result.exit_code, 128) << "hybridd died by a signal:\n" << result.output;
  EXPECT_FALSE(result.output.empty()) << "a failure must say why";
}

TEST(CliTest, HelpListsTheOptionsAndExitsZero) {
  const RunResult result = run_hybridd({"--help"});
  EXPECT_EQ(result.exit_code, 0) << result.output;
  for (const char* option : {"--threads", "--root", "--port", "--bind"}) {
    EXPECT_NE(result.output.find(option), std::string::npos) << option << " missing:\n"
                                                             << result.output;
  }
}

TEST(CliTest, VersionPrintsTheVersionAndExitsZero) {
  const RunResult result = run_hybridd({"--version"});
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("0.1.0"), std::string::npos) << result.output;
  EXPECT_EQ(result.output.find("listening"), std::string::npos) << "--version started a server";
}

TEST(CliTest, MissingRootFailsAndNamesThePath) {
  TempDir dir;
  const std::string missing = (dir.path() / "no-such-root").string();
  const RunResult result =
      run_hybridd({"--root", missing, "--port", "0", "--bind", "127.0.0.1"}, kFailFast);
  expect_startup_failure(result);
  EXPECT_NE(result.output.find(missing), std::string::npos) << result.output;
}

TEST(CliTest, RootThatIsAFileFails) {
  TempDir dir;
  const std::string file = dir.write("plain.txt", "not a directory").string();
  const RunResult result =
      run_hybridd({"--root", file, "--port", "0", "--bind", "127.0.0.1"}, kFailFast);
  expect_startup_failure(result);
  EXPECT_NE(result.output.find(file), std::string::npos) << result.output;
}

TEST(CliTest, PortInUseFailsWithAClearMessage) {
  const int holder = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(holder, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(holder, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  ASSERT_EQ(::listen(holder, 1), 0);
  socklen_t size = sizeof(address);
  ASSERT_EQ(::getsockname(holder, reinterpret_cast<sockaddr*>(&address), &size), 0);
  const std::string port = std::to_string(ntohs(address.sin_port));

  TempDir dir;
  const RunResult result = run_hybridd(
      {"--root", dir.path().string(), "--port", port, "--bind", "127.0.0.1"}, kFailFast);
  ::close(holder);
  expect_startup_failure(result);
  EXPECT_NE(lower(result.output).find("in use"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find(port), std::string::npos) << "name the port:\n" << result.output;
}

// --reuseport: two servers on one port, the kernel spreading connections between them; a third
// without the flag still gets the clear "in use" error.
TEST(CliTest, ReuseportLetsTwoServersShareAPort) {
  TempDir first_root;
  TempDir second_root;
  first_root.write("who.txt", "first");
  second_root.write("who.txt", "second");
  ServerProcess first({"--root", first_root.path().string(), "--reuseport", "--threads", "1"});
  ASSERT_TRUE(first.running());
  const std::string port = std::to_string(first.port());
  ServerProcess second(
      {"--root", second_root.path().string(), "--reuseport", "--threads", "1", "--port", port});
  ASSERT_TRUE(second.running()) << second.output();

  // Each new connection goes to one of the two listeners; with both listening, 64 connections
  // reaching only one would happen with probability 2^-63.
  bool saw_first = false;
  bool saw_second = false;
  for (int i = 0; i < 64 && !(saw_first && saw_second); ++i) {
    const auto response = get(first.port(), "/who.txt");
    ASSERT_TRUE(response);
    ASSERT_EQ(response->status, 200);
    saw_first = saw_first || response->body == "first";
    saw_second = saw_second || response->body == "second";
  }
  EXPECT_TRUE(saw_first);
  EXPECT_TRUE(saw_second);

  TempDir third_root;
  const RunResult third = run_hybridd(
      {"--root", third_root.path().string(), "--port", port, "--bind", "127.0.0.1"}, kFailFast);
  expect_startup_failure(third);
  EXPECT_NE(lower(third.output).find("in use"), std::string::npos) << third.output;
}

// --config: every flag may live in a TOML file; the command line wins over it.
TEST(CliTest, ConfigFileSetsFlagsAndTheCommandLineWins) {
  TempDir from_file;
  TempDir from_command_line;
  from_file.write("who.txt", "file");
  from_command_line.write("who.txt", "command line");
  TempDir config_dir;
  const std::string config =
      config_dir
          .write("hybridd.toml", "root = \"" + from_file.path().string() + "\"\nthreads = 1\n")
          .string();

  ServerProcess configured({"--config", config});
  ASSERT_TRUE(configured.running()) << configured.output();
  const auto from_config = get(configured.port(), "/who.txt");
  ASSERT_TRUE(from_config);
  EXPECT_EQ(from_config->body, "file");
  EXPECT_NE(configured.output().find("1 threads"), std::string::npos) << configured.output();

  ServerProcess overridden({"--config", config, "--root", from_command_line.path().string()});
  ASSERT_TRUE(overridden.running()) << overridden.output();
  const auto from_flag = get(overridden.port(), "/who.txt");
  ASSERT_TRUE(from_flag);
  EXPECT_EQ(from_flag->body, "command line");
}

// --print-config: the effective values (file, command line, defaults), readable back as a file.
TEST(CliTest, PrintConfigShowsTheEffectiveConfigurationAndReadsBack) {
  TempDir root;
  root.write("who.txt", "printed");
  TempDir config_dir;
  const std::string config =
      config_dir.write("in.toml", "root = \"" + root.path().string() + "\"\nthreads = 1\n")
          .string();
  const RunResult printed = run_hybridd(
      {"--config", config, "--threads", "3", "--no-batch-scheduling", "--print-config"});
  ASSERT_EQ(printed.exit_code, 0) << printed.output;
  for (const std::string& expected :
       {"root=\"" + root.path().string() + "\"", std::string("threads=3"),
        std::string("batch-scheduling=false"), std::string("max-body-bytes=1048576"),
        std::string("keepalive-timeout=75")}) {
    EXPECT_NE(printed.output.find(expected + "\n"), std::string::npos) << expected << " missing:\n"
                                                                       << printed.output;
  }
  EXPECT_EQ(printed.output.find("listening"), std::string::npos) << "it started a server";

  const std::string again = config_dir.write("out.toml", printed.output).string();
  ServerProcess reread({"--config", again, "--port", "0", "--bind", "127.0.0.1"});
  ASSERT_TRUE(reread.running()) << reread.output();
  const auto response = get(reread.port(), "/who.txt");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->body, "printed");
  EXPECT_NE(reread.output().find("3 threads"), std::string::npos) << reread.output();
}

TEST(CliTest, UnknownKeyInConfigFileFailsAndNamesIt) {
  TempDir config_dir;
  const std::string config = config_dir.write("bad.toml", "no-such-key = 1\n").string();
  const RunResult result = run_hybridd({"--config", config}, kFailFast);
  expect_startup_failure(result);
  EXPECT_NE(result.output.find("no-such-key"), std::string::npos) << result.output;
}

TEST(CliTest, MissingConfigFileFails) {
  TempDir config_dir;
  const std::string missing = (config_dir.path() / "none.toml").string();
  const RunResult result = run_hybridd({"--config", missing}, kFailFast);
  expect_startup_failure(result);
  EXPECT_NE(result.output.find(missing), std::string::npos) << result.output;
}

TEST(CliTest, UnknownFlagFails) {
  TempDir dir;
  const RunResult result =
      run_hybridd({"--root", dir.path().string(), "--no-such-flag", "--port", "0"}, kFailFast);
  expect_startup_failure(result);
  EXPECT_NE(result.output.find("no-such-flag"), std::string::npos) << result.output;
}

TEST(CliTest, NonPositiveThreadCountFails) {
  TempDir dir;
  for (const char* threads : {"0", "-1", "many"}) {
    SCOPED_TRACE(threads);
    const RunResult result = run_hybridd(
        {"--root", dir.path().string(), "--threads", threads, "--port", "0", "--bind", "127.0.0.1"},
        kFailFast);
    expect_startup_failure(result);
  }
}

TEST(CliTest, InvalidPortFails) {
  TempDir dir;
  for (const char* port : {"65536", "-1", "http"}) {
    SCOPED_TRACE(port);
    const RunResult result = run_hybridd(
        {"--root", dir.path().string(), "--port", port, "--bind", "127.0.0.1"}, kFailFast);
    expect_startup_failure(result);
  }
}

TEST(CliTest, TimeoutsOutOfRangeFail) {
  TempDir dir;
  const std::vector<std::pair<const char*, const char*>> cases = {
      {"--send-timeout", "0"},         {"--keepalive-timeout", "-1"}, {"--lingering-timeout", "-1"},
      {"--lingering-timeout", "soon"}, {"--drain-timeout", "86401"},
  };
  for (const auto& [flag, value] : cases) {
    SCOPED_TRACE(std::string(flag) + " " + value);
    const RunResult result = run_hybridd(
        {"--root", dir.path().string(), flag, value, "--port", "0", "--bind", "127.0.0.1"},
        kFailFast);
    expect_startup_failure(result);
    EXPECT_NE(result.output.find(flag), std::string::npos) << result.output;
  }
}

TEST(CliTest, ListeningLineNamesRootAndThreads) {
  TempDir dir;
  dir.write("index.html", "hello");
  ServerProcess server(root_args(dir.path(), {"--threads", "3"}));
  ASSERT_TRUE(server.running());
  const std::string root = std::filesystem::canonical(dir.path()).string();
  const std::string output = server.output();
  EXPECT_NE(output.find("hybridd 0.1.0 listening on http://127.0.0.1:" +
                        std::to_string(server.port()) + " (root " + root + ", 3 threads)"),
            std::string::npos)
      << output;
  const auto response = get(server.port(), "/index.html");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->body, "hello");
}

bool ipv6_loopback_available() {
  const int fd = ::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in6 address{};
  address.sin6_family = AF_INET6;
  address.sin6_addr = in6addr_loopback;
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
  ::close(fd);
  return ok;
}

TEST(CliTest, ServesOverIpv6Loopback) {
  if (!ipv6_loopback_available()) GTEST_SKIP() << "::1 is not available here";
  TempDir dir;
  dir.write("index.html", "over ipv6");
  ServerProcess server(root_args(dir.path(), {"--bind", "::1"}));
  ASSERT_TRUE(server.running());
  EXPECT_NE(server.output().find("http://[::1]:"), std::string::npos) << server.output();
  TestClient client("::1", server.port());
  ASSERT_TRUE(client.connected());
  const auto response = client.request(make_request("GET", "/index.html"));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "over ipv6");
}

}  // namespace
}  // namespace hybrid::test
