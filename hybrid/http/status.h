// The one table of HTTP status codes hybrid sends: code, reason phrase and default body.
#pragma once

#include <cstdint>
#include <string_view>

namespace hybrid::http {

enum class Status : std::uint16_t {
  kContinue = 100,
  kOk = 200,
  kCreated = 201,
  kAccepted = 202,
  kNoContent = 204,
  kPartialContent = 206,
  kMovedPermanently = 301,
  kFound = 302,
  kSeeOther = 303,
  kNotModified = 304,
  kTemporaryRedirect = 307,
  kPermanentRedirect = 308,
  kBadRequest = 400,
  kUnauthorized = 401,
  kForbidden = 403,
  kNotFound = 404,
  kMethodNotAllowed = 405,
  kRequestTimeout = 408,
  kConflict = 409,
  kGone = 410,
  kPreconditionFailed = 412,
  kContentTooLarge = 413,
  kUriTooLong = 414,
  kUnsupportedMediaType = 415,
  kRangeNotSatisfiable = 416,
  kExpectationFailed = 417,
  kMisdirectedRequest = 421,
  kUnprocessableContent = 422,
  kTooManyRequests = 429,
  kRequestHeaderFieldsTooLarge = 431,
  kInternalServerError = 500,
  kNotImplemented = 501,
  kBadGateway = 502,
  kServiceUnavailable = 503,
  kGatewayTimeout = 504,
  kHttpVersionNotSupported = 505,
};

constexpr int code(Status status) {
  return static_cast<int>(status);
}

// Whether the table has a row for this code (a handler's status may be any 200-599 code).
bool is_known_status(int code);

// The reason phrase ("Not Found"); "Unknown" for a value outside the enum.
std::string_view reason_phrase(Status status);

// A small, complete HTML document explaining the status, for error responses. Empty for statuses
// that never carry a body (1xx, 204, 304) and for 2xx.
std::string_view default_body(Status status);

// The status line without CRLF, e.g. "HTTP/1.1 404 Not Found". Views a static string. A value
// outside the enum (a caller's bug) gets the 500 line: no static string can name an unknown code.
std::string_view status_line(Status status);

}  // namespace hybrid::http
