#include "hybrid/server/access_log.h"

#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <ctime>

namespace hybrid::server {
namespace {

constexpr std::size_t kFlushAt = 32 * 1024;

}  // namespace

void AccessLog::append_quoted(std::string_view value) {
  buffer_ += '"';
  for (char c : value) {
    // The parser already refused control bytes; quotes and backslashes are escaped so a
    // User-Agent cannot forge fields of the line.
    if (c == '"' || c == '\\') buffer_ += '\\';
    buffer_ += c;
  }
  buffer_ += '"';
}

void AccessLog::record(std::string_view peer, const http::Request* request, http::Status status,
                       std::uint64_t body_bytes) {
  if (fd_ < 0) return;
  std::time_t now = std::time(nullptr);
  if (now != stamp_second_) {
    std::tm utc{};
    gmtime_r(&now, &utc);
    std::strftime(stamp_, sizeof stamp_, "[%d/%b/%Y:%H:%M:%S +0000]", &utc);
    stamp_second_ = now;
  }
  buffer_ += peer.empty() ? std::string_view("-") : peer;
  buffer_ += " - - ";
  buffer_ += stamp_;
  buffer_ += ' ';
  if (request != nullptr) {
    buffer_ += '"';
    buffer_ += request->method_token;
    buffer_ += ' ';
    buffer_ += request->target;
    buffer_ += request->version_minor == 0 ? " HTTP/1.0\"" : " HTTP/1.1\"";
  } else {
    buffer_ += "\"-\"";
  }
  char number[24];
  auto end = std::to_chars(number, number + sizeof number, http::code(status)).ptr;
  buffer_ += ' ';
  buffer_.append(number, end);
  end = std::to_chars(number, number + sizeof number, body_bytes).ptr;
  buffer_ += ' ';
  buffer_.append(number, end);
  buffer_ += ' ';
  append_quoted(request ? request->find_header("Referer").value_or("-") : "-");
  buffer_ += ' ';
  append_quoted(request ? request->find_header("User-Agent").value_or("-") : "-");
  buffer_ += '\n';
  if (buffer_.size() >= kFlushAt) flush();
}

void AccessLog::flush() {
  std::size_t written = 0;
  while (fd_ >= 0 && written < buffer_.size()) {
    ssize_t n = ::write(fd_, buffer_.data() + written, buffer_.size() - written);
    if (n <= 0) break;  // a full disk loses log lines, never requests
    written += static_cast<std::size_t>(n);
  }
  buffer_.clear();
}

}  // namespace hybrid::server
