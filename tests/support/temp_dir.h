// A scratch directory for one test, removed with everything in it when the object dies.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace hybrid::test {

class TempDir {
 public:
  TempDir();  // mkdtemp under $TMPDIR or /tmp
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }

  // Creates parent directories as needed and writes `content` to path()/relative.
  std::filesystem::path write(std::string_view relative, std::string_view content) const;
  std::filesystem::path mkdir(std::string_view relative) const;

 private:
  std::filesystem::path path_;
};

// The whole content of a file (for byte-exact comparisons).
std::string read_file(const std::filesystem::path& path);

}  // namespace hybrid::test
