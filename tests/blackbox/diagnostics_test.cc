// The diagnostic log on stderr (--log-level): one line per event, none per request at info.
#include <gtest/gtest.h>
#include <signal.h>

#include <sstream>
#include <string>
#include <thread>

#include "tests/blackbox/blackbox_support.h"
#include "tests/support/temp_dir.h"

namespace hybrid::test {
namespace {

// The diagnostic lines in `output` (hybridd's own "listening on" line is not one).
std::vector<std::string> diagnostic_lines(const std::string& output) {
  std::vector<std::string> lines;
  std::istringstream stream(output);
  for (std::string line; std::getline(stream, line);) {
    if (line.find(" hybrid: ") != std::string::npos) lines.push_back(line);
  }
  return lines;
}

std::string joined(const std::vector<std::string>& lines) {
  std::string all;
  for (const std::string& line : lines) all += line + "\n";
  return all;
}

TEST(DiagnosticsTest, InfoSaysStartAndStopAndNothingPerRequest) {
  TempDir root;
  root.write("index.html", "home");
  ServerProcess server(root_args(root.path(), {"--threads", "2"}));
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(get(server.port(), i % 2 ? "/" : "/missing"));
  ASSERT_TRUE(exited_zero(server.stop(SIGTERM)));
  const auto lines = diagnostic_lines(server.output());
  ASSERT_EQ(lines.size(), 3u) << joined(lines);
  EXPECT_NE(lines[0].find("info hybrid: serving on port " + std::to_string(server.port()) +
                          " with 2 workers"),
            std::string::npos)
      << lines[0];
  EXPECT_NE(lines[1].find("info hybrid: stopping: draining"), std::string::npos) << lines[1];
  EXPECT_NE(lines[2].find("info hybrid: stopped"), std::string::npos) << lines[2];
  // "2026-12-05T19:30:01Z info hybrid: ...": a UTC timestamp first.
  EXPECT_EQ(lines[0].find('Z'), 19u) << lines[0];
}

TEST(DiagnosticsTest, ErrorLevelIsSilentOnARoutineRun) {
  TempDir root;
  ServerProcess server(root_args(root.path(), {"--log-level", "error"}));
  ASSERT_TRUE(get(server.port(), "/"));
  ASSERT_TRUE(exited_zero(server.stop(SIGTERM)));
  EXPECT_TRUE(diagnostic_lines(server.output()).empty()) << server.output();
}

TEST(DiagnosticsTest, DebugNamesTimeoutsAndMalformedRequests) {
  TempDir root;
  ServerProcess server(root_args(root.path(), {"--log-level", "debug", "--header-timeout", "0.2"}));
  {
    TestClient slow(kLoopback, server.port());
    ASSERT_TRUE(slow.send("GET / HTTP/1.1\r\nHost: x\r\n"));  // never finished
    EXPECT_TRUE(slow.wait_closed());
  }
  auto garbage = fetch(server.port(), "GARBAGE\r\n\r\n");
  ASSERT_TRUE(garbage);
  EXPECT_EQ(garbage->status, 400);
  ASSERT_TRUE(exited_zero(server.stop(SIGTERM)));
  const std::string lines = joined(diagnostic_lines(server.output()));
  EXPECT_NE(lines.find("debug hybrid: closing the connection from 127.0.0.1: request head timeout"),
            std::string::npos)
      << lines;
  EXPECT_NE(lines.find("debug hybrid: answering 400 to 127.0.0.1: a malformed request"),
            std::string::npos)
      << lines;
}

TEST(DiagnosticsTest, UnknownLevelIsAStartupError) {
  auto result = run_hybridd({"--log-level", "loud"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.output.find("--log-level"), std::string::npos) << result.output;
}

}  // namespace
}  // namespace hybrid::test
