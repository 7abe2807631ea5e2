// Deciding what a GET or HEAD for a path means on disk: which file, which status, which type.
// Runs on a worker thread; one FileResponder per worker (its MIME sniffer is not shareable).
#pragma once

#include <sys/stat.h>

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "hybrid/http/mime_sniffer.h"
#include "hybrid/http/status.h"
#include "hybrid/server/small_file_cache.h"
#include "hybrid/server/unique_fd.h"

namespace hybrid::server {

struct FileChoice {
  http::Status status = http::Status::kNotFound;
  UniqueFd fd;  // kOk: the open regular file (none when `content` is set)
  struct stat st {};
  std::string_view content_type;  // kOk; valid until the next choose()
  // kOk from the small-file cache: the whole content (fd is then -1). Valid until the next
  // choose().
  const std::string* content = nullptr;
  CachedFile* cached = nullptr;     // the cache entry `content` belongs to, for its ready-made head
  std::size_t location_length = 0;  // kMovedPermanently: bytes written to the location buffer
  // kOk for a directory without index.html while listing is on: `fd` is the open directory, `st`
  // its stat, and `directory_path` its path below the root ("" for the root itself), valid until
  // the next choose(). Nothing else is set.
  bool listing = false;
  std::string_view directory_path;
};

class FileResponder {
 public:
  // `root_fd` is an open directory that outlives this object (given a fresh id). `max_target`
  // bounds the decoded path (the request-line limit). Unless `serve_dotfiles`, a path with a
  // segment starting with '.' is 404, except under "/.well-known/" (RFC 8615).
  FileResponder(int root_fd, std::size_t max_target, bool serve_dotfiles = false);

  // Regular files up to `max_file` bytes are kept in `cache` (owned by the caller, same thread)
  // and returned as content instead of an fd.
  void use_cache(SmallFileCache* cache, std::size_t max_file) {
    cache_ = cache;
    max_cached_file_ = max_file;
  }

  // A directory asked for with a trailing slash whose index.html does not exist is chosen for a
  // listing (FileChoice::listing) instead of 404.
  void list_directories(bool on) { list_directories_ = on; }

  // A site's own TLS certificate and key (certificates.h) at its top are 404, never content.
  void hide_site_certificates(bool on) { hide_site_certificates_ = on; }

  // Resolves a request-target. Nothing outside the root is ever opened: the path is decoded and
  // normalised (http/target.h), then opened with RESOLVE_BENEATH so symlinks that lead out are
  // refused by the kernel, not by string checks. A directory asked for with a trailing slash
  // serves its index.html; without one it is a 301 to "path/" (query kept), whose Location is
  // written to `location` (needs 3 × target + 16 bytes). Only regular files are served (and
  // directories to list, with list_directories()).
  FileChoice choose(std::string_view target, std::span<char> location) {
    return choose(root_, target, location);
  }
  // The same below another root (the current document root, a virtual host's).
  FileChoice choose(RootDir root, std::string_view target, std::span<char> location);

  // After a kOk choice: opens the same path plus `suffix` (".br", ".gz") below `root_fd` when it
  // is a regular file, filling `st`; none otherwise. For precompressed representations.
  UniqueFd open_variant(int root_fd, std::string_view suffix, struct stat& st);

  http::MimeSniffer& sniffer() { return sniffer_; }

 private:
  RootDir root_;
  bool serve_dotfiles_;
  bool list_directories_ = false;
  bool hide_site_certificates_ = false;
  SmallFileCache* cache_ = nullptr;
  std::size_t max_cached_file_ = 0;
  std::vector<char> path_;
  std::size_t path_length_ = 0;  // of the last choice
  http::MimeSniffer sniffer_;
};

// openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS) for reading, non-blocking (a FIFO must not
// stall a worker) — or, where the kernel lacks openat2, a component-by-component walk that
// refuses every symlink. Returns the fd or -errno (-EXDEV for an escape attempt).
int open_beneath(int root_fd, const char* relative_path);

}  // namespace hybrid::server
