// Request routing with Go 1.22 ServeMux-style patterns ("GET /items/{id}", "/static/{path...}"):
// which of an application's routes answers a method and a path. Pure and allocation-free on the
// match path; the patterns are registered once at start-up, where mistakes throw.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace hybrid::http {

// At most this many wildcards in one pattern, so a match fills fixed slots (like kMaxHeaders).
inline constexpr std::size_t kMaxRouteParams = 16;

// The value kFound never carries: "no route".
inline constexpr std::size_t kNoRoute = std::numeric_limits<std::size_t>::max();

struct RouteParam {
  std::string_view name;   // into the Router: valid as long as the Router lives
  std::string_view value;  // percent-decoded, into RouteParams' scratch (see RouteParams)
};

// The wildcard values of the last match, owned by the caller and reused: keep one per thread (or
// per connection). Its scratch holds the decoded path and the Allow list; it grows to the longest
// path seen and never shrinks, so after warm-up — or after reserve() — match() never allocates.
// Every view in it (and RouteMatch::allow) stays valid until it is passed to match() again.
class RouteParams {
 public:
  // The value bound to {name} or {name...} by the matched route; nullopt when that route has no
  // such wildcard or the last match found no route. A {name...} that matched nothing gives "".
  std::optional<std::string_view> get(std::string_view name) const;

  // Every wildcard of the matched route, left to right.
  std::span<const RouteParam> all() const { return {slots_.data(), count_}; }

  // Makes room for `bytes` of scratch; Router::scratch_bytes() says how many a path needs.
  void reserve(std::size_t bytes);

 private:
  friend class Router;

  std::array<RouteParam, kMaxRouteParams> slots_{};
  std::size_t count_ = 0;
  std::vector<char> scratch_;
};

enum class RouteResult : std::uint8_t {
  kFound,             // `route` answers this method and path
  kNotFound,          // no route matches the path, whatever the method (→ 404)
  kMethodNotAllowed,  // routes match the path, none for this method (→ 405 with Allow)
  kOptions,     // OPTIONS, and no route for it matches: answer from `allow` (RFC 9110 §9.3.7)
  kBadRequest,  // the path has a malformed %-escape, a NUL, or no leading '/' (→ 400)
};

struct RouteMatch {
  RouteResult result = RouteResult::kNotFound;
  std::size_t route = kNoRoute;  // the id add() returned, for kFound
  // For kMethodNotAllowed and kOptions, the Allow field value (RFC 9110 §10.2.1), e.g.
  // "GET, HEAD, OPTIONS"; empty otherwise. Points into the RouteParams given to match().
  std::string_view allow;
};

// A routing table. Patterns are "[METHOD ]PATH":
//   - METHOD is any token (RFC 9110 §9.1, case-sensitive); without one the route takes every
//     method. A GET route also answers HEAD.
//   - PATH starts with '/' and is split on '/' into segments, each one of
//       literal    compared after percent-decoding both sides ("/caf%C3%A9" == "/café");
//       {name}     one non-empty segment, name = [A-Za-z_][A-Za-z0-9_]*;
//       {name...}  last only: the rest of the path after its '/', possibly empty.
//     "/static/{p...}" matches "/static/" and "/static/a/b.css" but not "/static"; a trailing
//     '/' without a wildcard is an ordinary (empty) segment, so "/docs/" matches only "/docs/".
//
// Precedence, when several patterns match a request: segments are compared left to right, and at
// each one a literal beats a {name} beats a {name...}; the first of those branches that leads to
// a route for the method wins (the others are tried only when it leads nowhere: backtracking).
// Among patterns of the same shape, the request's own method beats GET-for-HEAD beats no method.
// Two patterns conflict only when they have the same shape and the same method (or both none);
// overlapping shapes are ordered by the rule above (Go would reject some of them at registration).
//
// add() is for start-up, from one thread. match() is const and may then run on any number of
// threads at once, each with its own RouteParams.
class Router {
 public:
  Router();
  ~Router();
  Router(Router&&) noexcept;
  Router& operator=(Router&&) noexcept;
  Router(const Router&) = delete;
  Router& operator=(const Router&) = delete;

  // Registers a pattern and returns its route id: 0, 1, 2, … in registration order. Throws
  // std::invalid_argument, leaving the router as it was, for a malformed pattern, one with more
  // than kMaxRouteParams wildcards, a 65th distinct method, or one that conflicts with an earlier
  // pattern (the message names both).
  std::size_t add(std::string_view pattern);

  // Routes `method` (a request's method token) and `path` (the request-target's path as sent,
  // still percent-encoded, e.g. TargetParts::path). The path is split on its literal '/' first and
  // each segment is decoded after, so "%2F" stays inside a segment and a {name} can hold a '/'.
  // On kFound, `params` holds the route's wildcard values; otherwise it holds none.
  RouteMatch match(std::string_view method, std::string_view path, RouteParams& params) const;

  // How many routes were added, and the pattern of one of them, as given.
  std::size_t size() const { return patterns_.size(); }
  std::string_view pattern(std::size_t route) const { return patterns_.at(route); }

  // The scratch a match of a path of `path_bytes` needs: reserve it once to never allocate.
  std::size_t scratch_bytes(std::size_t path_bytes) const { return path_bytes + allow_bytes_; }

 private:
  struct Node;
  struct Search;
  struct RouteNames {
    std::size_t first = 0;  // index into param_names_
    std::size_t count = 0;
  };

  std::size_t method_index(std::string_view token) const;
  std::size_t add_method(std::string_view token);
  std::size_t write_allow(std::uint64_t methods, char* out) const;

  std::unique_ptr<Node> root_;
  // The patterns as given, by route id. A deque, so the parameter names viewing into them stay
  // put while routes are added.
  std::deque<std::string> patterns_;
  std::vector<RouteNames> route_names_;        // by route id
  std::vector<std::string_view> param_names_;  // every route's names, left to right
  // Method tokens by index (a bit in a 64-bit set). The first seven are the standard ones in the
  // order Allow lists them; allow_order_ puts the others after them, alphabetically.
  std::vector<std::string> methods_;
  std::vector<std::size_t> allow_order_;
  std::size_t allow_bytes_ = 0;  // the longest Allow value: every token with its ", "
};

}  // namespace hybrid::http
