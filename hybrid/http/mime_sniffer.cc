// libmagic behind a cache keyed by file identity.
#include "hybrid/http/mime_sniffer.h"

#include <errno.h>
#include <magic.h>
#include <unistd.h>

#include <array>
#include <stdexcept>
#include <string>
#include <utility>

#include "hybrid/http/mime.h"

namespace hybrid::http {
namespace {

// libmagic decides from the first bytes for nearly every format; 64 KiB is enough for its text
// and encoding heuristics and bounds the cost of a miss on a huge file.
constexpr std::size_t kSniffBytes = 64 * 1024;

// MAGIC_MIME = type and encoding, "text/plain; charset=us-ascii", a ready Content-Type.
// MAGIC_NO_CHECK_COMPRESS: never look inside compressed data (libmagic may spawn a decompressor;
// a crafted .gz must not cost us a process). MAGIC_ERROR: report failures instead of guessing.
constexpr int kMagicFlags = MAGIC_MIME | MAGIC_NO_CHECK_COMPRESS | MAGIC_ERROR;

magic_t as_magic(void* handle) {
  return static_cast<magic_t>(handle);
}

// libmagic results come from a database on disk, not from us: accept only what can safely go
// into a header line (printable ASCII, so no CR/LF injection) and looks like "type/subtype".
bool is_usable_header_value(std::string_view value) {
  if (value.empty() || value.find('/') == std::string_view::npos) return false;
  for (char c : value) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte >= 0x7f) return false;
  }
  return true;
}

// libmagic appends a charset to everything, but it only means something on text/* (a PDF with
// Latin-1 bytes comes back "application/pdf; charset=iso-8859-1"), and "binary" or
// "unknown-8bit" are libmagic's words, not charsets a browser knows. Drop the parameter rather
// than send a meaningless one.
std::string_view without_useless_charset(std::string_view type) {
  const std::size_t parameter = type.find("; charset=");
  if (parameter == std::string_view::npos) return type;
  const std::string_view charset = type.substr(parameter + 10);
  if (!type.starts_with("text/") || charset == "binary" || charset == "unknown-8bit") {
    return type.substr(0, parameter);
  }
  return type;
}

}  // namespace

MimeSniffer::MimeSniffer(std::size_t max_cached)
    // content_type() returns a view into the cache, so it must be able to hold one entry.
    : magic_(magic_open(kMagicFlags)), max_cached_(max_cached == 0 ? 1 : max_cached) {
  if (magic_ == nullptr) throw std::runtime_error("libmagic: magic_open failed");
  if (magic_load(as_magic(magic_), nullptr) != 0) {
    std::string message = "libmagic: cannot load the default database: ";
    const char* error = magic_error(as_magic(magic_));
    message += error ? error : "unknown error";
    magic_close(as_magic(magic_));
    throw std::runtime_error(message);
  }
  cache_.reserve(max_cached_);
}

MimeSniffer::~MimeSniffer() {
  magic_close(as_magic(magic_));
}

std::string_view MimeSniffer::content_type(int fd, const struct stat& st) {
  // An edited file is another version, so it is sniffed again.
  const FileVersion key = FileVersion::of(st);
  if (auto found = cache_.find(key); found != cache_.end()) return found->second;

  std::string type = sniff(fd);
  // Bounded by dropping everything when full: simpler than LRU and never wrong, and the working
  // set of files without a known extension is small on real sites. Clearing also invalidates the
  // view returned by the previous call, which the contract allows.
  if (cache_.size() >= max_cached_) cache_.clear();
  return cache_.emplace(key, std::move(type)).first->second;
}

std::string MimeSniffer::sniff(int fd) {
  // pread, not magic_descriptor: it leaves the file offset alone (the responder may be using it)
  // and bounds how much libmagic reads.
  std::array<char, kSniffBytes> buffer;
  std::size_t filled = 0;
  while (filled < buffer.size()) {
    const ssize_t got =
        ::pread(fd, buffer.data() + filled, buffer.size() - filled, static_cast<off_t>(filled));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return std::string(kOctetStream);
    if (got == 0) break;
    filled += static_cast<std::size_t>(got);
  }
  // An empty file has no content to describe; libmagic would say "application/x-empty", which no
  // browser knows. Bytes of nothing are served as bytes.
  if (filled == 0) return std::string(kOctetStream);

  ++magic_calls_;
  const char* result = magic_buffer(as_magic(magic_), buffer.data(), filled);
  if (result == nullptr) return std::string(kOctetStream);
  const std::string_view type = without_useless_charset(result);
  // Sniffing must never promote a file to something a browser executes as a page: only the
  // extension (the site author's explicit choice) may do that.
  if (!is_usable_header_value(type) || is_active_content_type(type) ||
      type.starts_with("application/x-empty") || type.starts_with("inode/")) {
    return std::string(kOctetStream);
  }
  return std::string(type);
}

}  // namespace hybrid::http
