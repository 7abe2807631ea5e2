// Content-Type by content (libmagic), for files whose extension the table does not know.
//
// One libmagic call costs 150–600 µs, so results are cached by the file's version (FileVersion:
// device, inode, size, mtime): a cache hit never calls libmagic. Not thread-safe: each worker owns
// one sniffer (and so one magic_t), which keeps the hot path free of locks.
#pragma once

#include <sys/stat.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

#include "hybrid/http/file_version.h"

namespace hybrid::http {

class MimeSniffer {
 public:
  // Throws std::runtime_error when libmagic cannot load its database.
  explicit MimeSniffer(std::size_t max_cached = 4096);
  ~MimeSniffer();
  MimeSniffer(const MimeSniffer&) = delete;
  MimeSniffer& operator=(const MimeSniffer&) = delete;

  // The Content-Type of the open regular file `fd` whose fstat is `st`, from its first 64 KiB
  // (read with pread: the file offset is untouched). Never an active type (see
  // is_active_content_type); application/octet-stream when libmagic fails or is unsure and for an
  // empty file. A charset is kept only on text/* types. The view stays valid until the next call.
  // When max_cached entries are held, the next miss empties the cache (0 is treated as 1).
  std::string_view content_type(int fd, const struct stat& st);

  // How many times libmagic actually ran (for tests and benchmarks).
  std::uint64_t magic_calls() const { return magic_calls_; }

 private:
  std::string sniff(int fd);

  void* magic_;  // magic_t, kept opaque so users of this header need not include magic.h
  std::size_t max_cached_;
  std::unordered_map<FileVersion, std::string, FileVersionHash> cache_;
  std::uint64_t magic_calls_ = 0;
};

}  // namespace hybrid::http
