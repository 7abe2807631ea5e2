// Reading a directory for a listing (--autoindex): which entries a GET could fetch, with their
// sizes and times. Runs on a worker thread; the work per request is bounded (see the limits).
#pragma once

#include <cstddef>
#include <string_view>

#include "hybrid/http/directory_listing.h"
#include "hybrid/http/status.h"
#include "hybrid/server/unique_fd.h"

namespace hybrid::server {

struct DirectoryReadLimits {
  // Entries listed at most: the first this many the directory yields (readdir order, not name
  // order), then sorted. 10 000 rows are ~1.5 MB of HTML; no one reads further, and the time a
  // worker spends (one fstatat each, ~10 ms in all) stays short.
  std::size_t max_entries = 10'000;
  // Beyond max_entries the rest are only counted by name (no stat), up to this many; past it the
  // count is a lower bound, so a directory of millions of entries never holds a worker for long.
  std::size_t max_counted = 1'000'000;
};

// Fills `listing.entries` (sorted, http::sort_listing) and `listing.omitted` from `directory`, an
// open directory at `relative_path` below `root_fd` (both from FileResponder::choose(); the
// descriptor is consumed). The directory is read through its descriptor and entries are
// examined with fstatat relative to it, never by a path string joined by hand.
//
// An entry is listed only when a GET of its link would serve it:
//  - regular files and directories; FIFOs, sockets and devices are left out (GET is 404);
//  - a symlink is listed only if opening "relative_path/name" with open_beneath() from the root
//    (what a GET does) succeeds, reported as its target (type, size, mtime): a link that leads
//    out of the root, dangles, or names a FIFO is left out, and nothing is reported about files
//    outside the root;
//  - names starting with '.' unless `show_dotfiles` (/.well-known/ too: only GET makes that
//    exception), and names a request path cannot carry (a control byte or '\', which
//    http::normalize_path refuses).
// Returns kOk, or the status for a directory that could not be read (503 when out of
// descriptors or memory, else 500).
http::Status read_directory(int root_fd, UniqueFd directory, std::string_view relative_path,
                            bool show_dotfiles, const DirectoryReadLimits& limits,
                            http::DirectoryListing& listing);

}  // namespace hybrid::server
