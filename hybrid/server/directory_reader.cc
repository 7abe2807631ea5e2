#include "hybrid/server/directory_reader.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>
#include <memory>
#include <string>

#include "hybrid/server/file_responder.h"

namespace hybrid::server {
namespace {

struct DirCloser {
  void operator()(DIR* dir) const { ::closedir(dir); }
};
using UniqueDir = std::unique_ptr<DIR, DirCloser>;

http::Status status_for_error(int error) {
  return error == EMFILE || error == ENFILE || error == ENOMEM ? http::Status::kServiceUnavailable
                                                               : http::Status::kInternalServerError;
}

// Names a link cannot lead to: "." and "..", dotfiles unless shown, and names with a byte that
// http::normalize_path refuses in a request path (a control byte or '\').
bool listable_name(std::string_view name, bool show_dotfiles) {
  if (name == "." || name == "..") return false;
  if (name.front() == '.' && !show_dotfiles) return false;
  for (const char c : name) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f || c == '\\') return false;
  }
  return true;
}

// What a GET of "relative_path/name" would serve, for a symlink: its target's stat when the
// target is a regular file or directory that open_beneath() reaches from the root.
bool stat_link_as_get_would(int root_fd, int dir_fd, std::string_view relative_path,
                            const char* name, struct stat& st) {
  // Checked before opening, so a link to a device is never opened (opening can have effects).
  if (::fstatat(dir_fd, name, &st, 0) != 0 || !(S_ISREG(st.st_mode) || S_ISDIR(st.st_mode))) {
    return false;
  }
  std::string path(relative_path);
  if (!path.empty()) path.push_back('/');
  path.append(name);
  const int opened = open_beneath(root_fd, path.c_str());
  if (opened < 0) return false;  // it leads out of the root (EXDEV), or the walk refused it
  UniqueFd target(opened);
  return ::fstat(target.get(), &st) == 0 && (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode));
}

}  // namespace

http::Status read_directory(int root_fd, UniqueFd directory, std::string_view relative_path,
                            bool show_dotfiles, const DirectoryReadLimits& limits,
                            http::DirectoryListing& listing) {
  UniqueDir dir(::fdopendir(directory.get()));
  if (!dir) return status_for_error(errno);
  directory.release();  // the DIR owns it now
  const int dir_fd = ::dirfd(dir.get());

  std::size_t counted = 0;
  while (true) {
    errno = 0;
    const dirent* entry = ::readdir(dir.get());
    if (entry == nullptr) {
      if (errno != 0) return status_for_error(errno);
      break;
    }
    const std::string_view name(entry->d_name);
    if (!listable_name(name, show_dotfiles)) continue;
    if (listing.entries.size() >= limits.max_entries) {
      // Counted by name only: a FIFO among them is counted too.
      ++listing.omitted;
      if (++counted >= limits.max_counted) {
        listing.omitted_at_least = true;
        break;
      }
      continue;
    }
    struct stat st {};
    if (::fstatat(dir_fd, entry->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;  // gone
    if (S_ISLNK(st.st_mode) &&
        !stat_link_as_get_would(root_fd, dir_fd, relative_path, entry->d_name, st)) {
      continue;
    }
    if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) continue;  // GET would 404 it
    http::ListingEntry& listed = listing.entries.emplace_back();
    listed.name.assign(name);
    listed.directory = S_ISDIR(st.st_mode);
    listed.size = listed.directory ? 0 : static_cast<std::uint64_t>(st.st_size);
    listed.mtime = st.st_mtim.tv_sec;
  }
  http::sort_listing(listing.entries);
  return http::Status::kOk;
}

}  // namespace hybrid::server
