// Which version of a file a cached result was made from. Whatever is derived from a file's bytes
// (its sniffed type, a gzipped copy, a snapshot) is kept under this key and compared with a fresh
// fstat: an edited file has another mtime (nanoseconds) or size, a file replaced by rename another
// inode, so a stale result is never reused. A rewrite that keeps all four (same size, within one
// mtime tick) goes unnoticed: acceptable for a static server, and what nginx and lighttpd accept.
#pragma once

#include <sys/stat.h>

#include <cstddef>
#include <cstdint>
#include <functional>

namespace hybrid::http {

struct FileVersion {
  dev_t device = 0;
  ino_t inode = 0;
  off_t size = 0;
  std::int64_t mtime_ns = 0;

  static FileVersion of(const struct stat& st) {
    return {st.st_dev, st.st_ino, st.st_size,
            static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec};
  }
  bool operator==(const FileVersion&) const = default;
};

struct FileVersionHash {
  std::size_t operator()(const FileVersion& version) const noexcept {
    // boost::hash_combine's mixing step; inode and mtime vary most, device and size help a little.
    std::size_t seed = std::hash<ino_t>{}(version.inode);
    auto mix = [&seed](std::size_t value) {
      seed ^= value + 0x9e3779b97f4a7c15ULL + (seed << 6) + (seed >> 2);
    };
    mix(std::hash<std::int64_t>{}(version.mtime_ns));
    mix(std::hash<dev_t>{}(version.device));
    mix(std::hash<off_t>{}(version.size));
    return seed;
  }
};

}  // namespace hybrid::http
