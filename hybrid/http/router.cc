#include "hybrid/http/router.h"

#include <algorithm>
#include <stdexcept>

#include "hybrid/http/query.h"
#include "hybrid/http/syntax.h"

namespace hybrid::http {
namespace {

[[noreturn]] void reject(std::string_view pattern, std::string_view why) {
  throw std::invalid_argument("route pattern '" + std::string(pattern) + "': " + std::string(why));
}

bool is_name(std::string_view name) {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    if (!letter && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

// The order methods appear in Allow; others follow alphabetically.
constexpr std::string_view kMethodOrder[] = {"GET",   "HEAD",   "POST",   "PUT",
                                             "PATCH", "DELETE", "OPTIONS"};

std::size_t method_rank(std::string_view method) {
  for (std::size_t i = 0; i < std::size(kMethodOrder); ++i) {
    if (kMethodOrder[i] == method) return i;
  }
  return std::size(kMethodOrder);
}

}  // namespace

std::optional<std::string_view> RouteParams::get(std::string_view name) const {
  for (std::size_t i = 0; i < count_; ++i) {
    if (slots_[i].name == name) return value(i);
  }
  return std::nullopt;
}

std::size_t Router::add(std::string_view pattern) {
  std::string_view method;
  std::string_view path = pattern;
  if (const std::size_t space = pattern.find(' '); space != std::string_view::npos) {
    method = pattern.substr(0, space);
    path = pattern.substr(space + 1);
    if (method.empty()) reject(pattern, "empty method");
    for (char c : method) {
      if (!is_tchar(c)) reject(pattern, "the method is not a token");
    }
  }
  if (path.empty() || path.front() != '/') reject(pattern, "the path must start with '/'");

  Shape shape;
  std::size_t params = 0;
  std::string_view rest = path.substr(1);
  while (true) {
    const std::size_t slash = rest.find('/');
    const std::string_view text = rest.substr(0, slash);
    if (!shape.segments.empty() && shape.segments.back().kind == Segment::Kind::kRest) {
      reject(pattern, "{name...} must be the last segment");
    }
    Segment segment;
    if (!text.empty() && text.front() == '{') {
      if (text.back() != '}') reject(pattern, "a '{' segment must end with '}'");
      std::string_view name = text.substr(1, text.size() - 2);
      segment.kind = Segment::Kind::kParam;
      if (name.size() > 3 && name.substr(name.size() - 3) == "...") {
        name.remove_suffix(3);
        segment.kind = Segment::Kind::kRest;
      }
      if (!is_name(name)) reject(pattern, "a parameter needs a name of letters, digits and '_'");
      for (const Segment& earlier : shape.segments) {
        if (earlier.kind != Segment::Kind::kLiteral && earlier.text == name) {
          reject(pattern, "the parameter name '" + std::string(name) + "' is used twice");
        }
      }
      if (++params > kMaxRouteParams) reject(pattern, "more than 16 parameters");
      segment.text = name;
    } else {
      if (text.find_first_of("{}") != std::string_view::npos) {
        reject(pattern, "'{' and '}' may only enclose a whole segment");
      }
      if (!percent_decode(text, segment.text)) reject(pattern, "a malformed %-escape");
    }
    shape.segments.push_back(std::move(segment));
    if (slash == std::string_view::npos) break;
    rest = rest.substr(slash + 1);
  }

  auto same_shape = [&shape](const Shape& other) {
    if (other.segments.size() != shape.segments.size()) return false;
    for (std::size_t i = 0; i < shape.segments.size(); ++i) {
      const Segment& a = shape.segments[i];
      const Segment& b = other.segments[i];
      if (a.kind != b.kind) return false;
      if (a.kind == Segment::Kind::kLiteral && a.text != b.text) return false;
    }
    return true;
  };
  auto existing = std::find_if(shapes_.begin(), shapes_.end(), same_shape);
  if (existing != shapes_.end()) {
    // Parameter names come from the first route of a shape; a later one must use the same, or
    // its handler would look up names that are not there.
    for (std::size_t i = 0; i < shape.segments.size(); ++i) {
      if (shape.segments[i].text != existing->segments[i].text) {
        reject(pattern, "the same shape as an earlier route with other parameter names");
      }
    }
  } else {
    shapes_.push_back(std::move(shape));
    existing = shapes_.end() - 1;
  }
  const std::size_t id = routes_;
  if (method.empty()) {
    if (existing->any_method != kNone) reject(pattern, "conflicts with an earlier route");
    existing->any_method = id;
  } else {
    for (const auto& [taken, route] : existing->methods) {
      if (taken == method) reject(pattern, "conflicts with an earlier route");
    }
    existing->methods.emplace_back(std::string(method), id);
  }
  ++routes_;
  return id;
}

bool Router::matches(const Shape& shape, const RouteParams& params) {
  const std::size_t count = params.segments_.size();
  const std::size_t length = shape.segments.size();
  const bool has_rest = shape.segments.back().kind == Segment::Kind::kRest;
  if (has_rest ? count < length : count != length) return false;
  for (std::size_t i = 0; i < length; ++i) {
    const Segment& segment = shape.segments[i];
    const auto [offset, size] = params.segments_[i];
    switch (segment.kind) {
      case Segment::Kind::kLiteral:
        if (std::string_view(params.decoded_).substr(offset, size) != segment.text) return false;
        break;
      case Segment::Kind::kParam:
        if (size == 0) return false;
        break;
      case Segment::Kind::kRest:
        return true;
    }
  }
  return true;
}

int Router::compare_specificity(const Shape& a, const Shape& b) {
  const std::size_t length = std::min(a.segments.size(), b.segments.size());
  for (std::size_t i = 0; i < length; ++i) {
    const auto kind_a = a.segments[i].kind;
    const auto kind_b = b.segments[i].kind;
    if (kind_a != kind_b) return kind_a < kind_b ? -1 : 1;  // literal < param < rest
  }
  return 0;
}

std::size_t Router::route_for(const Shape& shape, std::string_view method) {
  std::size_t get = kNone;
  for (const auto& [taken, route] : shape.methods) {
    if (taken == method) return route;
    if (taken == "GET") get = route;
  }
  if (method == "HEAD" && get != kNone) return get;
  return shape.any_method;
}

void Router::fill_params(const Shape& shape, RouteParams& params) const {
  params.count_ = 0;
  params.values_.clear();
  for (std::size_t i = 0; i < shape.segments.size(); ++i) {
    const Segment& segment = shape.segments[i];
    if (segment.kind == Segment::Kind::kLiteral) continue;
    RouteParams::Slot& slot = params.slots_[params.count_++];
    slot.name = segment.text;
    slot.offset = params.values_.size();
    const std::size_t last = segment.kind == Segment::Kind::kRest ? params.segments_.size() : i + 1;
    for (std::size_t j = i; j < last; ++j) {
      if (j > i) params.values_.push_back('/');
      const auto [offset, size] = params.segments_[j];
      params.values_.append(params.decoded_, offset, size);
    }
    slot.length = params.values_.size() - slot.offset;
  }
}

RouteMatch Router::match(std::string_view method, std::string_view path,
                         RouteParams& params) const {
  RouteMatch result;
  params.count_ = 0;
  params.decoded_.clear();
  params.segments_.clear();
  if (path.empty() || path.front() != '/') return result;
  std::string_view rest = path.substr(1);
  while (true) {
    const std::size_t slash = rest.find('/');
    const std::size_t offset = params.decoded_.size();
    if (!percent_decode(rest.substr(0, slash), params.decoded_)) {
      result.kind = RouteMatch::Kind::kBadRequest;
      return result;
    }
    params.segments_.emplace_back(offset, params.decoded_.size() - offset);
    if (slash == std::string_view::npos) break;
    rest = rest.substr(slash + 1);
  }

  const Shape* best = nullptr;
  std::size_t best_route = kNone;
  bool path_known = false;
  for (const Shape& shape : shapes_) {
    if (!matches(shape, params)) continue;
    path_known = true;
    const std::size_t route = route_for(shape, method);
    if (route == kNone) continue;
    if (best == nullptr || compare_specificity(shape, *best) < 0) {
      best = &shape;
      best_route = route;
    }
  }
  if (best != nullptr) {
    fill_params(*best, params);
    result.kind = RouteMatch::Kind::kFound;
    result.route = best_route;
    return result;
  }
  if (!path_known) return result;

  // 405 or OPTIONS: every method some route of this path takes (RFC 9110 §10.2.1).
  std::vector<std::string_view> methods;
  for (const Shape& shape : shapes_) {
    if (!matches(shape, params)) continue;
    for (const auto& entry : shape.methods) {
      methods.push_back(entry.first);
      if (entry.first == "GET") methods.push_back("HEAD");
    }
  }
  methods.push_back("OPTIONS");
  std::sort(methods.begin(), methods.end(), [](std::string_view a, std::string_view b) {
    const std::size_t rank_a = method_rank(a);
    const std::size_t rank_b = method_rank(b);
    return rank_a != rank_b ? rank_a < rank_b : a < b;
  });
  methods.erase(std::unique(methods.begin(), methods.end()), methods.end());
  params.allow_.clear();
  for (std::string_view taken : methods) {
    if (!params.allow_.empty()) params.allow_.append(", ");
    params.allow_.append(taken);
  }
  result.kind =
      method == "OPTIONS" ? RouteMatch::Kind::kOptions : RouteMatch::Kind::kMethodNotAllowed;
  result.allow = params.allow_;
  return result;
}

}  // namespace hybrid::http
