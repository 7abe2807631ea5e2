#include "hybrid/server/small_file_cache.h"

#include <fcntl.h>

#include <cstring>
#include <ctime>

namespace hybrid::server {
namespace {

bool same_file(const struct stat& a, const struct stat& b) {
  return a.st_dev == b.st_dev && a.st_ino == b.st_ino && a.st_size == b.st_size &&
         a.st_mtim.tv_sec == b.st_mtim.tv_sec && a.st_mtim.tv_nsec == b.st_mtim.tv_nsec &&
         S_ISREG(b.st_mode);
}

std::size_t cost_of(const std::string& key, const CachedFile& file) {
  return key.size() + file.resolved_path.size() + file.content.size() + file.content_type.size() +
         sizeof(CachedFile);
}

}  // namespace

bool too_recent_to_cache(const struct stat& st) {
  return st.st_mtim.tv_sec + 1 >= ::time(nullptr);
}

std::string SmallFileCache::key_of(int root_fd, std::string_view path, bool trailing_slash) {
  std::string key;
  key.reserve(path.size() + 16);
  key.append(reinterpret_cast<const char*>(&root_fd), sizeof root_fd);
  key += trailing_slash ? '/' : '-';
  key.append(path);
  return key;
}

const CachedFile* SmallFileCache::find(int root_fd, std::string_view path, bool trailing_slash,
                                       struct stat& st) {
  if (entries_.empty()) return nullptr;
  key_.clear();
  key_.append(reinterpret_cast<const char*>(&root_fd), sizeof root_fd);
  key_ += trailing_slash ? '/' : '-';
  key_.append(path);
  auto found = entries_.find(key_);
  if (found == entries_.end()) return nullptr;
  // The stat follows symlinks without RESOLVE_BENEATH, which is safe here: it only confirms the
  // identity of what openat2 resolved safely before. A different file — a symlink swapped to
  // point elsewhere included — fails the comparison and takes the full open path again.
  if (::fstatat(root_fd, found->second.resolved_path.c_str(), &st, 0) != 0 ||
      !same_file(found->second.st, st)) {
    return nullptr;
  }
  return &found->second;
}

const CachedFile* SmallFileCache::insert(int root_fd, std::string_view path, bool trailing_slash,
                                         CachedFile file) {
  std::string key = key_of(root_fd, path, trailing_slash);
  std::size_t cost = cost_of(key, file);
  if (cost > budget_) return nullptr;
  if (auto old = entries_.find(key); old != entries_.end()) {
    // A new version of a cached file takes the old one's place (and its place in order_).
    used_ = used_ - cost_of(old->first, old->second) + cost;
    old->second = std::move(file);
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
  return &entries_.emplace(std::move(key), std::move(file)).first->second;
}

}  // namespace hybrid::server
