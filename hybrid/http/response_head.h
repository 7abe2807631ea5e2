// Building response heads into a caller-provided buffer: no allocation, one pass.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "hybrid/http/status.h"

namespace hybrid::http {

inline constexpr std::string_view kServerName = "hybrid";

// Appends "Name: value\r\n" lines after a status line. If the buffer runs out, ok() turns false
// and further appends are ignored; callers size buffers so that this never happens for the
// headers they send, and answer 500 if it does.
class ResponseHeadWriter {
 public:
  // Writes the status line ("HTTP/1.1 200 OK\r\n") plus Date and Server.
  ResponseHeadWriter(std::span<char> out, Status status, std::string_view date);

  ResponseHeadWriter& header(std::string_view name, std::string_view value);
  ResponseHeadWriter& header(std::string_view name, std::uint64_t value);

  // Appends the empty line; returns the head's total length (0 when the buffer was too small).
  std::size_t finish();

  bool ok() const { return ok_; }

 private:
  void append(std::string_view bytes);

  std::span<char> out_;
  std::size_t size_ = 0;
  bool ok_ = true;
};

struct ErrorResponseOptions {
  bool keep_alive = false;
  bool head_only = false;             // HEAD: same headers, no body
  std::string_view allow;             // sent as Allow when not empty (405)
  std::string_view location;          // sent as Location when not empty (301)
  std::string_view date;
};

// A complete response (head and, unless head_only, the status table's default HTML body) for an
// error or redirect. Returns the bytes written, 0 if `out` is too small (2 KiB always suffices).
std::size_t build_error_response(std::span<char> out, Status status,
                                 const ErrorResponseOptions& options);

}  // namespace hybrid::http
