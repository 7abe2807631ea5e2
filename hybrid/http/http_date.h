// IMF-fixdate formatting (RFC 9110 §5.6.7) with a per-thread cache, so the Date header costs a
// vDSO clock read and a copy, not a strftime, per response.
#pragma once

#include <ctime>
#include <span>
#include <string_view>

namespace hybrid::http {

inline constexpr std::size_t kHttpDateLength = 29;  // "Sun, 06 Nov 1994 08:49:37 GMT"

// Writes exactly kHttpDateLength bytes for `t` (UTC) into `out`.
void format_http_date(std::time_t t, std::span<char, kHttpDateLength> out);

// The current time as an IMF-fixdate, reformatted at most once per second per thread. The view is
// valid on this thread until the next call.
std::string_view http_date_now();

}  // namespace hybrid::http
