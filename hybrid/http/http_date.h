// HTTP-date (RFC 9110 §5.6.7): IMF-fixdate formatting with a per-thread cache, so the Date header
// costs a vDSO clock read and a copy, not a strftime, per response; and parsing of all three
// formats a recipient must accept, for If-Modified-Since and If-Unmodified-Since.
#pragma once

#include <ctime>
#include <optional>
#include <span>
#include <string_view>

namespace hybrid::http {

inline constexpr std::size_t kHttpDateLength = 29;  // "Sun, 06 Nov 1994 08:49:37 GMT"

// Writes exactly kHttpDateLength bytes for `t` (UTC) into `out`.
void format_http_date(std::time_t t, std::span<char, kHttpDateLength> out);

// The current time as an IMF-fixdate, reformatted at most once per second per thread. The view is
// valid on this thread until the next call.
std::string_view http_date_now();

// Parses an HTTP-date in any of the three formats of RFC 9110 §5.6.7, exactly as the grammar
// spells them (the grammar is case-sensitive; no whitespace is skipped: trim OWS first):
//   IMF-fixdate  "Sun, 06 Nov 1994 08:49:37 GMT"
//   rfc850-date  "Sunday, 06-Nov-94 08:49:37 GMT"   (obsolete)
//   asctime-date "Sun Nov  6 08:49:37 1994"         (obsolete; day is " 6" or "06")
// Returns the instant (UTC) or nullopt for anything else: an unknown day or month name, a day name
// that is not the weekday of the date (it is redundant, so a mismatch means a corrupt value), a
// day the month does not have (Feb 29 only in leap years), hour > 23, minute > 59, second > 60,
// or any byte before or after the date. Second 60 is accepted because IMF-fixdate inherits leap
// seconds from RFC 5322 §3.3; like POSIX timegm() it denotes the first second of the next minute.
//
// A two-digit rfc850 year is resolved as §5.6.7 requires: a year that would be more than 50 years
// in the future is the most recent past year with those digits, i.e. the year lies in
// [now_year - 49, now_year + 50], judged by calendar year. The one-argument form reads the coarse
// realtime clock for that, and only when the text is an rfc850-date; the two-argument form takes
// "now" from the caller and is fully deterministic. Neither allocates, nor consults the locale or
// the timezone.
std::optional<std::time_t> parse_http_date(std::string_view text);
std::optional<std::time_t> parse_http_date(std::string_view text, std::time_t now);

}  // namespace hybrid::http
