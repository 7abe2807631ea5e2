// A stateless, zero-copy HTTP/1.x request-head parser in the spirit of picohttpparser.
//
// Contract: parse_request() looks at the bytes in `buffer` from its start. It returns
//  - kComplete with `consumed` = length of the request head (request line + headers + empty line),
//  - kIncomplete when the head has not ended yet and no limit is exceeded,
//  - kError with the status to answer (400 malformed, 414 request line too long, 431 head or
//    header count too large, 505 for a well-formed but unsupported HTTP version major).
// On kComplete every view in `request` points into `buffer`. The parser never allocates, never
// reads past buffer.size(), and accepts only CRLF line ends (bare LF or CR is an error, which
// closes a request-smuggling door; RFC 9112 §2.2 allows servers to reject them).
#pragma once

#include <cstddef>
#include <string_view>

#include "hybrid/http/request.h"
#include "hybrid/http/status.h"

namespace hybrid::http {

struct ParseLimits {
  std::size_t max_request_line = 8192;   // longer → 414
  std::size_t max_head_bytes = 16384;    // request line + headers; larger → 431
};

enum class ParseStatus : unsigned char { kComplete, kIncomplete, kError };

struct ParseResult {
  ParseStatus status = ParseStatus::kIncomplete;
  std::size_t consumed = 0;          // bytes of the head, valid when kComplete
  Status error = Status::kBadRequest;  // valid when kError
};

ParseResult parse_request(std::string_view buffer, Request& request,
                          const ParseLimits& limits = {});

// Incremental end-of-head search so a slow client costs O(new bytes), not O(buffer) per read.
// `scanned` is how many bytes earlier calls already searched (0 at first); returns the offset just
// past "\r\n\r\n", or npos. On npos, store buffer.size() as the next `scanned`.
std::size_t find_head_end(std::string_view buffer, std::size_t scanned);

}  // namespace hybrid::http
