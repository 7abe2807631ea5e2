// examples/systemd stays honest: systemd accepts the unit, this build of hybridd accepts the
// flags in its ExecStart with the example config, and the unit's numbers and paths match the
// config's (the stop timeout above the drain, the read-only path being the root).
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/support/server_process.h"
#include "tests/support/temp_dir.h"

namespace hybrid::test {
namespace {

const std::filesystem::path kExamples =
    std::filesystem::path(HYBRID_SOURCE_DIR) / "examples" / "systemd";

std::string contents(const std::filesystem::path& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string unquoted(std::string value) {
  if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
    return value.substr(1, value.size() - 2);
  }
  return value;
}

// `key=value` (unit) or `key = value` (TOML) lines, comments and sections left out; a key set
// twice keeps its last value, as systemd's single-valued settings do.
std::map<std::string, std::string> settings(const std::string& text) {
  std::map<std::string, std::string> values;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line[0] == '#' || line[0] == '[') continue;
    const std::size_t equals = line.find('=');
    if (equals == std::string::npos) continue;
    auto trim = [](std::string part) {
      part.erase(0, part.find_first_not_of(' '));
      part.erase(part.find_last_not_of(' ') + 1);
      return part;
    };
    values[trim(line.substr(0, equals))] = unquoted(trim(line.substr(equals + 1)));
  }
  return values;
}

std::vector<std::string> words(const std::string& text) {
  std::istringstream in(text);
  std::vector<std::string> result;
  for (std::string word; in >> word;) result.push_back(word);
  return result;
}

TEST(SystemdUnitTest, SystemdAnalyzeVerifyAcceptsTheUnit) {
  const std::filesystem::path analyzer = "/usr/bin/systemd-analyze";
  if (!std::filesystem::exists(analyzer)) GTEST_SKIP() << "no systemd-analyze on this machine";
  // verify checks that ExecStart's program exists: point it at this build's hybridd. Every line
  // keeps its number, so a complaint names the line of the example.
  std::string unit = contents(kExamples / "hybridd.service");
  const std::string installed = "ExecStart=/usr/local/bin/hybridd ";
  const std::size_t exec_start = unit.find(installed);
  ASSERT_NE(exec_start, std::string::npos) << "ExecStart no longer names /usr/local/bin/hybridd";
  unit.replace(exec_start, installed.size(), std::string("ExecStart=") + HYBRIDD_PATH + " ");
  TempDir dir;
  const std::filesystem::path copy = dir.write("hybridd.service", unit);

  const RunResult result = run_program(analyzer.string(), {"verify", copy.string()});
  EXPECT_EQ(result.exit_code, 0) << result.output;
  // An unknown key or a value systemd cannot parse is only a warning ("ignoring"), exit 0.
  EXPECT_EQ(result.output.find("hybridd.service"), std::string::npos) << result.output;
}

TEST(SystemdUnitTest, HybriddAcceptsExecStartWithTheExampleConfig) {
  const auto unit = settings(contents(kExamples / "hybridd.service"));
  const auto config_text = contents(kExamples / "hybridd.toml");
  const auto config = settings(config_text);
  ASSERT_TRUE(unit.contains("ExecStart"));
  ASSERT_TRUE(config.contains("root"));

  // The example config with each absolute path moved into a scratch directory.
  TempDir dir;
  std::string scratch_config;
  std::istringstream lines(config_text);
  for (std::string line; std::getline(lines, line);) {
    const std::size_t path = line.find("\"/");
    if (path != std::string::npos && line[0] != '#') {
      line = line.substr(0, path) + "\"" + (dir.path() / "paths").string() + line.substr(path + 1);
    }
    scratch_config += line + "\n";
  }
  const std::filesystem::path config_copy = dir.write("hybridd.toml", scratch_config);

  std::vector<std::string> args = words(unit.at("ExecStart"));
  ASSERT_FALSE(args.empty());
  args.erase(args.begin());  // the program
  for (std::size_t i = 0; i + 1 < args.size(); ++i) {
    if (args[i] == "--config") args[i + 1] = config_copy.string();
  }
  args.push_back("--print-config");
  const RunResult printed = run_hybridd(args);
  ASSERT_EQ(printed.exit_code, 0) << printed.output;
  EXPECT_NE(printed.output.find("port=" + config.at("port")), std::string::npos) << printed.output;

  // The unit keeps its promises about the config it runs.
  EXPECT_EQ(unit.at("ReadOnlyPaths"), config.at("root"));
  EXPECT_EQ(std::filesystem::path(config.at("access-log")).parent_path(),
            "/var/log/" + unit.at("LogsDirectory"));
  EXPECT_GT(std::stod(unit.at("TimeoutStopSec")), std::stod(config.at("drain-timeout")));
}

}  // namespace
}  // namespace hybrid::test
