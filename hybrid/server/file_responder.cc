#include "hybrid/server/file_responder.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <utility>

#include "hybrid/http/mime.h"
#include "hybrid/http/target.h"
#include "hybrid/server/certificates.h"

namespace hybrid::server {
namespace {

constexpr int kOpenFlags = O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY;
constexpr std::string_view kIndexFile = "index.html";

// The walk used when openat2 is missing (kernels before 5.6, or a seccomp filter that hides it).
int open_walking(int root_fd, const char* relative_path) {
  if (relative_path[0] == '/') return -EXDEV;
  int dir = root_fd;
  const char* segment = relative_path;
  while (true) {
    const char* slash = std::strchr(segment, '/');
    std::string name = slash ? std::string(segment, slash) : std::string(segment);
    if (name == "..") {
      // Callers pass normalised paths, but this walk is the last line of defence, not the first.
      if (dir != root_fd) ::close(dir);
      return -EXDEV;
    }
    int flags = kOpenFlags | O_NOFOLLOW | (slash ? O_DIRECTORY : 0);
    int next = ::openat(dir, name.c_str(), flags);
    int error = errno;
    if (dir != root_fd) ::close(dir);
    if (next < 0) return -error;
    if (!slash) return next;
    dir = next;
    segment = slash + 1;
  }
}

http::Status status_for_open_error(int error) {
  switch (error) {
    case ENOENT:
    case ENOTDIR:
    case ELOOP:  // a symlink we refuse to follow, or a loop
    case EXDEV:  // RESOLVE_BENEATH: the path would leave the root
    case ENAMETOOLONG:
      return http::Status::kNotFound;
    case EACCES:
    case EPERM:
      return http::Status::kForbidden;
    case EMFILE:
    case ENFILE:
    case ENOMEM:
      return http::Status::kServiceUnavailable;
    default:
      return http::Status::kInternalServerError;
  }
}

}  // namespace

int open_beneath(int root_fd, const char* relative_path) {
  static std::atomic<bool> have_openat2{true};  // every thread computes the same answer
  if (have_openat2.load(std::memory_order_relaxed)) {
    open_how how{};
    how.flags = kOpenFlags;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
    long fd = ::syscall(SYS_openat2, root_fd, relative_path, &how, sizeof how);
    if (fd >= 0) return static_cast<int>(fd);
    if (errno != ENOSYS) return -errno;
    have_openat2.store(false, std::memory_order_relaxed);
  }
  return open_walking(root_fd, relative_path);
}

// Room after the decoded path for "/index.html" and a representation suffix such as ".br".
constexpr std::size_t kPathSlack = 32;

FileResponder::FileResponder(int root_fd, std::size_t max_target, bool serve_dotfiles)
    : root_{root_fd, new_root_id()},
      serve_dotfiles_(serve_dotfiles),
      path_(max_target + kPathSlack) {}

namespace {

// Dotfiles (.git, .env, .htpasswd) are private by convention; /.well-known/ is public by RFC 8615.
bool names_hidden_file(std::string_view path) {
  for (std::size_t start = 0; start < path.size();) {
    std::size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view segment = path.substr(start, end - start);
    if (!segment.empty() && segment.front() == '.' && !(start == 0 && segment == ".well-known")) {
      return true;
    }
    start = end + 1;
  }
  return false;
}

}  // namespace

UniqueFd FileResponder::open_variant(int root_fd, std::string_view suffix, struct stat& st) {
  if (path_length_ == 0 || path_length_ + suffix.size() + 1 > path_.size()) return {};
  std::memcpy(path_.data() + path_length_, suffix.data(), suffix.size());
  path_[path_length_ + suffix.size()] = '\0';
  const int opened = open_beneath(root_fd, path_.data());
  path_[path_length_] = '\0';
  if (opened < 0) return {};
  UniqueFd fd(opened);
  if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) return {};
  return fd;
}

FileChoice FileResponder::choose(RootDir root, std::string_view target, std::span<char> location) {
  const int root_fd = root.fd;
  FileChoice choice;
  http::TargetParts parts;
  if (!http::split_target(target, parts)) {
    choice.status = http::Status::kBadRequest;
    return choice;
  }
  path_length_ = 0;
  std::span<char> path_room(path_.data(), path_.size() - kPathSlack);
  http::NormalizedPath normalized = http::normalize_path(parts.path, path_room);
  if (normalized.status != http::Status::kOk) {
    choice.status = normalized.status;
    return choice;
  }
  std::size_t length = normalized.length;
  path_[length] = '\0';
  if ((!serve_dotfiles_ && names_hidden_file(std::string_view(path_.data(), length))) ||
      (hide_site_certificates_ && is_certificate_file(std::string_view(path_.data(), length)))) {
    choice.status = http::Status::kNotFound;
    return choice;
  }
  const std::string_view request_path(path_.data(), length);
  if (cache_ != nullptr) {
    if (CachedFile* hit = cache_->find(root, request_path, normalized.trailing_slash, choice.st)) {
      std::memcpy(path_.data(), hit->resolved_path.data(), hit->resolved_path.size());
      path_length_ = hit->resolved_path.size();
      path_[path_length_] = '\0';
      choice.content = &hit->content;
      choice.cached = hit;
      choice.content_type = hit->content_type;
      choice.status = http::Status::kOk;
      return choice;
    }
  }
  const char* open_path = length == 0 ? "." : path_.data();

  const int opened = open_beneath(root_fd, open_path);
  if (opened < 0) {
    choice.status = status_for_open_error(-opened);
    return choice;
  }
  UniqueFd fd(opened);
  if (::fstat(fd.get(), &choice.st) != 0) {
    choice.status = http::Status::kInternalServerError;
    return choice;
  }

  std::string_view file_name(path_.data(), length);
  if (S_ISDIR(choice.st.st_mode)) {
    UniqueFd directory = std::move(fd);
    const std::size_t directory_length = length;
    if (!normalized.trailing_slash) {
      std::size_t written = http::encode_location_path(file_name, location);
      if (written == 0 || written + 2 + parts.query.size() > location.size()) {
        choice.status = http::Status::kUriTooLong;
        return choice;
      }
      location[written++] = '/';
      if (!parts.query.empty()) {
        location[written++] = '?';
        std::memcpy(location.data() + written, parts.query.data(), parts.query.size());
        written += parts.query.size();
      }
      choice.location_length = written;
      choice.status = http::Status::kMovedPermanently;
      return choice;
    }
    if (length > 0) path_[length++] = '/';
    std::memcpy(path_.data() + length, kIndexFile.data(), kIndexFile.size());
    length += kIndexFile.size();
    path_[length] = '\0';
    file_name = std::string_view(path_.data(), length);
    const int index = open_beneath(root_fd, path_.data());
    if (index == -ENOENT && list_directories_) {
      path_[directory_length] = '\0';
      choice.directory_path = std::string_view(path_.data(), directory_length);
      choice.fd = std::move(directory);
      choice.listing = true;
      choice.status = http::Status::kOk;
      return choice;
    }
    if (index < 0) {
      // A directory without an index is not listed unless asked to: 404 (nginx says 403; RFC
      // 9110 §15.5.5 lets a server hide a resource it will not show as 404).
      choice.status = status_for_open_error(-index);
      return choice;
    }
    directory.reset();
    fd.reset(index);
    if (::fstat(fd.get(), &choice.st) != 0) {
      choice.status = http::Status::kInternalServerError;
      return choice;
    }
  } else if (normalized.trailing_slash && length > 0) {
    // "/file.txt/" names a directory that does not exist.
    choice.status = http::Status::kNotFound;
    return choice;
  }

  if (!S_ISREG(choice.st.st_mode)) {  // FIFOs, sockets and devices are never served
    choice.status = http::Status::kNotFound;
    return choice;
  }

  if (auto type = http::mime_type_for_extension(file_name)) {
    choice.content_type = *type;
  } else {
    choice.content_type = sniffer_.content_type(fd.get(), choice.st);
  }
  choice.status = http::Status::kOk;
  path_length_ = length;
  if (cache_ != nullptr && static_cast<std::uint64_t>(choice.st.st_size) <= max_cached_file_ &&
      !too_recent_to_cache(choice.st)) {
    CachedFile snapshot;
    snapshot.content.resize(static_cast<std::size_t>(choice.st.st_size));
    std::size_t got = 0;
    while (got < snapshot.content.size()) {
      ssize_t n = ::pread(fd.get(), snapshot.content.data() + got, snapshot.content.size() - got,
                          static_cast<off_t>(got));
      if (n <= 0 && !(n < 0 && errno == EINTR)) break;
      if (n > 0) got += static_cast<std::size_t>(n);
    }
    if (got == snapshot.content.size()) {  // else it shrank under us: serve from the fd
      snapshot.resolved_path.assign(path_.data(), length);
      snapshot.st = choice.st;
      snapshot.content_type = choice.content_type;
      if (CachedFile* entry =
              cache_->insert(root, request_path, normalized.trailing_slash, std::move(snapshot))) {
        fd.reset();
        choice.content = &entry->content;
        choice.cached = entry;
        choice.content_type = entry->content_type;
      }
    }
  }
  choice.fd = std::move(fd);
  return choice;
}

}  // namespace hybrid::server
