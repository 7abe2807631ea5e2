// The routing table is a tree with one level per path segment. Each node has its literal children
// (sorted, found by binary search), at most one {name} child — names don't take part in the
// shape, so "/a/{x}" and "/a/{y}" share it, which is how conflicts are found — and two endpoints:
// the routes whose pattern ends at this node, and those whose {name...} starts here. Since a node
// at depth d can only ever be compared with the path's segment d, a match visits each node at most
// once, backtracking included: the cost is bounded by the tree, never exponential.
#include "hybrid/http/router.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <utility>

#include "hybrid/http/syntax.h"

namespace hybrid::http {
namespace {

// Methods are bits of a 64-bit set; a 65th distinct token is refused at registration.
constexpr std::size_t kMaxMethods = 64;
constexpr std::size_t kNoMethod = kMaxMethods;

// The standard methods, in the order an Allow value lists them; indices 0..6 of every router.
constexpr std::string_view kStandardMethods[] = {"GET",   "HEAD",   "POST",   "PUT",
                                                 "PATCH", "DELETE", "OPTIONS"};
constexpr std::size_t kGet = 0;
constexpr std::size_t kHead = 1;
constexpr std::size_t kOptionsMethod = 6;

constexpr std::uint64_t bit(std::size_t method) {
  return std::uint64_t{1} << method;
}

constexpr int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

constexpr std::size_t kBadEscape = std::string_view::npos;

// Percent-decodes `raw` into `out` (room for raw.size() bytes); returns the decoded size, or
// kBadEscape for a malformed escape (RFC 3986 §2.1) or a NUL, which no handler should have to
// consider (it truncates C strings and file names).
std::size_t percent_decode(std::string_view raw, char* out) {
  std::size_t size = 0;
  for (std::size_t i = 0; i < raw.size(); ++i) {
    char c = raw[i];
    if (c == '%') {
      if (i + 2 >= raw.size()) return kBadEscape;
      const int high = hex_value(raw[i + 1]);
      const int low = hex_value(raw[i + 2]);
      if (high < 0 || low < 0) return kBadEscape;
      c = static_cast<char>(high * 16 + low);
      i += 2;
    }
    if (c == '\0') return kBadEscape;
    out[size++] = c;
  }
  return size;
}

constexpr bool is_name_start(char c) {
  return is_alpha(c) || c == '_';
}

constexpr bool is_name(std::string_view name) {
  if (name.empty() || !is_name_start(name.front())) return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return is_name_start(c) || is_digit(c); });
}

enum class SegmentKind : std::uint8_t { kLiteral, kParam, kRest };

struct PatternSegment {
  SegmentKind kind = SegmentKind::kLiteral;
  std::string literal;        // decoded, for kLiteral
  std::size_t name_at = 0;    // the wildcard's name, as an offset into the pattern
  std::size_t name_size = 0;  // (the pattern is copied later; views would dangle)
};

struct ParsedPattern {
  std::string_view method;  // empty: every method
  std::vector<PatternSegment> segments;
};

[[noreturn]] void reject(std::string_view pattern, std::string_view why) {
  std::string message = "router: pattern \"";
  message.append(pattern).append("\": ").append(why);
  throw std::invalid_argument(message);
}

ParsedPattern parse_pattern(std::string_view pattern) {
  ParsedPattern parsed;
  std::size_t at = 0;
  if (const std::size_t space = pattern.find(' '); space != std::string_view::npos) {
    parsed.method = pattern.substr(0, space);
    if (parsed.method.empty() ||
        !std::all_of(parsed.method.begin(), parsed.method.end(), is_tchar)) {
      reject(pattern, "the method must be a token (RFC 9110 §9.1) followed by one space");
    }
    at = space + 1;
  }
  if (pattern.substr(at, 1) != "/") reject(pattern, "the path must start with '/'");
  for (std::size_t i = at; i < pattern.size(); ++i) {
    const auto byte = static_cast<unsigned char>(pattern[i]);
    // Such a byte never arrives in a request path (RFC 9112 §3.2), so the route could not match.
    if (byte <= 0x20 || byte == 0x7f) reject(pattern, "the path holds a space or control byte");
    if (byte == '?' || byte == '#') reject(pattern, "the path holds '?' or '#'");
  }

  ++at;  // past the leading '/'
  std::size_t wildcards = 0;
  while (true) {
    std::size_t end = pattern.find('/', at);
    if (end == std::string_view::npos) end = pattern.size();
    const std::string_view text = pattern.substr(at, end - at);
    PatternSegment segment;
    if (text.starts_with('{')) {
      if (text.size() < 2 || !text.ends_with('}')) {
        reject(pattern, "a wildcard must be a whole segment: '{' without a closing '}'");
      }
      std::string_view name = text.substr(1, text.size() - 2);
      segment.kind = SegmentKind::kParam;
      if (name.ends_with("...")) {
        name.remove_suffix(3);
        segment.kind = SegmentKind::kRest;
        if (end != pattern.size()) reject(pattern, "a {name...} wildcard must be the last segment");
      }
      if (!is_name(name)) {
        reject(pattern,
               "a wildcard name must be [A-Za-z_][A-Za-z0-9_]*: {" + std::string(name) + "}");
      }
      for (const PatternSegment& earlier : parsed.segments) {
        if (earlier.kind != SegmentKind::kLiteral &&
            pattern.substr(earlier.name_at, earlier.name_size) == name) {
          reject(pattern, "the wildcard name {" + std::string(name) + "} appears twice");
        }
      }
      if (++wildcards > kMaxRouteParams) {
        reject(pattern, "more than " + std::to_string(kMaxRouteParams) + " wildcards");
      }
      segment.name_at = static_cast<std::size_t>(name.data() - pattern.data());
      segment.name_size = name.size();
    } else {
      if (text.find_first_of("{}") != std::string_view::npos) {
        reject(pattern, "'{' or '}' inside a segment (a wildcard must be a whole segment)");
      }
      segment.literal.resize(text.size());
      const std::size_t size = percent_decode(text, segment.literal.data());
      if (size == kBadEscape) reject(pattern, "malformed %-escape or %00 in a literal segment");
      segment.literal.resize(size);
    }
    parsed.segments.push_back(std::move(segment));
    if (end == pattern.size()) break;
    at = end + 1;
  }
  return parsed;
}

struct MethodRoute {
  std::size_t method = kNoMethod;
  std::size_t route = kNoRoute;
};

// The routes of one pattern shape, by method.
struct Endpoint {
  std::uint64_t methods = 0;        // a bit per method in `routes`
  std::vector<MethodRoute> routes;  // a handful at most: searched linearly
  std::size_t any = kNoRoute;       // the route registered without a method

  bool empty() const { return methods == 0 && any == kNoRoute; }

  // The route for `method`, whose bit must be set.
  std::size_t route_for(std::size_t method) const {
    for (const MethodRoute& entry : routes) {
      if (entry.method == method) return entry.route;
    }
    return kNoRoute;
  }
};

}  // namespace

struct Router::Node {
  struct Literal {
    std::string key;  // decoded
    std::unique_ptr<Node> child;
  };

  std::vector<Literal> literals;  // sorted by key
  std::unique_ptr<Node> param;
  Endpoint end;   // patterns that end here
  Endpoint rest;  // patterns whose {name...} starts here

  const Node* find_literal(std::string_view key) const {
    const auto found = std::lower_bound(
        literals.begin(), literals.end(), key,
        [](const Literal& literal, std::string_view k) { return literal.key < k; });
    return found != literals.end() && found->key == key ? found->child.get() : nullptr;
  }

  Node& literal_child(const std::string& key) {
    auto found = std::lower_bound(
        literals.begin(), literals.end(), key,
        [](const Literal& literal, const std::string& k) { return literal.key < k; });
    if (found == literals.end() || found->key != key) {
      found = literals.insert(found, Literal{key, std::make_unique<Node>()});
    }
    return *found->child;
  }
};

// One match in progress. The path was decoded into the scratch in one pass; raw and decoded
// offsets advance together, segment by segment, since only the raw '/' separate segments.
struct Router::Search {
  std::string_view raw;
  const char* decoded = nullptr;
  std::size_t decoded_size = 0;
  bool escaped = false;              // raw holds a '%', so segment sizes differ after decoding
  std::size_t method = kNoMethod;    // the request's method, if any route names it
  std::size_t fallback = kNoMethod;  // GET, when the request is HEAD (RFC 9110 §9.3.2)
  // Wildcard values by position. Every node lies on some pattern with at most kMaxRouteParams
  // wildcards, so a path through the tree never binds more.
  std::array<std::string_view, kMaxRouteParams> values{};
  bool path_matched = false;       // some endpoint matched the path, whatever its methods
  std::uint64_t path_methods = 0;  // the methods of those endpoints, for Allow
  std::size_t route = kNoRoute;

  bool accept(const Endpoint& endpoint) {
    if (endpoint.empty()) return false;
    path_matched = true;
    if (method != kNoMethod && (endpoint.methods & bit(method)) != 0) {
      route = endpoint.route_for(method);
    } else if (fallback != kNoMethod && (endpoint.methods & bit(fallback)) != 0) {
      route = endpoint.route_for(fallback);
    } else if (endpoint.any != kNoRoute) {
      route = endpoint.any;
    } else {
      path_methods |= endpoint.methods;
      return false;
    }
    return true;
  }

  // Matches the segment starting at raw[raw_at] against `node`'s children, in precedence order,
  // having bound `depth` wildcards on the way here.
  bool visit(const Node& node, std::size_t raw_at, std::size_t decoded_at, std::size_t depth) {
    std::size_t raw_end = raw.find('/', raw_at);
    const bool last = raw_end == std::string_view::npos;
    if (last) raw_end = raw.size();
    std::size_t size = raw_end - raw_at;
    if (escaped) {  // each "%XX" is one byte once decoded
      size -= 2 * static_cast<std::size_t>(
                      std::count(raw.begin() + raw_at, raw.begin() + raw_end, '%'));
    }
    const std::string_view segment(decoded + decoded_at, size);
    const std::size_t next_decoded = decoded_at + size + 1;

    if (const Node* child = node.find_literal(segment)) {
      if (last ? accept(child->end) : visit(*child, raw_end + 1, next_decoded, depth)) return true;
    }
    if (node.param && !segment.empty()) {
      values[depth] = segment;
      if (last ? accept(node.param->end)
               : visit(*node.param, raw_end + 1, next_decoded, depth + 1)) {
        return true;
      }
    }
    if (!node.rest.empty()) {
      values[depth] = std::string_view(decoded + decoded_at, decoded_size - decoded_at);
      if (accept(node.rest)) return true;
    }
    return false;
  }
};

std::optional<std::string_view> RouteParams::get(std::string_view name) const {
  for (const RouteParam& param : all()) {
    if (param.name == name) return param.value;
  }
  return std::nullopt;
}

void RouteParams::reserve(std::size_t bytes) {
  if (scratch_.size() < bytes) scratch_.resize(bytes);
}

Router::Router() : root_(std::make_unique<Node>()) {
  for (std::string_view method : kStandardMethods) add_method(method);
}

Router::~Router() = default;
Router::Router(Router&&) noexcept = default;
Router& Router::operator=(Router&&) noexcept = default;

std::size_t Router::method_index(std::string_view token) const {
  for (std::size_t i = 0; i < methods_.size(); ++i) {
    if (methods_[i] == token) return i;
  }
  return kNoMethod;
}

std::size_t Router::add_method(std::string_view token) {
  if (const std::size_t known = method_index(token); known != kNoMethod) return known;
  const std::size_t index = methods_.size();
  methods_.emplace_back(token);
  allow_bytes_ += token.size() + 2;  // ", "
  // The standard methods come first, in their order (the constructor adds them); the others
  // follow them alphabetically.
  auto position = allow_order_.end();
  if (index > kOptionsMethod) {
    position = std::upper_bound(
        allow_order_.begin() + static_cast<std::ptrdiff_t>(kOptionsMethod + 1), allow_order_.end(),
        token, [this](std::string_view t, std::size_t i) { return t < methods_[i]; });
  }
  allow_order_.insert(position, index);
  return index;
}

std::size_t Router::write_allow(std::uint64_t methods, char* out) const {
  if ((methods & bit(kGet)) != 0) methods |= bit(kHead);  // GET routes answer HEAD
  methods |= bit(kOptionsMethod);                         // answered from this table
  std::size_t size = 0;
  for (std::size_t index : allow_order_) {
    if ((methods & bit(index)) == 0) continue;
    if (size > 0) {
      std::memcpy(out + size, ", ", 2);
      size += 2;
    }
    std::memcpy(out + size, methods_[index].data(), methods_[index].size());
    size += methods_[index].size();
  }
  return size;
}

std::size_t Router::add(std::string_view pattern) {
  const ParsedPattern parsed = parse_pattern(pattern);
  std::size_t method = kNoMethod;
  if (!parsed.method.empty()) {
    if (method_index(parsed.method) == kNoMethod && methods_.size() == kMaxMethods) {
      reject(pattern, "more than " + std::to_string(kMaxMethods) + " distinct methods");
    }
    method = add_method(parsed.method);
  }

  Node* node = root_.get();
  Endpoint* endpoint = &node->end;
  for (const PatternSegment& segment : parsed.segments) {
    if (segment.kind == SegmentKind::kLiteral) {
      node = &node->literal_child(segment.literal);
    } else if (segment.kind == SegmentKind::kParam) {
      if (!node->param) node->param = std::make_unique<Node>();
      node = node->param.get();
    } else {
      endpoint = &node->rest;
      break;  // {name...} is last
    }
    endpoint = &node->end;
  }

  // A conflict means the endpoint already had routes, so every node on the way existed before:
  // throwing here leaves the tree as it was.
  const std::size_t existing =
      method == kNoMethod
          ? endpoint->any
          : ((endpoint->methods & bit(method)) != 0 ? endpoint->route_for(method) : kNoRoute);
  if (existing != kNoRoute) {
    reject(pattern, "conflicts with \"" + patterns_[existing] + "\" (route " +
                        std::to_string(existing) + "): the same method and path shape");
  }

  const std::size_t route = patterns_.size();
  const std::string& stored = patterns_.emplace_back(pattern);
  route_names_.push_back(RouteNames{param_names_.size(), 0});
  for (const PatternSegment& segment : parsed.segments) {
    if (segment.kind == SegmentKind::kLiteral) continue;
    param_names_.push_back(std::string_view(stored).substr(segment.name_at, segment.name_size));
    ++route_names_.back().count;
  }
  if (method == kNoMethod) {
    endpoint->any = route;
  } else {
    endpoint->routes.push_back(MethodRoute{method, route});
    endpoint->methods |= bit(method);
  }
  return route;
}

RouteMatch Router::match(std::string_view method, std::string_view path,
                         RouteParams& params) const {
  params.count_ = 0;
  RouteMatch result;
  if (!path.starts_with('/')) {
    result.result = RouteResult::kBadRequest;
    return result;
  }
  // Grows only for a path longer than any before (doubling, so rarely), never after reserve().
  if (const std::size_t needed = scratch_bytes(path.size()); params.scratch_.size() < needed) {
    params.scratch_.resize(std::max(needed, 2 * params.scratch_.size()));
  }
  char* const scratch = params.scratch_.data();
  const std::size_t decoded_size = percent_decode(path, scratch);
  if (decoded_size == kBadEscape) {
    result.result = RouteResult::kBadRequest;
    return result;
  }

  Search search;
  search.raw = path;
  search.decoded = scratch;
  search.decoded_size = decoded_size;
  search.escaped = decoded_size != path.size();
  search.method = method_index(method);
  if (search.method == kHead) search.fallback = kGet;

  if (search.visit(*root_, 1, 1, 0)) {
    const RouteNames names = route_names_[search.route];
    for (std::size_t i = 0; i < names.count; ++i) {
      params.slots_[i] = RouteParam{param_names_[names.first + i], search.values[i]};
    }
    params.count_ = names.count;
    result.result = RouteResult::kFound;
    result.route = search.route;
    return result;
  }
  if (!search.path_matched) return result;  // kNotFound
  result.result =
      search.method == kOptionsMethod ? RouteResult::kOptions : RouteResult::kMethodNotAllowed;
  char* const allow = scratch + path.size();  // after the decoded path, which is no longer
  result.allow = std::string_view(allow, write_allow(search.path_methods, allow));
  return result;
}

}  // namespace hybrid::http
