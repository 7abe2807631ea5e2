// Decisions about a parsed request that do not depend on any file: is it acceptable, must the
// connection close afterwards, how is its body framed.
#pragma once

#include <cstdint>
#include <string_view>

#include "hybrid/http/request.h"
#include "hybrid/http/status.h"

namespace hybrid::http {

// The methods a static server implements; sent in Allow with 405 and with OPTIONS' 204.
inline constexpr std::string_view kAllowedMethods = "GET, HEAD, OPTIONS";

// kOk when the request may be served, otherwise the status to answer. The checks run in this
// order and the first failure wins:
//  1. 505 for a major version other than 1 (RFC 9110 §15.6.6); HTTP/1.x with x > 1 is processed
//     as HTTP/1.1 (RFC 9110 §2.5);
//  2. 400 for ambiguous body framing (RFC 9112 §6.1, §6.3): a Content-Length that is not 1*DIGIT
//     of at most 18 digits (comma lists included), differing Content-Length lines,
//     Transfer-Encoding together with Content-Length, Transfer-Encoding in HTTP/1.0, or a
//     Transfer-Encoding whose final coding is not a single "chunked"; then 501 for a
//     Transfer-Encoding that is chunked last but names another coding before it (§6.1: a
//     coding we do not implement);
//  3. 400 for HTTP/1.1 without a Host header, any request with more than one, or a Host value with
//     a character no uri-host [":" port] can hold (RFC 9112 §3.2);
//  4. 501 for an unknown method, 405 for a known one other than GET, HEAD and OPTIONS
//     (RFC 9110 §9.1).
Status check_request(const Request& request);

// Whether the connection may stay open after answering (RFC 9112 §9.3): HTTP/1.1 unless
// "Connection: close", HTTP/1.0 only with "Connection: keep-alive". Tokens are matched
// case-insensitively across all Connection lines; "close" wins over "keep-alive".
bool wants_keep_alive(const Request& request);

// True when the request announces a body (Content-Length other than a valid 0, or any
// Transfer-Encoding). A static server that does not read bodies must close after answering such a
// request, or the body would be parsed as the next request.
bool has_body(const Request& request);

}  // namespace hybrid::http
