// Tells the small-file caches when something they hold may have changed on disk, so a cache hit
// needs no stat: the directories above each cached file are watched with inotify, the reactor
// reads the events, and any event moves a generation number that every cache entry compares
// against. Coarse on purpose: an event anywhere in a watched directory makes every entry
// re-validate once with a stat, which is cheap, and nothing finer-grained can be wrong.
//
// What inotify cannot see — writes through a shared mmap, another hard link's directory, a
// network filesystem changed by another machine — is caught by the caches' own stat at least
// once a second per entry (see SmallFileCache), as a cache without inotify would.
//
// watch() and generation() are thread-safe (the workers call them); on_readable() belongs to
// the one thread that polls fd().
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace hybrid::server {

class FileChangeMonitor {
 public:
  // Opens the inotify instance; enabled() is false when the system refuses one (then every
  // watch() fails and the caches stat every hit).
  explicit FileChangeMonitor(std::size_t max_watches = 8192);
  ~FileChangeMonitor();
  FileChangeMonitor(const FileChangeMonitor&) = delete;
  FileChangeMonitor& operator=(const FileChangeMonitor&) = delete;

  bool enabled() const { return fd_ >= 0; }
  int fd() const { return fd_; }

  // Watches every directory from `root_fd` down to the one holding `relative_path` (a regular
  // file below the root, reached without symlinks). True when all of them are watched; false
  // when a component is a symlink (the file could change through a path nobody watches), or
  // inotify refused (watch limit, no instance). Costs a few syscalls: call it when caching, not
  // per request.
  bool watch(int root_fd, std::string_view relative_path);

  // Moves on whenever a watched directory may have changed. Read it before a validating stat,
  // so a change that lands after the stat still moves it.
  std::uint64_t generation() const { return generation_.load(std::memory_order_acquire); }

  // Drains the pending events (fd() polled readable).
  void on_readable();

 private:
  bool add_watch(int root_fd, std::string_view directory);

  int fd_ = -1;
  std::size_t max_watches_;
  std::atomic<std::size_t> watches_{0};
  std::atomic<std::uint64_t> generation_{1};
};

}  // namespace hybrid::server
