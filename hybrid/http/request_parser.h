// A stateless, zero-copy HTTP/1.x request-head parser in the spirit of picohttpparser.
//
// Contract: parse_request() looks at the bytes in `buffer` from its start. It returns
//  - kComplete with `consumed` = length of the request head (leading empty lines + request line +
//    headers + empty line); bytes after it (a body, a pipelined request) are not looked at,
//  - kIncomplete when the head has not ended yet and no limit is exceeded,
//  - kError with the status to answer (400 malformed, 414 request line too long, 431 head or
//    header count too large, 505 for a well-formed HTTP version whose major is not 1).
// Errors are reported as soon as the bytes present prove them, even before the head ends ("GET\x01"
// is 400 at once), so garbage never waits for a timeout. Being stateless, each call rescans the
// head from the start: a caller that reads byte by byte can gate calls with find_head_end().
// On kComplete every view in `request` points into `buffer`; on other results `request` holds
// unspecified values. The parser never allocates, never reads past buffer.size(), and accepts
// only CRLF line ends (bare LF or CR is an error, which closes a request-smuggling door;
// RFC 9112 §2.2 allows servers to reject them).
//
// Syntax accepted (RFC 9112 §3, §5): up to kMaxLeadingEmptyLines CRLFs before the request line
// (§2.2), method = token, request-target = 1*(%x21-7E) checked no further (see target.h),
// HTTP-version = "HTTP/" DIGIT "." DIGIT; field-name = token directly followed by ':', field-value
// = *(HTAB / SP / VCHAR / obs-text) with surrounding whitespace removed. obs-fold (a line that
// starts with SP or HTAB) is rejected with 400 (§5.2).
#pragma once

#include <cstddef>
#include <string_view>

#include "hybrid/http/request.h"
#include "hybrid/http/status.h"

namespace hybrid::http {

struct ParseLimits {
  std::size_t max_request_line = 8192;    // request line without its CRLF; longer → 414
  std::size_t max_head_bytes = 16384;     // the whole head, i.e. `consumed`; larger → 431
  std::size_t max_headers = kMaxHeaders;  // header lines; more → 431 (capped at kMaxHeaders)
};

// RFC 9112 §2.2: a server SHOULD ignore at least one empty line before the request line (clients
// may send a stray CRLF after a body). A few are skipped; one more is a 400.
inline constexpr std::size_t kMaxLeadingEmptyLines = 4;

enum class ParseStatus : unsigned char { kComplete, kIncomplete, kError };

struct ParseResult {
  ParseStatus status = ParseStatus::kIncomplete;
  std::size_t consumed = 0;            // bytes of the head, valid when kComplete
  Status error = Status::kBadRequest;  // valid when kError
};

ParseResult parse_request(std::string_view buffer, Request& request,
                          const ParseLimits& limits = {});

// Incremental end-of-head search so a slow client costs O(new bytes), not O(buffer) per read.
// It skips leading empty lines exactly as parse_request() does, then finds the first "\r\n\r\n";
// `scanned` is how many bytes earlier calls on the same (grown) buffer already searched, 0 at
// first. Returns the offset just past that "\r\n\r\n", or npos; on npos, store buffer.size() as
// the next `scanned`. The result equals a one-shot search (scanned = 0) of the same buffer.
// Consistency with parse_request() under any limits: when this returns an offset, parse_request()
// returns kComplete with exactly that `consumed`, or kError; when it returns npos, parse_request()
// returns kIncomplete or kError. A caller that waits for an end must itself answer 431 once the
// buffer outgrows ParseLimits::max_head_bytes without one.
std::size_t find_head_end(std::string_view buffer, std::size_t scanned);

}  // namespace hybrid::http
