// HTTP-date by arithmetic. strftime/strptime depend on the locale (RFC 9110 §5.6.7 wants English
// names whatever LC_TIME says), and glibc's gmtime_r/timegm take the process-wide timezone lock;
// the civil calendar conversions below are a dozen integer operations with no failure mode.
#include "hybrid/http/http_date.h"

#include <time.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>
#include <string_view>

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

// Hinnant's days_from_civil, the inverse of civil_from_days: days from 1970-01-01 to a proleptic
// Gregorian date (month 1..12, day already checked against the month).
constexpr std::int64_t days_from_civil(std::int64_t year, int month, int day) {
  year -= month <= 2 ? 1 : 0;
  const std::int64_t era = (year >= 0 ? year : year - 399) / 400;
  const std::int64_t year_of_era = year - era * 400;
  const std::int64_t day_of_year = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
  const std::int64_t day_of_era =
      year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146'097 + day_of_era - 719'468;
}

static_assert(days_from_civil(1970, 1, 1) == 0);
static_assert(days_from_civil(2000, 3, 1) == 11'017);
static_assert(civil_from_days(days_from_civil(1600, 2, 29)).day == 29);

// Sunday = 0, as in kDayNames.
constexpr int weekday_of(std::int64_t days) {
  return static_cast<int>(((days % 7) + 7 + 4) % 7);  // 1970-01-01 was a Thursday
}

constexpr bool is_leap_year(std::int64_t year) {
  return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
}

constexpr int days_in_month(std::int64_t year, int month) {
  constexpr int kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && is_leap_year(year) ? 29 : kDays[month - 1];
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
  const int weekday = weekday_of(days);

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

namespace {

constexpr std::array<std::string_view, 7> kLongDayNames = {
    "Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"};

// The fields of a date as written; year is complete except for an rfc850 two-digit year, which
// the caller resolves before validate_and_convert().
struct DateFields {
  int weekday = 0;  // 0 = Sunday
  std::int64_t year = 0;
  int month = 0;  // 1..12
  int day = 0;
  int hour = 0;
  int minute = 0;
  int second = 0;
};

// Consumes fixed pieces of the grammar from the front of the text; every method fails without
// side effects on the fields it would set, and the caller gives up at the first failure.
class Reader {
 public:
  explicit Reader(std::string_view text) : rest_(text) {}

  bool literal(std::string_view expected) {
    if (!rest_.starts_with(expected)) return false;
    rest_.remove_prefix(expected.size());
    return true;
  }

  // Exactly `count` ASCII digits.
  bool digits(std::size_t count, int& value) {
    if (rest_.size() < count) return false;
    int result = 0;
    for (std::size_t i = 0; i < count; ++i) {
      const char c = rest_[i];
      if (c < '0' || c > '9') return false;
      result = result * 10 + (c - '0');
    }
    rest_.remove_prefix(count);
    value = result;
    return true;
  }

  // One of `names`, case-sensitively; `index` is its position. No name in a table is a prefix of
  // another, so the first hit is the only one.
  template <std::size_t N>
  bool name(const char (&names)[N][4], int& index) {
    for (std::size_t i = 0; i < N; ++i) {
      if (literal(std::string_view(names[i], 3))) {
        index = static_cast<int>(i);
        return true;
      }
    }
    return false;
  }

  bool long_day_name(int& index) {
    for (std::size_t i = 0; i < kLongDayNames.size(); ++i) {
      if (literal(kLongDayNames[i])) {
        index = static_cast<int>(i);
        return true;
      }
    }
    return false;
  }

  bool month(int& value) {
    int index = 0;
    if (!name(kMonthNames, index)) return false;
    value = index + 1;
    return true;
  }

  // asctime's day of month: ( 2DIGIT / ( SP DIGIT ) ), e.g. "06", "16" or " 6".
  bool padded_day(int& value) { return literal(" ") ? digits(1, value) : digits(2, value); }

  // time-of-day = hour ":" minute ":" second
  bool time_of_day(DateFields& fields) {
    return digits(2, fields.hour) && literal(":") && digits(2, fields.minute) && literal(":") &&
           digits(2, fields.second);
  }

  bool at_end() const { return rest_.empty(); }

 private:
  std::string_view rest_;
};

// IMF-fixdate = day-name "," SP date1 SP time-of-day SP GMT; date1 = day SP month SP year
bool read_imf_fixdate(std::string_view text, DateFields& fields) {
  Reader in(text);
  int year = 0;
  const bool ok = in.name(kDayNames, fields.weekday) && in.literal(", ") &&
                  in.digits(2, fields.day) && in.literal(" ") && in.month(fields.month) &&
                  in.literal(" ") && in.digits(4, year) && in.literal(" ") &&
                  in.time_of_day(fields) && in.literal(" GMT") && in.at_end();
  fields.year = year;
  return ok;
}

// rfc850-date = day-name-l "," SP date2 SP time-of-day SP GMT; date2 = day "-" month "-" 2DIGIT
// The two-digit year is left in fields.year for the caller to resolve.
bool read_rfc850_date(std::string_view text, DateFields& fields) {
  Reader in(text);
  int year = 0;
  const bool ok = in.long_day_name(fields.weekday) && in.literal(", ") &&
                  in.digits(2, fields.day) && in.literal("-") && in.month(fields.month) &&
                  in.literal("-") && in.digits(2, year) && in.literal(" ") &&
                  in.time_of_day(fields) && in.literal(" GMT") && in.at_end();
  fields.year = year;
  return ok;
}

// asctime-date = day-name SP date3 SP time-of-day SP year; date3 = month SP ( 2DIGIT / ( SP DIGIT
// ))
bool read_asctime_date(std::string_view text, DateFields& fields) {
  Reader in(text);
  int year = 0;
  const bool ok = in.name(kDayNames, fields.weekday) && in.literal(" ") && in.month(fields.month) &&
                  in.literal(" ") && in.padded_day(fields.day) && in.literal(" ") &&
                  in.time_of_day(fields) && in.literal(" ") && in.digits(4, year) && in.at_end();
  fields.year = year;
  return ok;
}

std::int64_t year_of(std::time_t t) {
  std::int64_t days = static_cast<std::int64_t>(t) / kSecondsPerDay;
  if (static_cast<std::int64_t>(t) % kSecondsPerDay < 0) --days;
  return civil_from_days(days).year;
}

// RFC 9110 §5.6.7: a two-digit year more than 50 years in the future is the most recent past year
// with the same last two digits. The window is therefore [now_year - 49, now_year + 50].
std::int64_t resolve_two_digit_year(int two_digits, std::time_t now) {
  const std::int64_t now_year = year_of(now);
  // The latest year <= now_year ending in these digits (floor modulo, for years before 0).
  const std::int64_t back = ((now_year - two_digits) % 100 + 100) % 100;
  const std::int64_t past = now_year - back;
  return past + 100 <= now_year + 50 ? past + 100 : past;
}

std::optional<std::time_t> validate_and_convert(const DateFields& f) {
  if (f.month < 1 || f.month > 12) return std::nullopt;
  if (f.day < 1 || f.day > days_in_month(f.year, f.month)) return std::nullopt;
  if (f.hour > 23 || f.minute > 59 || f.second > 60) return std::nullopt;
  const std::int64_t days = days_from_civil(f.year, f.month, f.day);
  if (weekday_of(days) != f.weekday) return std::nullopt;
  return static_cast<std::time_t>(days * kSecondsPerDay + f.hour * 3600 + f.minute * 60 + f.second);
}

std::time_t current_time() {
  timespec now{};
  ::clock_gettime(CLOCK_REALTIME_COARSE, &now);
  return now.tv_sec;
}

// `now` is read only for an rfc850-date, the one format that needs it.
template <typename Now>
std::optional<std::time_t> parse(std::string_view text, Now now) {
  DateFields fields;
  if (read_imf_fixdate(text, fields)) return validate_and_convert(fields);
  fields = {};
  if (read_rfc850_date(text, fields)) {
    fields.year = resolve_two_digit_year(static_cast<int>(fields.year), now());
    return validate_and_convert(fields);
  }
  fields = {};
  if (read_asctime_date(text, fields)) return validate_and_convert(fields);
  return std::nullopt;
}

}  // namespace

std::optional<std::time_t> parse_http_date(std::string_view text) {
  return parse(text, current_time);
}

std::optional<std::time_t> parse_http_date(std::string_view text, std::time_t now) {
  return parse(text, [now] { return now; });
}

}  // namespace hybrid::http
