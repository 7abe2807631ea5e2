#include "hybrid/server/small_file_cache.h"

#include <fcntl.h>

#include <cstring>
#include <ctime>

#include "hybrid/http/file_version.h"

namespace hybrid::server {
namespace {

bool same_file(const struct stat& a, const struct stat& b) {
  return http::FileVersion::of(a) == http::FileVersion::of(b) && S_ISREG(b.st_mode);
}

// Bounds how long a watched entry goes without a stat: inotify misses some changes (see
// FileChangeMonitor), and this is how late such a change may show.
constexpr std::int64_t kRecheckMs = 1000;

std::int64_t coarse_now_ms() {
  struct timespec now {};
  ::clock_gettime(CLOCK_MONOTONIC_COARSE, &now);  // vDSO: no syscall
  return static_cast<std::int64_t>(now.tv_sec) * 1000 + now.tv_nsec / 1'000'000;
}

std::size_t cost_of(const std::string& key, const CachedFile& file) {
  return key.size() + file.resolved_path.size() + file.content.size() + file.content_type.size() +
         sizeof(CachedFile);
}

}  // namespace

bool too_recent_to_cache(const struct stat& st) {
  return st.st_mtim.tv_sec + 1 >= ::time(nullptr);
}

std::string SmallFileCache::key_of(std::uint64_t root_id, std::string_view path,
                                   bool trailing_slash) {
  std::string key;
  key.reserve(path.size() + 16);
  key.append(reinterpret_cast<const char*>(&root_id), sizeof root_id);
  key += trailing_slash ? '/' : '-';
  key.append(path);
  return key;
}

CachedFile* SmallFileCache::find(RootDir root, std::string_view path, bool trailing_slash,
                                 struct stat& st) {
  CachedFile* entry = lookup(root, path, trailing_slash, st);
  (entry != nullptr ? hits_ : misses_).add();
  return entry;
}

CachedFile* SmallFileCache::lookup(RootDir root, std::string_view path, bool trailing_slash,
                                   struct stat& st) {
  if (entries_.empty()) return nullptr;
  key_.clear();
  key_.append(reinterpret_cast<const char*>(&root.id), sizeof root.id);
  key_ += trailing_slash ? '/' : '-';
  key_.append(path);
  auto found = entries_.find(key_);
  if (found == entries_.end()) return nullptr;
  CachedFile& entry = found->second;
  const std::int64_t now = coarse_now_ms();
  const std::uint64_t generation = monitor_ != nullptr ? monitor_->generation() : 0;
  if (entry.watched && entry.generation == generation && now - entry.checked_at_ms < kRecheckMs) {
    st = entry.st;
    return &entry;
  }
  // The stat follows symlinks without RESOLVE_BENEATH, which is safe here: it only confirms the
  // identity of what openat2 resolved safely before. A different file — a symlink swapped to
  // point elsewhere included — fails the comparison and takes the full open path again.
  if (::fstatat(root.fd, entry.resolved_path.c_str(), &st, 0) != 0 || !same_file(entry.st, st)) {
    return nullptr;
  }
  entry.generation = generation;
  entry.checked_at_ms = now;
  return &entry;
}

void SmallFileCache::start_watching(int root_fd, CachedFile& entry) {
  // A file with other hard links can change through a directory nobody watches.
  if (monitor_ == nullptr || entry.st.st_nlink != 1) return;
  if (!monitor_->watch(root_fd, entry.resolved_path)) return;
  // Watched from here on; a change between the snapshot and the watch shows in this stat.
  const std::uint64_t generation = monitor_->generation();
  struct stat now {};
  if (::fstatat(root_fd, entry.resolved_path.c_str(), &now, 0) != 0 || !same_file(entry.st, now)) {
    return;
  }
  entry.watched = true;
  entry.generation = generation;
  entry.checked_at_ms = coarse_now_ms();
}

CachedFile* SmallFileCache::insert(RootDir root, std::string_view path, bool trailing_slash,
                                   CachedFile file) {
  std::string key = key_of(root.id, path, trailing_slash);
  std::size_t cost = cost_of(key, file);
  if (cost > budget_) return nullptr;
  if (auto old = entries_.find(key); old != entries_.end()) {
    // A new version of a cached file takes the old one's place (and its place in order_).
    used_ = used_ - cost_of(old->first, old->second) + cost;
    old->second = std::move(file);
    start_watching(root.fd, old->second);
    return &old->second;
  }
  while (used_ + cost > budget_ && !order_.empty()) {
    if (auto oldest = entries_.find(order_.front()); oldest != entries_.end()) {
      used_ -= cost_of(oldest->first, oldest->second);
      entries_.erase(oldest);
    }
    order_.pop_front();
  }
  used_ += cost;
  order_.push_back(key);
  CachedFile& entry = entries_.emplace(std::move(key), std::move(file)).first->second;
  start_watching(root.fd, entry);
  return &entry;
}

}  // namespace hybrid::server
