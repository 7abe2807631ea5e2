// A service's routes, mounts and hooks: what a worker consults to decide who answers a request.
// Filled before Server::run() on the application's thread, read-only afterwards (published to
// the workers by the thread start and the job queue), so workers read it without locks.
#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "hybrid/http/router.h"
#include "hybrid/server/document_root.h"
#include "hybrid/server/handler.h"

namespace hybrid::server {

struct ServiceHooks {
  BeforeHook before;
  AfterHook after;
  ErrorFormatter error;
};

// One routing table entry: a handler, or a mounted directory.
struct Route {
  Handler handler;       // empty for a mount, or when `simple` is set
  SimpleHandler simple;  // returns its response: called without a ResponseExchange
  RouteOptions options;
  RootDir mount;                  // a mount: its directory (owned by Service); fd -1 otherwise
  std::size_t prefix_length = 0;  // a mount: target bytes before the path inside the directory
  std::string label;              // for metrics: the pattern as registered, or the mount prefix
};

class Service {
 public:
  Service() = default;
  ~Service();
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  // Throw std::invalid_argument (bad or conflicting pattern, bad prefix) or std::system_error
  // (a directory that cannot be opened).
  void add_route(std::string_view pattern, Handler handler, RouteOptions options);
  void add_route(std::string_view pattern, SimpleHandler handler, RouteOptions options);
  void add_mount(std::string_view prefix, const std::filesystem::path& directory);

  // No routes and no mounts: the whole site is the document root, as for hybridd.
  bool empty() const { return routes_.empty(); }
  bool has_blocking_routes() const { return has_blocking_; }
  const http::Router& router() const { return router_; }
  const Route& route(std::size_t id) const { return routes_[id]; }
  std::size_t route_count() const { return routes_.size(); }

  ServiceHooks hooks;

 private:
  http::Router router_;
  std::vector<Route> routes_;  // by route id
  bool has_blocking_ = false;
};

}  // namespace hybrid::server
