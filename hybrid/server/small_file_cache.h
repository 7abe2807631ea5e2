// Small files kept in memory per worker, so a hot small file costs one stat instead of
// open + fstat + read + close. Every hit is validated against the file as it is now (device,
// inode, size and mtime to the nanosecond), so a changed file is never served stale, and the
// content is a consistent snapshot: the size sent is always the size of the bytes sent.
// Not thread-safe: one cache per worker keeps the hot path free of locks.
#pragma once

#include <sys/stat.h>

#include <cstddef>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_map>

namespace hybrid::server {

// True when the file changed so recently that another write could still land within the same
// mtime tick (a few ms) without changing size or mtime: caching it now could pin stale bytes
// behind an identity that still matches ("racy git"). Such files are served, just not cached.
bool too_recent_to_cache(const struct stat& st);

struct CachedFile {
  std::string resolved_path;  // relative to the root, after "index.html" was added
  struct stat st {};
  std::string content;
  std::string content_type;
};

class SmallFileCache {
 public:
  explicit SmallFileCache(std::size_t budget_bytes) : budget_(budget_bytes) {}

  // The entry for a request path (normalised, with its trailing-slash flag) below `root_fd`, if
  // cached and still identical on disk; `st` receives the fresh stat. Null on a miss.
  const CachedFile* find(int root_fd, std::string_view path, bool trailing_slash, struct stat& st);

  // Stores a snapshot; returns it (null when it does not fit the budget).
  const CachedFile* insert(int root_fd, std::string_view path, bool trailing_slash,
                           CachedFile file);

 private:
  static std::string key_of(int root_fd, std::string_view path, bool trailing_slash);

  std::size_t budget_;
  std::size_t used_ = 0;
  std::unordered_map<std::string, CachedFile> entries_;
  std::deque<std::string> order_;  // oldest first
  std::string key_;                // reused for lookups, so a hit does not allocate
};

}  // namespace hybrid::server
