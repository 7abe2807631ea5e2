// Name-based virtual hosts: the site for "Host: example.com" is DIR/example.com/, else
// DIR/default/. The table is built once at start-up and never changes, so workers read it
// without locks; a site added later needs a restart (as with nginx's reload).
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "hybrid/server/document_root.h"

namespace hybrid::server {

class VirtualHosts {
 public:
  // Opens every subdirectory of `directory` whose name is a valid host name (see
  // normalize_host); throws std::system_error when `directory` cannot be read.
  explicit VirtualHosts(const std::filesystem::path& directory);
  ~VirtualHosts();
  VirtualHosts(const VirtualHosts&) = delete;
  VirtualHosts& operator=(const VirtualHosts&) = delete;

  // The root directory for a Host value (any case, with or without ":port"), the "default"
  // site when the name is unknown or invalid, or fd -1 when there is neither (answered 421).
  RootDir root_for(std::string_view host) const;

  std::size_t size() const { return sites_.size(); }

 private:
  std::vector<std::pair<std::string, RootDir>> sites_;  // sorted by name
  RootDir default_;
};

// Lower-cases `host`, strips a ":port" (and the brackets of an IPv6 literal), and checks that what
// remains is a DNS name or IP literal that can never name a path outside the sites directory:
// letters, digits, '-', '.', ':' (IPv6) only, no leading '.', no "..". Writes into `out` (≥ 256
// bytes) and returns the length, or 0 when the host is invalid.
std::size_t normalize_host(std::string_view host, char* out, std::size_t capacity);

}  // namespace hybrid::server
