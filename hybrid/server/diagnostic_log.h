// The server's diagnostic log: one line per event (start, drain, a root that vanished, a handler
// that threw, a connection timed out), never one per request below debug. Lines go to stderr,
// where systemd's journal or a terminal takes them:
//
//   2026-12-05T19:30:01Z warn hybrid: document root 'html' is gone; answering 500 until it returns
//
// Any thread may write; each line leaves in one write(2), so lines of different threads never
// interleave. Events are rare (debug aside), so the syscall stays off the hot path.
#pragma once

#include <unistd.h>

#include <optional>
#include <string_view>

#include "hybrid/server/server.h"

namespace hybrid::server {

// "error", "warn", "info" or "debug"; nullopt for anything else.
std::optional<LogLevel> parse_log_level(std::string_view name);
std::string_view log_level_name(LogLevel level);

class DiagnosticLog {
 public:
  explicit DiagnosticLog(LogLevel level, int fd = STDERR_FILENO) : level_(level), fd_(fd) {}

  bool enabled(LogLevel level) const { return level <= level_; }

  // printf-style; the line's end is added. Nothing is formatted when `level` is not enabled.
  void write(LogLevel level, const char* format, ...) const __attribute__((format(printf, 3, 4)));

 private:
  LogLevel level_;
  int fd_;
};

}  // namespace hybrid::server
