#include "hybrid/server/document_root.h"

#include <fcntl.h>
#include <unistd.h>

#include <utility>

namespace hybrid::server {

std::uint64_t new_root_id() {
  static std::atomic<std::uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

std::shared_ptr<const DocumentRoot> DocumentRoot::open(const std::filesystem::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return nullptr;
  return std::make_shared<const DocumentRoot>(fd);
}

DocumentRoot::~DocumentRoot() {
  ::close(dir_.fd);
}

void SharedRoot::publish(std::shared_ptr<const DocumentRoot> root) {
  std::shared_ptr<const DocumentRoot> replaced;
  {
    std::lock_guard lock(mutex_);
    replaced = std::exchange(root_, std::move(root));
    generation_.fetch_add(1, std::memory_order_release);
  }
  // `replaced` closes here unless a worker still holds it (then with that worker's reference).
}

std::shared_ptr<const DocumentRoot> SharedRoot::load(std::uint64_t& generation) const {
  std::lock_guard lock(mutex_);
  generation = generation_.load(std::memory_order_relaxed);
  return root_;
}

}  // namespace hybrid::server
