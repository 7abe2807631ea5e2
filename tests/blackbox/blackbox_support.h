// Small helpers shared by the black-box tests (header-only: tests/CMakeLists.txt builds one
// executable per *_test.cc and links only tests/support).
#pragma once

#include <sys/socket.h>
#include <sys/wait.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "tests/support/server_process.h"
#include "tests/support/test_client.h"

namespace hybrid::test {

inline constexpr std::string_view kLoopback = "127.0.0.1";

// Sends `raw` on a fresh connection and reads one response.
inline std::optional<Response> fetch(std::uint16_t port, std::string_view raw,
                                     bool head_request = false) {
  TestClient client(kLoopback, port);
  return client.request(raw, head_request);
}

inline std::optional<Response> get(std::uint16_t port, std::string_view target) {
  return fetch(port, make_request("GET", target));
}

// Arguments for a server on `root` followed by `extra`.
inline std::vector<std::string> root_args(const std::filesystem::path& root,
                                          std::vector<std::string> extra = {}) {
  std::vector<std::string> args{"--root", root.string()};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

// Deterministic incompressible bytes, so a large-file mismatch is never a coincidence.
inline std::string random_bytes(std::size_t size, std::uint64_t seed) {
  std::mt19937_64 engine(seed);
  std::string bytes(size, '\0');
  for (std::size_t i = 0; i < size; i += 8) {
    std::uint64_t word = engine();
    for (std::size_t j = i; j < i + 8 && j < size; ++j, word >>= 8) {
      bytes[j] = static_cast<char>(word & 0xff);
    }
  }
  return bytes;
}

// A waitpid status in words, for failure messages.
inline std::string describe_exit(int status) {
  if (status == -1) return "did not exit in time (killed)";
  if (WIFEXITED(status)) return "exited with " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status));
  return "status " + std::to_string(status);
}

inline bool exited_zero(int status) {
  return status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

// The media type without parameters: "text/html; charset=utf-8" -> "text/html".
inline std::string media_type(std::string_view content_type) {
  std::string_view type = content_type.substr(0, content_type.find(';'));
  while (!type.empty() && type.back() == ' ') type.remove_suffix(1);
  return std::string(type);
}

}  // namespace hybrid::test
