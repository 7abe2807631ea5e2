// The document root as workers use it: an owning descriptor, an identity that is never reused,
// and the hand-over from the reactor (which replaces the root when a deploy swaps the directory)
// to the workers (which resolve every request below it).
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>

namespace hybrid::server {

// A root directory as a request sees it: the descriptor to resolve below, and an id no other
// directory opened by this process gets. Caches key on the id, never on the descriptor: once a
// replaced root is closed, its number goes to the next file opened.
struct RootDir {
  int fd = -1;
  std::uint64_t id = 0;  // 0: no root
};

// A fresh id for a directory just opened (thread-safe).
std::uint64_t new_root_id();

// Owns a root directory's descriptor; closes it with the last reference.
class DocumentRoot {
 public:
  // Opens `path` as a directory; null (errno set) when it cannot.
  static std::shared_ptr<const DocumentRoot> open(const std::filesystem::path& path);

  explicit DocumentRoot(int fd) : dir_{fd, new_root_id()} {}
  ~DocumentRoot();
  DocumentRoot(const DocumentRoot&) = delete;
  DocumentRoot& operator=(const DocumentRoot&) = delete;

  RootDir dir() const { return dir_; }

 private:
  RootDir dir_;
};

// The current root: published by the reactor, read by every worker on every request. Each
// publication moves a generation counter; a worker (RootView) keeps its own reference and takes
// the mutex only when the generation moved, so a request costs one acquire load — no lock, no
// reference-count traffic — and a replaced root closes once the last worker let go of it.
class SharedRoot {
 public:
  // Any thread (the reactor): `root` from now on; null while the root is missing.
  void publish(std::shared_ptr<const DocumentRoot> root);

  std::uint64_t generation() const { return generation_.load(std::memory_order_acquire); }

  // The root with the generation it was published under (takes the mutex).
  std::shared_ptr<const DocumentRoot> load(std::uint64_t& generation) const;

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const DocumentRoot> root_;  // guarded by mutex_
  std::atomic<std::uint64_t> generation_{0};  // written under mutex_
};

// One worker's reference to the current root. Not thread-safe: one per worker.
class RootView {
 public:
  explicit RootView(const SharedRoot& shared) : shared_(shared) {}

  // The root for the request at hand ({-1, 0} while it is missing), valid until the next call.
  RootDir current() {
    if (shared_.generation() != seen_) root_ = shared_.load(seen_);
    return root_ ? root_->dir() : RootDir{};
  }

 private:
  const SharedRoot& shared_;
  std::uint64_t seen_ = ~std::uint64_t{0};  // no generation yet
  std::shared_ptr<const DocumentRoot> root_;
};

}  // namespace hybrid::server
