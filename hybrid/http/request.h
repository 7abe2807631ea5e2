// A parsed HTTP/1.x request head: views into the caller's buffer, no allocation.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace hybrid::http {

enum class Method : std::uint8_t {
  kGet,
  kHead,
  kPost,
  kPut,
  kDelete,
  kConnect,
  kOptions,
  kTrace,
  kPatch,
  kUnknown,  // a syntactically valid token that is no method we know (→ 501)
};

// Maps a method token to the enum (case-sensitive, RFC 9110 §9.1).
Method method_from_token(std::string_view token);

struct Header {
  std::string_view name;
  std::string_view value;  // leading and trailing whitespace (OWS) removed
};

// Fixed header slots: a request with more header lines is answered 431 (like picohttpparser, the
// caller owns the slots and the parser never allocates).
inline constexpr std::size_t kMaxHeaders = 100;  // Apache's LimitRequestFields default

// Every view points into the buffer given to parse_request() and is valid as long as those bytes
// are neither freed nor moved.
struct Request {
  Method method = Method::kUnknown;
  std::string_view method_token;
  std::string_view target;  // request-target exactly as sent (RFC 9112 §3.2)
  int version_major = 1;
  int version_minor = 1;
  std::array<Header, kMaxHeaders> header_slots{};
  std::size_t header_count = 0;

  std::span<const Header> headers() const { return {header_slots.data(), header_count}; }

  // The value of the first header with this name (ASCII case-insensitive), if any.
  std::optional<std::string_view> find_header(std::string_view name) const;

  // How many header lines carry this name (used for the duplicate Host rule, RFC 9112 §3.2).
  std::size_t count_headers(std::string_view name) const;
};

// ASCII case-insensitive equality, for header names and tokens.
bool iequals(std::string_view a, std::string_view b);

// True when the comma-separated token list (e.g. a Connection value) holds `token`,
// compared case-insensitively.
bool has_token(std::string_view list, std::string_view token);

}  // namespace hybrid::http
