#include "hybrid/server/virtual_hosts.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <system_error>

namespace hybrid::server {

std::size_t normalize_host(std::string_view host, char* out, std::size_t capacity) {
  if (host.empty()) return 0;
  if (host.front() == '[') {  // "[::1]:8080" → "::1"
    std::size_t close = host.find(']');
    if (close == std::string_view::npos) return 0;
    host = host.substr(1, close - 1);
  } else if (std::size_t colon = host.find(':'); colon != std::string_view::npos) {
    host = host.substr(0, colon);
  }
  if (host.empty() || host.size() >= capacity || host.front() == '.') return 0;
  for (std::size_t i = 0; i < host.size(); ++i) {
    char c = host[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    bool allowed =
        (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == ':';
    if (!allowed) return 0;
    if (c == '.' && i > 0 && out[i - 1] == '.') return 0;  // ".." could climb out of the directory
    out[i] = c;
  }
  // A trailing dot names the same host (RFC 1034 absolute name); "example.com." → "example.com".
  std::size_t length = host.size();
  if (out[length - 1] == '.') --length;
  return length;
}

VirtualHosts::VirtualHosts(const std::filesystem::path& directory) {
  int dir_fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0) {
    throw std::system_error(errno, std::generic_category(),
                            "virtual hosts directory '" + directory.string() + "'");
  }
  DIR* listing = ::fdopendir(::dup(dir_fd));
  if (listing == nullptr) {
    int error = errno;
    ::close(dir_fd);
    throw std::system_error(error, std::generic_category(),
                            "virtual hosts directory '" + directory.string() + "'");
  }
  std::array<char, 256> name{};
  while (dirent* entry = ::readdir(listing)) {
    std::string_view entry_name(entry->d_name);
    std::size_t length = normalize_host(entry_name, name.data(), name.size());
    // Only names that are already in normal form: "Example.com" or "a.com:80" would be
    // unreachable duplicates.
    if (length == 0 || std::string_view(name.data(), length) != entry_name) continue;
    int site_fd = ::openat(dir_fd, entry->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (site_fd < 0) continue;  // a file, or unreadable: not a site
    if (entry_name == "default") {
      default_ = {site_fd, new_root_id()};
    } else {
      sites_.emplace_back(std::string(entry_name), RootDir{site_fd, new_root_id()});
    }
  }
  ::closedir(listing);
  ::close(dir_fd);
  std::sort(sites_.begin(), sites_.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
}

VirtualHosts::~VirtualHosts() {
  for (auto& site : sites_) ::close(site.second.fd);
  if (default_.fd >= 0) ::close(default_.fd);
}

RootDir VirtualHosts::root_for(std::string_view host) const {
  std::array<char, 256> name{};
  std::size_t length = normalize_host(host, name.data(), name.size());
  if (length == 0) return default_;
  std::string_view key(name.data(), length);
  auto found = std::lower_bound(sites_.begin(), sites_.end(), key,
                                [](const auto& site, std::string_view wanted) {
                                  return std::string_view(site.first) < wanted;
                                });
  if (found != sites_.end() && found->first == key) return found->second;
  return default_;
}

}  // namespace hybrid::server
