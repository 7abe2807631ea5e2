// Building response heads into a caller-provided buffer: no allocation, one pass.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "hybrid/http/request.h"
#include "hybrid/http/status.h"

namespace hybrid::http {

inline constexpr std::string_view kServerName = "hybrid";

// Appends "Name: value\r\n" lines after a status line. If the buffer runs out, or a name or value
// holds CR, LF or NUL (header injection, RFC 9110 §5.5) or a name holds ':', ok() turns false and
// further appends are ignored; callers size buffers so that this never happens for the headers
// they send, and answer 500 if it does.
class ResponseHeadWriter {
 public:
  // Writes the status line ("HTTP/1.1 200 OK\r\n") plus Date (http_date_now() when `date` is
  // empty) and Server.
  ResponseHeadWriter(std::span<char> out, Status status, std::string_view date);
  // The same for any code 100-999: one outside the table gets an empty reason phrase
  // ("HTTP/1.1 299 "), which RFC 9112 §4 allows.
  ResponseHeadWriter(std::span<char> out, int code, std::string_view date);
  // Header lines only, no status line, Date or Server: fields rendered once and reused by
  // assemble_head() (read them back with fields_size()).
  explicit ResponseHeadWriter(std::span<char> out) : out_(out) {}

  ResponseHeadWriter& header(std::string_view name, std::string_view value);
  ResponseHeadWriter& header(std::string_view name, std::uint64_t value);

  // Appends the empty line; returns the head's total length (0 when the buffer was too small).
  std::size_t finish();
  // The bytes written so far, without finishing (0 when the buffer was too small or a value was
  // unsafe).
  std::size_t fields_size() const { return ok_ ? size_ : 0; }

  bool ok() const { return ok_; }

 private:
  void append(std::string_view bytes);

  std::span<char> out_;
  std::size_t size_ = 0;
  bool ok_ = true;
};

// The same head a ResponseHeadWriter for `status` and `date` would write followed by `fields`
// and then `more_fields` (both already rendered "Name: value\r\n" lines, e.g. by the fields-only
// writer), ended by the empty line — with a fresh Date and no per-header work. Returns the
// length, 0 if `out` is too small.
std::size_t assemble_head(std::span<char> out, Status status, std::string_view date,
                          std::string_view fields, std::string_view more_fields);

// Every member has a default so callers can name only what they need with designated
// initializers ({.keep_alive = true, .date = now}) without -Wmissing-field-initializers.
struct ErrorResponseOptions {
  bool keep_alive = false;
  bool head_only = false;          // HEAD: same headers, no body
  std::string_view allow = {};     // sent as Allow when not empty (405)
  std::string_view location = {};  // sent as Location when not empty (301); already encoded
  std::string_view date = {};      // IMF-fixdate; empty means http_date_now()
  std::string_view body = {};      // an HTML body replacing the default one (custom error pages)
  std::span<const Header> headers = {};  // more header lines, e.g. Content-Range with 416
};

// A complete response (head and, unless head_only, the status table's default HTML body) for an
// error or redirect: Content-Type and Content-Length describe the default body (Content-Length is
// left out for 1xx, 204 and 304), X-Content-Type-Options: nosniff, Allow and Location when given,
// and always an explicit "Connection: keep-alive" or "Connection: close" (the builder does not
// know the request's version, and HTTP/1.0 needs the former). Returns the bytes written, 0 if
// `out` is too small or a header value is unsafe (2 KiB always suffices for sane values).
std::size_t build_error_response(std::span<char> out, Status status,
                                 const ErrorResponseOptions& options);

}  // namespace hybrid::http
