#include "hybrid/http/request_rules.h"

#include <cstddef>
#include <optional>

#include "hybrid/http/body_framing.h"
#include "hybrid/http/syntax.h"

namespace hybrid::http {
namespace {

// Calls `visit` for each non-empty element of a comma-separated list (RFC 9110 §5.6.1).
template <typename Visit>
void for_each_element(std::string_view list, Visit visit) {
  while (!list.empty()) {
    const std::size_t comma = list.find(',');
    const std::string_view element = trim_ows(list.substr(0, comma));
    if (!element.empty()) visit(element);
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
}

// The body framing must be unambiguous (RFC 9112 §6.3), or a proxy in front of us and we could
// disagree about where this request ends: the classic request-smuggling setup.
Status check_framing(const Request& request) {
  std::optional<std::uint64_t> content_length;
  bool has_transfer_encoding = false;
  bool chunked_is_final = false;
  bool chunked_not_final = false;
  bool other_coding = false;
  for (const Header& header : request.headers()) {
    if (iequals(header.name, "Content-Length")) {
      const std::optional<std::uint64_t> length = parse_content_length(header.value);
      if (!length || (content_length && *content_length != *length)) return Status::kBadRequest;
      content_length = length;
    } else if (iequals(header.name, "Transfer-Encoding")) {
      has_transfer_encoding = true;
      for_each_element(header.value, [&](std::string_view coding) {
        if (chunked_is_final) chunked_not_final = true;  // chunked may be applied once, last
        chunked_is_final = iequals(coding, "chunked");
        if (!chunked_is_final) other_coding = true;
      });
    }
  }
  if (!has_transfer_encoding) return Status::kOk;
  // §6.3 item 3: both headers is a smuggling attempt; §6.1: an HTTP/1.0 message with
  // Transfer-Encoding has faulty framing; §6.3 item 4: without a final chunked the length of a
  // request body cannot be known.
  if (content_length || request.version_minor < 1 || !chunked_is_final || chunked_not_final) {
    return Status::kBadRequest;
  }
  // §6.1: a transfer coding we do not implement (gzip, deflate, ...) under the final chunked.
  return other_coding ? Status::kNotImplemented : Status::kOk;
}

// Host = uri-host [ ":" port ] (RFC 9110 §7.2). A character-level check: enough to keep
// whitespace, '/', '@' and other bytes that would let a Host value rewrite a URL we build.
bool host_is_valid(std::string_view host) {
  for (const char c : host) {
    const bool alnum = is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (!alnum && std::string_view("-._~%!$&'()*+,;=:[]").find(c) == std::string_view::npos) {
      return false;
    }
  }
  return true;
}

}  // namespace

Status check_request(const Request& request) {
  // 1. Version: nothing else can be interpreted under a version we do not speak.
  // RFC 9110 §2.5: a higher minor version of a major we implement is processed as the highest
  // minor we implement (HTTP/1.2 as HTTP/1.1); only another major version is refused.
  if (request.version_major != 1) {
    return Status::kHttpVersionNotSupported;
  }
  // 2. Framing, before anything that might answer and keep the connection: a request whose end is
  //    ambiguous must never be followed by another one on the same connection.
  if (Status framing = check_framing(request); framing != Status::kOk) return framing;
  // 3. Host (RFC 9112 §3.2): required in HTTP/1.1, at most one in any version, and well-formed.
  const std::size_t hosts = request.count_headers("Host");
  if (hosts > 1 || (hosts == 0 && request.version_minor >= 1)) return Status::kBadRequest;
  if (hosts == 1 && !host_is_valid(*request.find_header("Host"))) return Status::kBadRequest;
  // 4. Method (RFC 9110 §9.1): 501 for a method we do not recognise, 405 for one we do not allow.
  if (request.method == Method::kUnknown) return Status::kNotImplemented;
  if (request.method != Method::kGet && request.method != Method::kHead &&
      request.method != Method::kOptions) {
    return Status::kMethodNotAllowed;
  }
  return Status::kOk;
}

bool wants_keep_alive(const Request& request) {
  // Every Connection line counts: a list may be split over several (RFC 9110 §5.3).
  bool close = false;
  bool keep_alive = false;
  for (const Header& header : request.headers()) {
    if (!iequals(header.name, "Connection")) continue;
    close = close || has_token(header.value, "close");
    keep_alive = keep_alive || has_token(header.value, "keep-alive");
  }
  if (close) return false;
  const bool persistent_by_default =
      request.version_major > 1 || (request.version_major == 1 && request.version_minor >= 1);
  return persistent_by_default || keep_alive;
}

bool has_body(const Request& request) {
  for (const Header& header : request.headers()) {
    if (iequals(header.name, "Transfer-Encoding")) return true;
    // Anything but a valid zero counts as a body: closing after answering is never wrong.
    if (iequals(header.name, "Content-Length") &&
        (header.value.empty() || header.value.find_first_not_of('0') != std::string_view::npos)) {
      return true;
    }
  }
  return false;
}

}  // namespace hybrid::http
