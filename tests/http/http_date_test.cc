#include "hybrid/http/http_date.h"

#include <gtest/gtest.h>
#include <time.h>

#include <array>
#include <cstdio>
#include <string>

namespace hybrid::http {
namespace {

std::string format(std::time_t t) {
  std::array<char, kHttpDateLength> out;
  format_http_date(t, out);
  return std::string(out.data(), out.size());
}

struct DateCase {
  std::string_view name;
  std::time_t t;
  std::string_view text;
};

constexpr DateCase kDates[] = {
    {"rfc_example", 784111777, "Sun, 06 Nov 1994 08:49:37 GMT"},
    {"epoch", 0, "Thu, 01 Jan 1970 00:00:00 GMT"},
    {"before_epoch", -1, "Wed, 31 Dec 1969 23:59:59 GMT"},
    {"long_before_epoch", -2208988800, "Mon, 01 Jan 1900 00:00:00 GMT"},
    {"leap_day_2000", 951782400, "Tue, 29 Feb 2000 00:00:00 GMT"},
    {"after_leap_day_2000", 951868800, "Wed, 01 Mar 2000 00:00:00 GMT"},
    {"leap_day_2024", 1709164800, "Thu, 29 Feb 2024 00:00:00 GMT"},
    {"no_leap_day_2100", 4107456000, "Sun, 28 Feb 2100 00:00:00 GMT"},
    {"march_follows_february_2100", 4107542400, "Mon, 01 Mar 2100 00:00:00 GMT"},
    {"end_of_1999", 946684799, "Fri, 31 Dec 1999 23:59:59 GMT"},
    {"int32_max", 2147483647, "Tue, 19 Jan 2038 03:14:07 GMT"},
    {"after_int32", 2147483648, "Tue, 19 Jan 2038 03:14:08 GMT"},
    {"year_2106", 4294967296, "Sun, 07 Feb 2106 06:28:16 GMT"},
    {"last_representable", 253402300799, "Fri, 31 Dec 9999 23:59:59 GMT"},
    {"clamped_above", 253402300800, "Fri, 31 Dec 9999 23:59:59 GMT"},
    {"first_representable", -62135596800, "Mon, 01 Jan 0001 00:00:00 GMT"},
    {"clamped_below", -62135596801, "Mon, 01 Jan 0001 00:00:00 GMT"},
};

TEST(FormatHttpDate, KnownInstants) {
  for (const DateCase& c : kDates) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(format(c.t), c.text);
  }
}

TEST(FormatHttpDate, AgreesWithGmtimeAndEnglishNamesEveryFewHoursForFortyYears) {
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  for (std::time_t t = 0; t < 40LL * 366 * 86400; t += 7 * 3600 + 13 * 60 + 17) {
    tm parts{};
    ASSERT_NE(::gmtime_r(&t, &parts), nullptr);
    char expected[64];
    std::snprintf(expected, sizeof expected, "%s, %02d %s %04d %02d:%02d:%02d GMT",
                  kDays[parts.tm_wday], parts.tm_mday, kMonths[parts.tm_mon], parts.tm_year + 1900,
                  parts.tm_hour, parts.tm_min, parts.tm_sec);
    ASSERT_EQ(format(t), expected) << t;
  }
}

TEST(HttpDateNow, IsTheCurrentTimeAsAFixdate) {
  const std::time_t before = std::time(nullptr);
  const std::string now(http_date_now());
  const std::time_t after = std::time(nullptr);
  ASSERT_EQ(now.size(), kHttpDateLength);
  EXPECT_TRUE(now == format(before) || now == format(after) || now == format(before - 1))
      << now;  // the coarse clock may trail time() by a tick
}

TEST(HttpDateNow, RepeatedCallsReturnTheSameCachedText) {
  const std::string_view first = http_date_now();
  const std::string_view second = http_date_now();
  EXPECT_EQ(first.data(), second.data());
  EXPECT_TRUE(second.ends_with(" GMT"));
}

}  // namespace
}  // namespace hybrid::http
