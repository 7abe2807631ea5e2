#include "hybrid/server/file_change_monitor.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/inotify.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <string>

namespace hybrid::server {
namespace {

// Everything that can change what a path in the directory names or what the file holds. A
// directory watch reports these for the directory's entries too.
constexpr std::uint32_t kWatchMask = IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE | IN_CREATE |
                                     IN_DELETE | IN_DELETE_SELF | IN_MOVE_SELF | IN_MOVED_FROM |
                                     IN_MOVED_TO | IN_ONLYDIR;

bool reached_without_symlinks(int root_fd, std::string_view relative_path) {
  std::string path(relative_path);
  open_how how{};
  how.flags = O_PATH | O_CLOEXEC;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
  long fd = ::syscall(SYS_openat2, root_fd, path.c_str(), &how, sizeof how);
  if (fd < 0) return false;  // a symlink on the way, or no openat2 (then: no inotify trust)
  ::close(static_cast<int>(fd));
  return true;
}

}  // namespace

FileChangeMonitor::FileChangeMonitor(std::size_t max_watches)
    : fd_(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC)), max_watches_(max_watches) {}

FileChangeMonitor::~FileChangeMonitor() {
  if (fd_ >= 0) ::close(fd_);
}

bool FileChangeMonitor::add_watch(int root_fd, std::string_view directory) {
  if (watches_.load(std::memory_order_relaxed) >= max_watches_) return false;
  // inotify takes a path, not a directory fd: name the directory through the root's fd, so a
  // root swapped since start-up is the one watched.
  char path[4096];
  int length = std::snprintf(path, sizeof path, "/proc/self/fd/%d/%.*s", root_fd,
                             static_cast<int>(directory.size()), directory.data());
  if (length < 0 || static_cast<std::size_t>(length) >= sizeof path) return false;
  if (::inotify_add_watch(fd_, path, kWatchMask) < 0) return false;
  // Watching a directory again reuses its watch; counting it anyway only errs on the safe side.
  watches_.fetch_add(1, std::memory_order_relaxed);
  return true;
}

bool FileChangeMonitor::watch(int root_fd, std::string_view relative_path) {
  if (fd_ < 0 || !reached_without_symlinks(root_fd, relative_path)) return false;
  if (!add_watch(root_fd, "")) return false;
  for (std::size_t slash = relative_path.find('/'); slash != std::string_view::npos;
       slash = relative_path.find('/', slash + 1)) {
    if (!add_watch(root_fd, relative_path.substr(0, slash))) return false;
  }
  return true;
}

void FileChangeMonitor::on_readable() {
  alignas(inotify_event) char events[4096];
  bool changed = false;
  while (true) {
    ssize_t got = ::read(fd_, events, sizeof events);
    if (got > 0) {
      changed = true;  // any event, IN_Q_OVERFLOW and IN_IGNORED included, may mean a change
      continue;
    }
    if (got < 0 && errno == EINTR) continue;
    break;  // EAGAIN: drained
  }
  if (changed) generation_.fetch_add(1, std::memory_order_acq_rel);
}

}  // namespace hybrid::server
