// Small files kept in memory per worker, so a hot small file costs no syscall at all instead of
// open + fstat + read + close. An entry is validated against the file as it is now (device,
// inode, size and mtime to the nanosecond) by a stat — on every hit, or, when a
// FileChangeMonitor watches the directories above it, only after the monitor saw a change and
// at least once a second (for what inotify cannot see). The content is a consistent snapshot:
// the size sent is always the size of the bytes sent.
// Not thread-safe: one cache per worker keeps the hot path free of locks.
#pragma once

#include <sys/stat.h>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_map>

#include "hybrid/server/document_root.h"
#include "hybrid/server/file_change_monitor.h"
#include "hybrid/server/thread_metrics.h"

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
  // A plain 200 of this content, rendered once by the first worker that sends one (empty until
  // then): the validators and the header lines between Server and Connection. A new version of
  // the file is a new entry, so these never outlive the content they describe.
  std::string etag;
  std::string last_modified;  // IMF-fixdate; empty when the mtime is not usable
  std::string plain_fields;
  // Validation state, kept by the cache.
  bool watched = false;          // the monitor watches every directory above the file
  std::uint64_t generation = 0;  // the monitor's generation read before the last stat
  std::int64_t checked_at_ms = 0;
};

class SmallFileCache {
 public:
  // `monitor` (optional, outliving the cache) spares hits their stat.
  explicit SmallFileCache(std::size_t budget_bytes, FileChangeMonitor* monitor = nullptr)
      : budget_(budget_bytes), monitor_(monitor) {}

  // The entry for a request path (normalised, with its trailing-slash flag) below `root`, if
  // cached and still identical on disk; `st` receives its stat. Null on a miss. Entries are
  // keyed on the root's id, so those of a replaced root never answer for another.
  CachedFile* find(RootDir root, std::string_view path, bool trailing_slash, struct stat& st);

  // Stores a snapshot; returns it (null when it does not fit the budget).
  CachedFile* insert(RootDir root, std::string_view path, bool trailing_slash, CachedFile file);

  // Lookups that found a fresh entry, and those that did not (readable from any thread).
  const OwnedCounter& hits() const { return hits_; }
  const OwnedCounter& misses() const { return misses_; }

 private:
  CachedFile* lookup(RootDir root, std::string_view path, bool trailing_slash, struct stat& st);
  static std::string key_of(std::uint64_t root_id, std::string_view path, bool trailing_slash);
  void start_watching(int root_fd, CachedFile& entry);

  std::size_t budget_;
  FileChangeMonitor* monitor_;
  std::size_t used_ = 0;
  std::unordered_map<std::string, CachedFile> entries_;
  std::deque<std::string> order_;  // oldest first
  std::string key_;                // reused for lookups, so a hit does not allocate
  OwnedCounter hits_;
  OwnedCounter misses_;
};

}  // namespace hybrid::server
