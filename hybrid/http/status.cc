// The status table (lwan's idea): one row per status holds everything we send for it, so a code,
// its reason phrase and its default page can never disagree.
#include "hybrid/http/status.h"

#include <array>
#include <cstddef>
#include <cstdint>

namespace hybrid::http {
namespace {

struct StatusEntry {
  Status status;
  std::string_view line;    // "HTTP/1.1 404 Not Found"
  std::string_view reason;  // "Not Found"
  std::string_view body;    // complete HTML document, or empty when the status carries none
};

// String-literal concatenation is the one way to build these texts at compile time without a
// constexpr string library; the macros exist for that alone and expand to literals only.
#define HYBRID_STATUS_PAGE(title, message)                                                        \
  "<!DOCTYPE html><html><head><title>" title "</title></head><body><h1>" title "</h1><p>" message \
  "</p><hr><address>hybrid</address></body></html>\n"
#define HYBRID_STATUS(name, number, reason, message)      \
  StatusEntry {                                           \
    Status::name, "HTTP/1.1 " #number " " reason, reason, \
        HYBRID_STATUS_PAGE(#number " " reason, message)   \
  }
#define HYBRID_STATUS_NO_BODY(name, number, reason)          \
  StatusEntry {                                              \
    Status::name, "HTTP/1.1 " #number " " reason, reason, "" \
  }

// Reason phrases follow RFC 9110 §15. Bodies are for humans; clients act on the code.
constexpr std::array kStatusTable = {
    HYBRID_STATUS_NO_BODY(kContinue, 100, "Continue"),
    HYBRID_STATUS_NO_BODY(kOk, 200, "OK"),
    HYBRID_STATUS_NO_BODY(kCreated, 201, "Created"),
    HYBRID_STATUS_NO_BODY(kAccepted, 202, "Accepted"),
    HYBRID_STATUS_NO_BODY(kNoContent, 204, "No Content"),
    HYBRID_STATUS_NO_BODY(kPartialContent, 206, "Partial Content"),
    HYBRID_STATUS(kMovedPermanently, 301, "Moved Permanently",
                  "The resource has moved to a new location."),
    HYBRID_STATUS(kFound, 302, "Found", "The resource is temporarily at another location."),
    HYBRID_STATUS(kSeeOther, 303, "See Other", "The answer is at another location."),
    HYBRID_STATUS_NO_BODY(kNotModified, 304, "Not Modified"),
    HYBRID_STATUS(kTemporaryRedirect, 307, "Temporary Redirect",
                  "The resource is temporarily at another location."),
    HYBRID_STATUS(kPermanentRedirect, 308, "Permanent Redirect",
                  "The resource has moved to a new location."),
    HYBRID_STATUS(kBadRequest, 400, "Bad Request", "The server could not understand the request."),
    HYBRID_STATUS(kUnauthorized, 401, "Unauthorized", "Authentication is required."),
    HYBRID_STATUS(kForbidden, 403, "Forbidden",
                  "You do not have permission to access this resource."),
    HYBRID_STATUS(kNotFound, 404, "Not Found",
                  "The requested resource was not found on this server."),
    HYBRID_STATUS(kMethodNotAllowed, 405, "Method Not Allowed",
                  "The request method is not supported for this resource."),
    HYBRID_STATUS(kRequestTimeout, 408, "Request Timeout",
                  "The server timed out waiting for the request."),
    HYBRID_STATUS(kConflict, 409, "Conflict",
                  "The request conflicts with the current state of the resource."),
    HYBRID_STATUS(kGone, 410, "Gone", "The resource is no longer available."),
    HYBRID_STATUS(kPreconditionFailed, 412, "Precondition Failed",
                  "A precondition in the request headers was not met."),
    HYBRID_STATUS(kContentTooLarge, 413, "Content Too Large",
                  "The request content is larger than the server accepts."),
    HYBRID_STATUS(kUriTooLong, 414, "URI Too Long",
                  "The request target is longer than the server accepts."),
    HYBRID_STATUS(kUnsupportedMediaType, 415, "Unsupported Media Type",
                  "The request content is in a format the server does not accept."),
    HYBRID_STATUS(kRangeNotSatisfiable, 416, "Range Not Satisfiable",
                  "None of the requested ranges overlap the resource."),
    HYBRID_STATUS(kExpectationFailed, 417, "Expectation Failed",
                  "The expectation in the request cannot be met."),
    HYBRID_STATUS(kMisdirectedRequest, 421, "Misdirected Request",
                  "This server does not serve the requested host."),
    HYBRID_STATUS(kUnprocessableContent, 422, "Unprocessable Content",
                  "The request content could not be processed."),
    HYBRID_STATUS(kTooManyRequests, 429, "Too Many Requests",
                  "Too many requests were sent; try again later."),
    HYBRID_STATUS(kRequestHeaderFieldsTooLarge, 431, "Request Header Fields Too Large",
                  "The request header fields are larger than the server accepts."),
    HYBRID_STATUS(kInternalServerError, 500, "Internal Server Error",
                  "The server encountered an unexpected condition."),
    HYBRID_STATUS(kNotImplemented, 501, "Not Implemented",
                  "The server does not support the functionality required."),
    HYBRID_STATUS(kBadGateway, 502, "Bad Gateway",
                  "The server received an invalid answer from an upstream server."),
    HYBRID_STATUS(kServiceUnavailable, 503, "Service Unavailable",
                  "The server is temporarily unable to handle the request."),
    HYBRID_STATUS(kGatewayTimeout, 504, "Gateway Timeout",
                  "An upstream server did not answer in time."),
    HYBRID_STATUS(kHttpVersionNotSupported, 505, "HTTP Version Not Supported",
                  "The server supports HTTP/1.0 and HTTP/1.1 only."),
};

#undef HYBRID_STATUS_NO_BODY
#undef HYBRID_STATUS
#undef HYBRID_STATUS_PAGE

constexpr int kMaxCode = 599;
constexpr std::uint8_t kNoEntry = 0xff;
static_assert(kStatusTable.size() < kNoEntry);

// The enum name and the number typed into a row are written separately; make a mismatch a
// compile error rather than a wrong status line on the wire.
constexpr bool rows_agree_with_enum() {
  for (const StatusEntry& entry : kStatusTable) {
    const int value = code(entry.status);
    if (value < 100 || value > kMaxCode) return false;
    const char digits[] = {static_cast<char>('0' + value / 100),
                           static_cast<char>('0' + value / 10 % 10),
                           static_cast<char>('0' + value % 10)};
    if (entry.line.substr(9, 3) != std::string_view(digits, 3)) return false;
  }
  return true;
}
static_assert(rows_agree_with_enum(), "a status row's number differs from its enum value");

// Code -> row, built at compile time: lookups are one load, whatever the table's order.
constexpr std::array<std::uint8_t, kMaxCode + 1> kRowByCode = [] {
  std::array<std::uint8_t, kMaxCode + 1> rows{};
  rows.fill(kNoEntry);
  for (std::size_t i = 0; i < kStatusTable.size(); ++i) {
    rows[static_cast<std::size_t>(code(kStatusTable[i].status))] = static_cast<std::uint8_t>(i);
  }
  return rows;
}();

const StatusEntry* find(Status status) {
  const int value = code(status);
  if (value < 0 || value > kMaxCode) return nullptr;
  const std::uint8_t row = kRowByCode[static_cast<std::size_t>(value)];
  return row == kNoEntry ? nullptr : &kStatusTable[row];
}

}  // namespace

bool is_known_status(int code) {
  return code >= 0 && code <= kMaxCode && kRowByCode[static_cast<std::size_t>(code)] != kNoEntry;
}

std::string_view reason_phrase(Status status) {
  const StatusEntry* entry = find(status);
  return entry ? entry->reason : "Unknown";
}

std::string_view default_body(Status status) {
  const StatusEntry* entry = find(status);
  return entry ? entry->body : std::string_view();
}

std::string_view status_line(Status status) {
  if (const StatusEntry* entry = find(status)) return entry->line;
  // A value outside the enum is a bug in the caller; telling the client "500" is the honest
  // answer we can give from a static string.
  return find(Status::kInternalServerError)->line;
}

}  // namespace hybrid::http
