// IMF-fixdate by arithmetic. strftime depends on the locale (RFC 9110 §5.6.7 wants English names
// whatever LC_TIME says), and glibc's gmtime_r takes the process-wide timezone lock; the civil
// calendar conversion below is a dozen integer operations with no failure mode.
#include "hybrid/http/http_date.h"

#include <time.h>

#include <algorithm>
#include <cstdint>
#include <limits>

namespace hybrid::http {
namespace {

constexpr char kDayNames[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
constexpr char kMonthNames[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

// The format has a four-digit year, so clamp to 0001-01-01T00:00:00Z .. 9999-12-31T23:59:59Z.
constexpr std::int64_t kMinTime = -62'135'596'800;
constexpr std::int64_t kMaxTime = 253'402'300'799;
constexpr std::int64_t kSecondsPerDay = 86'400;

struct CivilDate {
  std::int64_t year;
  int month;  // 1..12
  int day;    // 1..31
};

// Howard Hinnant's civil_from_days: proleptic Gregorian date of a day count from 1970-01-01,
// exact for every leap-year rule (4, 100, 400) because it works in 400-year eras.
constexpr CivilDate civil_from_days(std::int64_t days) {
  days += 719'468;  // shift the epoch to 0000-03-01, so leap days fall at the end of a year
  const std::int64_t era = (days >= 0 ? days : days - 146'096) / 146'097;
  const std::int64_t day_of_era = days - era * 146'097;
  const std::int64_t year_of_era =
      (day_of_era - day_of_era / 1460 + day_of_era / 36'524 - day_of_era / 146'096) / 365;
  const std::int64_t day_of_year =
      day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  const std::int64_t month_from_march = (5 * day_of_year + 2) / 153;
  const auto day = static_cast<int>(day_of_year - (153 * month_from_march + 2) / 5 + 1);
  const auto month =
      static_cast<int>(month_from_march < 10 ? month_from_march + 3 : month_from_march - 9);
  return {year_of_era + era * 400 + (month <= 2 ? 1 : 0), month, day};
}

void write_two_digits(char* out, std::int64_t value) {
  out[0] = static_cast<char>('0' + value / 10);
  out[1] = static_cast<char>('0' + value % 10);
}

}  // namespace

void format_http_date(std::time_t t, std::span<char, kHttpDateLength> out) {
  const std::int64_t seconds = std::clamp<std::int64_t>(t, kMinTime, kMaxTime);
  // Floor division, so times before 1970 land on the right day.
  std::int64_t days = seconds / kSecondsPerDay;
  std::int64_t second_of_day = seconds % kSecondsPerDay;
  if (second_of_day < 0) {
    second_of_day += kSecondsPerDay;
    --days;
  }
  const CivilDate date = civil_from_days(days);
  const std::int64_t weekday = ((days % 7) + 7 + 4) % 7;  // 1970-01-01 was a Thursday

  // "Sun, 06 Nov 1994 08:49:37 GMT"
  char* p = out.data();
  std::copy_n(kDayNames[weekday], 3, p);
  p[3] = ',';
  p[4] = ' ';
  write_two_digits(p + 5, date.day);
  p[7] = ' ';
  std::copy_n(kMonthNames[date.month - 1], 3, p + 8);
  p[11] = ' ';
  write_two_digits(p + 12, date.year / 100);
  write_two_digits(p + 14, date.year % 100);
  p[16] = ' ';
  write_two_digits(p + 17, second_of_day / 3600);
  p[19] = ':';
  write_two_digits(p + 20, second_of_day / 60 % 60);
  p[22] = ':';
  write_two_digits(p + 23, second_of_day % 60);
  std::copy_n(" GMT", 4, p + 25);
}

std::string_view http_date_now() {
  struct Cache {
    std::time_t second = std::numeric_limits<std::time_t>::min();  // no second formatted yet
    char text[kHttpDateLength] = {};
  };
  thread_local Cache cache;
  // The coarse clock is a vDSO read without the TSC: a few ns, and millisecond precision is far
  // more than a one-second header needs.
  timespec now{};
  ::clock_gettime(CLOCK_REALTIME_COARSE, &now);
  if (now.tv_sec != cache.second) {
    format_http_date(now.tv_sec, std::span<char, kHttpDateLength>(cache.text));
    cache.second = now.tv_sec;
  }
  return {cache.text, kHttpDateLength};
}

}  // namespace hybrid::http
