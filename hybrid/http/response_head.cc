// Response heads, written once, front to back, into the caller's buffer.
#include "hybrid/http/response_head.h"

#include <array>
#include <charconv>
#include <cstring>

#include "hybrid/http/http_date.h"

namespace hybrid::http {
namespace {

constexpr std::string_view kCrlf = "\r\n";

// RFC 9110 §5.5: a field value containing CR, LF or NUL must be rejected, not sent; one reaching
// the wire would let whoever chose the value (a file name in a Location, say) write headers.
// A plain loop: find_first_of with a three-byte set costs several ns per byte, and this runs
// over every header of every response.
bool is_safe_field_text(std::string_view text) {
  bool unsafe = false;
  for (char c : text) unsafe |= (c == '\r') | (c == '\n') | (c == '\0');
  return !unsafe;
}

// RFC 9110 §8.6: no Content-Length in a 1xx or 204 response. For 304 it would have to equal the
// 200 response's length, which an error builder does not know, so it is left out as well.
bool forbids_content_length(Status status) {
  return code(status) < 200 || status == Status::kNoContent || status == Status::kNotModified;
}

}  // namespace

ResponseHeadWriter::ResponseHeadWriter(std::span<char> out, Status status, std::string_view date)
    : out_(out) {
  append(status_line(status));
  append(kCrlf);
  // RFC 9110 §6.6.1: an origin server with a clock MUST send Date.
  header("Date", date.empty() ? http_date_now() : date);
  header("Server", kServerName);
}

ResponseHeadWriter::ResponseHeadWriter(std::span<char> out, int code, std::string_view date)
    : out_(out) {
  if (is_known_status(code)) {
    append(status_line(static_cast<Status>(code)));
  } else if (code >= 100 && code <= 999) {
    const char line[] = {'H',
                         'T',
                         'T',
                         'P',
                         '/',
                         '1',
                         '.',
                         '1',
                         ' ',
                         static_cast<char>('0' + code / 100),
                         static_cast<char>('0' + code / 10 % 10),
                         static_cast<char>('0' + code % 10),
                         ' '};
    append({line, sizeof line});
  } else {
    ok_ = false;
  }
  append(kCrlf);
  header("Date", date.empty() ? http_date_now() : date);
  header("Server", kServerName);
}

ResponseHeadWriter& ResponseHeadWriter::header(std::string_view name, std::string_view value) {
  if (!is_safe_field_text(name) || !is_safe_field_text(value) ||
      name.find(':') != std::string_view::npos) {
    ok_ = false;
  }
  append(name);
  append(": ");
  append(value);
  append(kCrlf);
  return *this;
}

ResponseHeadWriter& ResponseHeadWriter::header(std::string_view name, std::uint64_t value) {
  std::array<char, 20> digits;  // 2^64 - 1 has 20 digits
  const auto result = std::to_chars(digits.data(), digits.data() + digits.size(), value);
  return header(name, std::string_view(digits.data(), result.ptr));
}

std::size_t assemble_head(std::span<char> out, Status status, std::string_view date,
                          std::string_view fields, std::string_view more_fields) {
  // Mirrors the constructor above; a unit test holds the two to the same bytes.
  if (date.empty()) date = http_date_now();
  const std::string_view parts[] = {
      status_line(status), kCrlf, "Date: ", date,        kCrlf, "Server: ",
      kServerName,         kCrlf, fields,   more_fields, kCrlf};
  std::size_t size = 0;
  for (std::string_view part : parts) size += part.size();
  if (size > out.size()) return 0;
  char* cursor = out.data();
  for (std::string_view part : parts) {
    if (part.empty()) continue;  // an empty view may hold a null pointer, which memcpy may not get
    std::memcpy(cursor, part.data(), part.size());
    cursor += part.size();
  }
  return size;
}

std::size_t ResponseHeadWriter::finish() {
  append(kCrlf);
  return ok_ ? size_ : 0;
}

void ResponseHeadWriter::append(std::string_view bytes) {
  if (!ok_) return;
  if (bytes.size() > out_.size() - size_) {
    ok_ = false;
    return;
  }
  std::memcpy(out_.data() + size_, bytes.data(), bytes.size());
  size_ += bytes.size();
}

std::size_t build_error_response(std::span<char> out, Status status,
                                 const ErrorResponseOptions& options) {
  const std::string_view body = options.body.empty() ? default_body(status) : options.body;
  ResponseHeadWriter head(out, status, options.date);
  if (!body.empty()) head.header("Content-Type", "text/html; charset=utf-8");
  // HEAD gets the Content-Length GET would have (RFC 9110 §9.3.2), without the body.
  if (!forbids_content_length(status)) head.header("Content-Length", std::uint64_t{body.size()});
  // The page is ours and is HTML; say so firmly, so no browser sniffs anything else into it.
  head.header("X-Content-Type-Options", "nosniff");
  if (!options.allow.empty()) head.header("Allow", options.allow);
  if (!options.location.empty()) head.header("Location", options.location);
  for (const Header& extra : options.headers) head.header(extra.name, extra.value);
  // Always explicit: this builder does not know the request's version, and an HTTP/1.0 client
  // only keeps the connection open when it reads "keep-alive" (RFC 9112 §9.3). For 1.1 clients
  // the header is redundant but harmless.
  head.header("Connection", options.keep_alive ? "keep-alive" : "close");
  const std::size_t head_size = head.finish();
  if (head_size == 0) return 0;
  if (options.head_only || forbids_content_length(status)) return head_size;
  if (body.size() > out.size() - head_size) return 0;
  std::memcpy(out.data() + head_size, body.data(), body.size());
  return head_size + body.size();
}

}  // namespace hybrid::http
