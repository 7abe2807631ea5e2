// Compressed copies of hot files, so a file is gzipped once, not per request. One cache per
// worker (no locks); each is bounded by a byte budget and drops its oldest entries past it.
// Entries are keyed by the file's version (http::FileVersion): a changed file is a different
// key, so a stale copy is never served and simply ages out.
#pragma once

#include <sys/stat.h>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_map>

#include "hybrid/http/file_version.h"
#include "hybrid/server/thread_metrics.h"

namespace hybrid::server {

class GzipCache {
 public:
  // Files larger than this are never compressed on the fly (a worker must stay responsive).
  static constexpr std::uint64_t kMaxSource = 1 << 20;
  // Smaller files gain nothing worth the Vary and the CPU.
  static constexpr std::uint64_t kMinSource = 256;

  explicit GzipCache(std::size_t budget_bytes) : budget_(budget_bytes) {}

  // The gzip body of the open regular file `fd` whose fstat is `st`: from the cache, else read
  // and compressed now. Null when the file cannot be read whole or does not shrink. The pointer
  // stays valid until the next call.
  const std::string* compressed(int fd, const struct stat& st);
  // The same for content already in memory (a small-file cache entry of that file).
  const std::string* compressed(std::string_view content, const struct stat& st);

  // Copies reused, and files compressed anew (readable from any thread).
  const OwnedCounter& hits() const { return hits_; }
  const OwnedCounter& compressions() const { return compressions_; }

 private:
  const std::string* find(const struct stat& st);

  std::size_t budget_;
  std::size_t used_ = 0;
  std::unordered_map<http::FileVersion, std::string, http::FileVersionHash> entries_;
  std::deque<http::FileVersion> order_;  // oldest first
  std::string uncached_;                 // the last result for a file too recently changed to cache
  OwnedCounter hits_;
  OwnedCounter compressions_;
};

}  // namespace hybrid::server
