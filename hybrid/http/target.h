// Splitting a request-target (RFC 9112 §3.2) into path and query, and turning the path into a
// safe relative file path.
#pragma once

#include <cstddef>
#include <span>
#include <string_view>

#include "hybrid/http/status.h"

namespace hybrid::http {

struct TargetParts {
  std::string_view path;   // still percent-encoded, starts with '/'
  std::string_view query;  // without the '?', empty if none
  std::string_view host;   // authority of an absolute-form target, empty for origin-form
};

// Accepts origin-form ("/a/b?q") and absolute-form ("http://host/a?q"). Returns false for anything
// else (asterisk-form, authority-form, fragments, an empty path), which callers answer with 400.
bool split_target(std::string_view target, TargetParts& parts);

struct NormalizedPath {
  Status status = Status::kOk;  // kOk, or kBadRequest when the path is unsafe or malformed
  std::size_t length = 0;       // bytes written to the output buffer
  bool trailing_slash = false;  // the decoded path ended with '/' (a directory request)
};

// Percent-decodes `path` once (so "%252e" is the file "%2e", never ".") and removes dot segments
// (RFC 3986 §5.2.4) into `out`, writing a path relative to the document root: no leading '/', no
// empty, "." or ".." segments ("" means the root itself). Rejected with 400: a malformed escape,
// a decoded NUL or other control byte, a backslash, and ".." that would climb above the root.
// A decoded '/' (%2F) separates segments like a literal one, so "..%2f" is a dot segment too.
// trailing_slash is set when the path names a directory: it ends in '/', "." or "..", or is "/".
// `out` must hold at least path.size() bytes; a path longer than out.size() is rejected too.
NormalizedPath normalize_path(std::string_view path, std::span<char> out);

// Percent-encodes a decoded relative path for a Location header: unreserved characters, '/' and
// the inert sub-delims ! $ ( ) * + , ; = : @ stay, everything else becomes %XX, and the result
// always starts with exactly one '/' (leading slashes of `relative` are dropped) so it can never
// name another host ("//evil.example"). Returns the bytes written, or 0 if `out` is too small
// (3 * relative.size() + 2 always suffices).
std::size_t encode_location_path(std::string_view relative, std::span<char> out);

}  // namespace hybrid::http
