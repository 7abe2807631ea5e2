// Request routing by method and path, with patterns in the style of Go's ServeMux (1.22):
// "GET /api/items/{id}", "/health" (any method), "GET /assets/{path...}" (the rest of the path).
// Pure: no threads, no sockets. Built once, then matched from many threads (match() is const
// and keeps its scratch in the caller's RouteParams).
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hybrid::http {

inline constexpr std::size_t kMaxRouteParams = 16;

// The path parameters of one match: names view the Router's patterns, values the decoded
// segments kept here. Valid until the next match() with the same RouteParams. Reuse one per
// thread: after the first requests, matching allocates nothing.
class RouteParams {
 public:
  std::size_t size() const { return count_; }
  std::string_view name(std::size_t i) const { return slots_[i].name; }
  std::string_view value(std::size_t i) const {
    return std::string_view(values_).substr(slots_[i].offset, slots_[i].length);
  }
  std::optional<std::string_view> get(std::string_view name) const;

 private:
  friend class Router;
  struct Slot {
    std::string_view name;
    std::size_t offset = 0;
    std::size_t length = 0;
  };
  std::array<Slot, kMaxRouteParams> slots_{};
  std::size_t count_ = 0;
  std::string values_;   // decoded parameter values
  std::string decoded_;  // the decoded path segments, back to back
  std::vector<std::pair<std::size_t, std::size_t>> segments_;  // offset, length in decoded_
  std::string allow_;                                          // RouteMatch::allow
};

struct RouteMatch {
  enum class Kind : unsigned char {
    kFound,             // `route` answers it
    kMethodNotAllowed,  // the path has routes, none for this method: 405 with `allow`
    kOptions,           // OPTIONS without an OPTIONS route: 204 with `allow`
    kNotFound,          // no route has this path
    kBadRequest,        // the path has a malformed escape or a decoded NUL
  };
  Kind kind = Kind::kNotFound;
  std::size_t route = 0;
  // kMethodNotAllowed, kOptions: the methods the path's routes take ("GET, HEAD, OPTIONS"), in
  // the RouteParams given to match() (valid until its next match).
  std::string_view allow;
};

class Router {
 public:
  // Registers "[METHOD ]/path" and returns its id (0, 1, 2, ... in order). A segment is a
  // literal (percent-escapes allowed, compared decoded), "{name}" (one non-empty segment), or,
  // last only, "{name...}" (the rest of the path, possibly empty). Throws std::invalid_argument
  // for a malformed pattern, and for one that conflicts with an earlier one: the same shape
  // (literals, parameters and rest in the same places, whatever the names) and the same method,
  // or both without a method.
  std::size_t add(std::string_view pattern);

  // Routes `method` and the raw (percent-encoded) `path` of a request. Each '/'-separated
  // segment is decoded on its own, so "%2F" stays inside its segment. Among the routes whose
  // path matches and which take the method, the most specific wins: segment by segment from the
  // left, a literal beats a parameter beats the rest; on the same shape a route for the method
  // beats one without a method. GET routes answer HEAD too, unless the shape has a HEAD route.
  RouteMatch match(std::string_view method, std::string_view path, RouteParams& params) const;

  bool empty() const { return shapes_.empty(); }

 private:
  struct Segment {
    enum class Kind : unsigned char { kLiteral, kParam, kRest };
    Kind kind = Kind::kLiteral;
    std::string text;  // a literal, decoded; a parameter's name
  };
  struct Shape {
    std::vector<Segment> segments;
    std::vector<std::pair<std::string, std::size_t>> methods;  // method → route id
    std::size_t any_method = kNone;                            // the route without a method
  };
  static constexpr std::size_t kNone = ~std::size_t{0};

  static bool matches(const Shape& shape, const RouteParams& params);
  // Negative when `a` is more specific than `b`, positive when less, 0 when of the same shape.
  static int compare_specificity(const Shape& a, const Shape& b);
  static std::size_t route_for(const Shape& shape, std::string_view method);
  void fill_params(const Shape& shape, RouteParams& params) const;
  std::vector<Shape> shapes_;
  std::size_t routes_ = 0;
};

}  // namespace hybrid::http
