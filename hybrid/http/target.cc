// Request-target handling. Everything here decides which file a request may name, so it errs on
// the side of 400: a path that is unusual but not clearly safe is rejected, never "repaired".
#include "hybrid/http/target.h"

#include <cstdint>

#include "hybrid/http/syntax.h"

namespace hybrid::http {
namespace {

constexpr bool starts_with_ignoring_case(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (ascii_lower(text[i]) != prefix[i]) return false;
  }
  return true;
}

// CTL and SP never appear in a request-target (RFC 9112 §3.2, RFC 3986 §2); the request parser
// should already have refused them, but this function is also reached by other callers.
constexpr bool is_forbidden_target_byte(char c) {
  const auto byte = static_cast<unsigned char>(c);
  return byte <= 0x20 || byte == 0x7f;
}

constexpr int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Bytes kept as-is in a Location path: RFC 3986 §2.3 unreserved, '/', and the sub-delims and
// pchar extras that have no meaning in a path. '%' must be escaped (the input is decoded) as must
// '?' and '#' (they would end the path); ' " < > \ and & are escaped too, so the value stays inert
// if a client ever echoes it into HTML.
constexpr bool is_location_safe(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("-._~/!$()*+,;=:@").find(c) != std::string_view::npos;
}

constexpr std::string_view kRootPath = "/";

}  // namespace

bool split_target(std::string_view target, TargetParts& parts) {
  parts = TargetParts{};
  for (char c : target) {
    // A fragment is never sent to a server (RFC 9112 §3.2: request-target has no fragment); one
    // arriving means a broken or hostile client.
    if (c == '#' || is_forbidden_target_byte(c)) return false;
  }

  std::string_view rest = target;
  if (!rest.starts_with('/')) {
    // absolute-form (RFC 9112 §3.2.2). Proxies send it and servers MUST accept it.
    std::size_t scheme_length = 0;
    if (starts_with_ignoring_case(rest, "http://")) {
      scheme_length = 7;
    } else if (starts_with_ignoring_case(rest, "https://")) {
      scheme_length = 8;
    } else {
      return false;  // asterisk-form, authority-form, other schemes, relative paths
    }
    rest.remove_prefix(scheme_length);
    const std::size_t authority_end = rest.find_first_of("/?");
    const std::string_view authority = rest.substr(0, authority_end);
    // RFC 9110 §4.2.1: an http(s) URI with an empty host is invalid. §4.2.4: userinfo is
    // deprecated and a recipient SHOULD treat it as an error (it is a phishing vector).
    if (authority.empty() || authority.find('@') != std::string_view::npos) return false;
    parts.host = authority;
    rest.remove_prefix(authority.size());
    if (rest.empty() || rest.front() == '?') {
      // RFC 9112 §3.2.2 / RFC 3986 §6.2.3: an empty path in an http URI means "/".
      parts.path = kRootPath;
      if (!rest.empty()) parts.query = rest.substr(1);
      return true;
    }
  }

  const std::size_t query_start = rest.find('?');
  parts.path = rest.substr(0, query_start);
  if (query_start != std::string_view::npos) parts.query = rest.substr(query_start + 1);
  return true;
}

// Decoding and dot-segment removal happen in one pass, in that order per byte: a byte is decoded
// first and only then classified, so "%2e%2e", "..%2f" and "%2e%2e%5c" are judged by what they
// mean, not by how they were spelled. In particular a decoded '/' (from %2F) separates segments
// exactly like a literal one. Some servers keep %2F inside a segment instead; we do not, because a
// file name on Linux cannot contain '/', so the only thing "%2F" can usefully name is a separator,
// and treating it as one means "..%2f" is a dot segment that can never climb out of the root.
NormalizedPath normalize_path(std::string_view path, std::span<char> out) {
  const NormalizedPath bad{Status::kBadRequest, 0, false};
  if (path.empty() || path.front() != '/' || path.size() > out.size()) return bad;

  std::size_t length = 0;      // bytes of out[] holding whole, accepted segments
  std::size_t segment = 0;     // where the segment being decoded starts in out[]
  std::size_t write = 0;       // next byte of out[] to write
  bool trailing_slash = true;  // whether the last segment seen so far was a directory marker

  // Called at every separator and at the end, with the segment out[segment, write).
  auto end_segment = [&]() -> bool {
    const std::string_view name(out.data() + segment, write - segment);
    if (name.empty() || name == ".") {
      // "//" collapses and "." names the current directory: both vanish (RFC 3986 §5.2.4).
      trailing_slash = true;
    } else if (name == "..") {
      // Climbing above the document root is an attack, not a typo: refuse rather than clamp.
      if (length == 0) return false;
      std::size_t parent = length;
      while (parent > 0 && out[parent - 1] != '/') --parent;
      length = parent > 0 ? parent - 1 : 0;  // drop the parent segment and the '/' before it
      trailing_slash = true;
    } else {
      length = write;
      trailing_slash = false;
    }
    // The next segment is written after a '/' when something precedes it. out[] always has
    // room: everything written so far came from at least as many input bytes, and the input
    // byte that ended this segment has not been written.
    write = length;
    if (length > 0) out[write++] = '/';
    segment = write;
    return true;
  };

  for (std::size_t i = 1; i < path.size(); ++i) {
    char c = path[i];
    if (c == '%') {
      // RFC 3986 §2.1: '%' must be followed by two hex digits; anything else is malformed.
      if (i + 2 >= path.size()) return bad;
      const int high = hex_value(path[i + 1]);
      const int low = hex_value(path[i + 2]);
      if (high < 0 || low < 0) return bad;
      c = static_cast<char>(high * 16 + low);
      i += 2;
    }
    const auto byte = static_cast<unsigned char>(c);
    // A NUL would truncate the name at the syscall, other controls (CR, LF, ESC…) end up in logs
    // and headers, and a backslash is a separator to Windows-minded software downstream: none of
    // them belongs in a file name we serve (RFC 3986 §7.3).
    if (byte < 0x20 || byte == 0x7f || c == '\\') return bad;
    if (c == '/') {
      if (!end_segment()) return bad;
    } else {
      out[write++] = c;
    }
  }
  if (!end_segment()) return bad;
  return NormalizedPath{Status::kOk, length, trailing_slash};
}

std::size_t encode_location_path(std::string_view relative, std::span<char> out) {
  static constexpr char kHex[] = "0123456789ABCDEF";  // RFC 3986 §2.1: uppercase preferred
  // A leading '/' from the caller would make "//host": a network-path reference that sends the
  // client to another site (RFC 3986 §4.2). Drop them; the path is relative to our root anyway.
  while (relative.starts_with('/')) relative.remove_prefix(1);

  std::size_t size = 0;
  if (out.empty()) return 0;
  out[size++] = '/';
  for (char c : relative) {
    if (is_location_safe(c)) {
      if (size + 1 > out.size()) return 0;
      out[size++] = c;
    } else {
      if (size + 3 > out.size()) return 0;
      const auto byte = static_cast<std::uint8_t>(c);
      out[size++] = '%';
      out[size++] = kHex[byte >> 4];
      out[size++] = kHex[byte & 0x0f];
    }
  }
  return size;
}

}  // namespace hybrid::http
