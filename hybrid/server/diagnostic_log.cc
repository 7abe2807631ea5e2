#include "hybrid/server/diagnostic_log.h"

#include <cstdarg>
#include <cstdio>
#include <ctime>

namespace hybrid::server {

std::optional<LogLevel> parse_log_level(std::string_view name) {
  for (LogLevel level : {LogLevel::kError, LogLevel::kWarn, LogLevel::kInfo, LogLevel::kDebug}) {
    if (name == log_level_name(level)) return level;
  }
  return std::nullopt;
}

std::string_view log_level_name(LogLevel level) {
  switch (level) {
    case LogLevel::kError:
      return "error";
    case LogLevel::kWarn:
      return "warn";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kDebug:
      return "debug";
  }
  return "?";
}

void DiagnosticLog::write(LogLevel level, const char* format, ...) const {
  if (!enabled(level)) return;
  char line[1024];
  std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  std::size_t length = std::strftime(line, sizeof line, "%Y-%m-%dT%H:%M:%SZ ", &utc);
  const std::string_view name = log_level_name(level);
  length += static_cast<std::size_t>(std::snprintf(line + length, sizeof line - length,
                                                   "%.*s hybrid: ", static_cast<int>(name.size()),
                                                   name.data()));
  std::va_list arguments;
  va_start(arguments, format);
  const int written = std::vsnprintf(line + length, sizeof line - length - 1, format, arguments);
  va_end(arguments);
  // A longer message is cut, never split over two lines.
  if (written > 0) length += std::min(static_cast<std::size_t>(written), sizeof line - length - 2);
  line[length++] = '\n';
  ssize_t ignored = ::write(fd_, line, length);  // a closed stderr loses the line, nothing else
  static_cast<void>(ignored);
}

}  // namespace hybrid::server
