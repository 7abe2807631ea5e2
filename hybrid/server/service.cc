#include "hybrid/server/service.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>
#include <system_error>

namespace hybrid::server {

Service::~Service() {
  for (const Route& route : routes_) {
    if (route.mount.fd >= 0) ::close(route.mount.fd);
  }
}

void Service::add_route(std::string_view pattern, Handler handler, RouteOptions options) {
  if (!handler) throw std::invalid_argument("route '" + std::string(pattern) + "': no handler");
  const std::size_t id = router_.add(pattern);
  if (id != routes_.size()) throw std::logic_error("route ids out of step");
  routes_.push_back({std::move(handler), {}, options, RootDir{}, 0, std::string(pattern)});
  has_blocking_ |= options.blocking;
}

void Service::add_route(std::string_view pattern, SimpleHandler handler, RouteOptions options) {
  if (!handler) throw std::invalid_argument("route '" + std::string(pattern) + "': no handler");
  const std::size_t id = router_.add(pattern);
  if (id != routes_.size()) throw std::logic_error("route ids out of step");
  routes_.push_back({{}, std::move(handler), options, RootDir{}, 0, std::string(pattern)});
  has_blocking_ |= options.blocking;
}

void Service::add_mount(std::string_view prefix, const std::filesystem::path& directory) {
  // "/assets" and "/assets/" both mount at "/assets/"; "/" is the document root's place.
  while (prefix.size() > 1 && prefix.back() == '/') prefix.remove_suffix(1);
  if (prefix.empty() || prefix.front() != '/' || prefix == "/" ||
      prefix.find_first_of("{}?#") != std::string_view::npos) {
    throw std::invalid_argument("mount prefix '" + std::string(prefix) +
                                "': must be a path like /assets (the root is ServerOptions::root)");
  }
  int fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    throw std::system_error(errno, std::generic_category(),
                            "mounted directory '" + directory.string() + "'");
  }
  std::size_t id = 0;
  try {
    id = router_.add("GET " + std::string(prefix) + "/{path...}");
  } catch (...) {
    ::close(fd);
    throw;
  }
  if (id != routes_.size()) throw std::logic_error("route ids out of step");
  routes_.push_back({Handler{}, SimpleHandler{},
                     RouteOptions{.blocking = false, .read_body = false},
                     RootDir{fd, new_root_id()}, prefix.size(), std::string(prefix) + "/"});
}

}  // namespace hybrid::server
