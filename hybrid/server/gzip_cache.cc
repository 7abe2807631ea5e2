#include "hybrid/server/gzip_cache.h"

#include <unistd.h>

#include <cerrno>

#include "hybrid/http/gzip.h"
#include "hybrid/server/small_file_cache.h"

namespace hybrid::server {

const std::string* GzipCache::compressed(int fd, const struct stat& st) {
  if (const std::string* cached = find(st)) return cached;
  const auto size = static_cast<std::size_t>(st.st_size);
  std::string source(size, '\0');
  std::size_t got = 0;
  while (got < size) {
    ssize_t n = ::pread(fd, source.data() + got, size - got, static_cast<off_t>(got));
    if (n > 0) {
      got += static_cast<std::size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      return nullptr;  // shrank or unreadable: serve the identity representation
    }
  }
  return compressed(source, st);
}

const std::string* GzipCache::find(const struct stat& st) {
  auto found = entries_.find(http::FileVersion::of(st));
  if (found == entries_.end()) return nullptr;
  hits_.add();
  return &found->second;
}

const std::string* GzipCache::compressed(std::string_view content, const struct stat& st) {
  if (const std::string* cached = find(st)) return cached;
  const http::FileVersion key = http::FileVersion::of(st);
  std::optional<std::string> gzipped = http::gzip_compress(content);
  compressions_.add();
  if (!gzipped || gzipped->size() >= content.size() || gzipped->size() > budget_) return nullptr;
  if (too_recent_to_cache(st)) {
    uncached_ = std::move(*gzipped);  // served once, compressed again next time
    return &uncached_;
  }

  while (used_ + gzipped->size() > budget_ && !order_.empty()) {
    auto oldest = entries_.find(order_.front());
    used_ -= oldest->second.size();
    entries_.erase(oldest);
    order_.pop_front();
  }
  used_ += gzipped->size();
  order_.push_back(key);
  return &entries_.emplace(key, std::move(*gzipped)).first->second;
}

}  // namespace hybrid::server
