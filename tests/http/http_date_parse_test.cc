#include <gtest/gtest.h>
#include <time.h>

#include <array>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

#include "hybrid/http/http_date.h"

namespace hybrid::http {
namespace {

template <typename Case>
std::string case_name(const testing::TestParamInfo<Case>& param_info) {
  return param_info.param.name;
}

constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
constexpr const char* kLongDays[] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                     "Thursday", "Friday", "Saturday"};
constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

// 2024-06-01T00:00:00Z: fixes "now" for two-digit years, so the window is [1975, 2074].
constexpr std::time_t kNow2024 = 1717200000;

// --- valid dates --------------------------------------------------------------------------------

struct ValidCase {
  const char* name;  // cites RFC 9110 §5.6.7 and says what it checks
  std::string_view text;
  std::time_t expected;
};

const ValidCase kValidCases[] = {
    {"ImfFixdateExample_Rfc9110_5_6_7", "Sun, 06 Nov 1994 08:49:37 GMT", 784111777},
    {"Rfc850Example_Rfc9110_5_6_7", "Sunday, 06-Nov-94 08:49:37 GMT", 784111777},
    {"AsctimeExample_Rfc9110_5_6_7", "Sun Nov  6 08:49:37 1994", 784111777},
    {"AsctimeZeroPaddedDay_Rfc9110_5_6_7", "Sun Nov 06 08:49:37 1994", 784111777},
    {"AsctimeTwoDigitDay_Rfc9110_5_6_7", "Wed Nov 16 08:49:37 1994", 784975777},
    {"ImfEpoch_Rfc9110_5_6_7", "Thu, 01 Jan 1970 00:00:00 GMT", 0},
    {"ImfBeforeEpoch_Rfc9110_5_6_7", "Wed, 31 Dec 1969 23:59:59 GMT", -1},
    {"ImfYear1900_Rfc9110_5_6_7", "Mon, 01 Jan 1900 00:00:00 GMT", -2208988800},
    {"ImfLeapDay2000_Rfc9110_5_6_7", "Tue, 29 Feb 2000 00:00:00 GMT", 951782400},
    {"ImfLeapDay2024LastSecond_Rfc9110_5_6_7", "Thu, 29 Feb 2024 23:59:59 GMT", 1709251199},
    {"ImfYear9999_Rfc9110_5_6_7", "Fri, 31 Dec 9999 23:59:59 GMT", 253402300799},
    {"ImfYear0001_Rfc9110_5_6_7", "Mon, 01 Jan 0001 00:00:00 GMT", -62135596800},
    {"ImfLeapSecondIsNextMinute_Rfc9110_5_6_7", "Wed, 31 Dec 2008 23:59:60 GMT", 1230768000},
    {"AsctimeLeapDay2000_Rfc9110_5_6_7", "Tue Feb 29 00:00:00 2000", 951782400},
    {"AsctimeBeforeEpoch_Rfc9110_5_6_7", "Wed Dec 31 23:59:59 1969", -1},
    {"Rfc850TwoDigitYear94Is1994_Rfc9110_5_6_7", "Sunday, 06-Nov-94 08:49:37 GMT", 784111777},
    {"Rfc850FiftyYearsAheadStaysFuture_Rfc9110_5_6_7", "Friday, 01-Jun-74 00:00:00 GMT",
     3295036800},
    {"Rfc850FiftyOneYearsAheadIsPast_Rfc9110_5_6_7", "Sunday, 01-Jun-75 00:00:00 GMT", 170812800},
    {"Rfc850Year00Is2000_Rfc9110_5_6_7", "Saturday, 01-Jan-00 00:00:00 GMT", 946684800},
    {"Rfc850CurrentYear_Rfc9110_5_6_7", "Saturday, 01-Jun-24 00:00:00 GMT", kNow2024},
};

class ValidDate : public testing::TestWithParam<ValidCase> {};

TEST_P(ValidDate, ParsesToTheInstant) {
  EXPECT_EQ(parse_http_date(GetParam().text, kNow2024), GetParam().expected);
}

INSTANTIATE_TEST_SUITE_P(ParseHttpDate, ValidDate, testing::ValuesIn(kValidCases),
                         case_name<ValidCase>);

// --- invalid dates ------------------------------------------------------------------------------

struct InvalidCase {
  const char* name;
  std::string_view text;
};

using namespace std::string_view_literals;

const InvalidCase kInvalidCases[] = {
    {"Empty_Rfc9110_5_6_7", ""},
    {"WeekdayDisagreesWithDate_Rfc9110_5_6_7", "Mon, 06 Nov 1994 08:49:37 GMT"},
    {"UnknownDayName_Rfc9110_5_6_7", "Sux, 06 Nov 1994 08:49:37 GMT"},
    {"LowerCaseDayNameIsCaseSensitive_Rfc9110_5_6_7", "sun, 06 Nov 1994 08:49:37 GMT"},
    {"UpperCaseMonthIsCaseSensitive_Rfc9110_5_6_7", "Sun, 06 NOV 1994 08:49:37 GMT"},
    {"UnknownMonth_Rfc9110_5_6_7", "Sun, 06 Nox 1994 08:49:37 GMT"},
    {"LowerCaseGmt_Rfc9110_5_6_7", "Sun, 06 Nov 1994 08:49:37 gmt"},
    {"UtcInsteadOfGmt_Rfc9110_5_6_7", "Sun, 06 Nov 1994 08:49:37 UTC"},
    {"NumericZone_Rfc9110_5_6_7", "Sun, 06 Nov 1994 08:49:37 +0000"},
    {"NoZone_Rfc9110_5_6_7", "Sun, 06 Nov 1994 08:49:37"},
    {"Feb29InCommonYear_Rfc9110_5_6_7", "Wed, 29 Feb 2023 00:00:00 GMT"},   // Mar 1 was a Wed
    {"Feb29In1900NotLeap_Rfc9110_5_6_7", "Thu, 29 Feb 1900 00:00:00 GMT"},  // Mar 1 was a Thu
    {"Feb30_Rfc9110_5_6_7", "Thu, 30 Feb 2024 00:00:00 GMT"},
    {"Apr31_Rfc9110_5_6_7", "Wed, 31 Apr 2024 00:00:00 GMT"},  // May 1 was a Wed
    {"Day00_Rfc9110_5_6_7", "Thu, 00 Nov 2023 00:00:00 GMT"},
    {"Day32_Rfc9110_5_6_7", "Sat, 32 Dec 2023 00:00:00 GMT"},
    {"Hour24_Rfc9110_5_6_7", "Sun, 06 Nov 1994 24:00:00 GMT"},
    {"Minute60_Rfc9110_5_6_7", "Sun, 06 Nov 1994 08:60:00 GMT"},
    {"Second61_Rfc9110_5_6_7", "Sun, 06 Nov 1994 08:49:61 GMT"},
    {"TrailingGarbage_Rfc9110_5_6_7", "Sun, 06 Nov 1994 08:49:37 GMTx"},
    {"TrailingSpace_Rfc9110_5_6_7", "Sun, 06 Nov 1994 08:49:37 GMT "},
    {"LeadingSpace_Rfc9110_5_6_7", " Sun, 06 Nov 1994 08:49:37 GMT"},
    {"OldIeLengthParameter_Rfc9110_5_6_7", "Sun, 06 Nov 1994 08:49:37 GMT; length=1234"},
    {"TrailingNul_Rfc9110_5_6_7", "Sun, 06 Nov 1994 08:49:37 GMT\0"sv},
    {"TwoDates_Rfc9110_5_6_7", "Sun, 06 Nov 1994 08:49:37 GMT, Sun, 06 Nov 1994 08:49:37 GMT"},
    {"OneDigitDayInImf_Rfc9110_5_6_7", "Sun, 6 Nov 1994 08:49:37 GMT"},
    {"OneDigitHour_Rfc9110_5_6_7", "Sun, 06 Nov 1994 8:49:37 GMT"},
    {"LetterInSeconds_Rfc9110_5_6_7", "Sun, 06 Nov 1994 08:49:3x GMT"},
    {"SignedDay_Rfc9110_5_6_7", "Sun, +6 Nov 1994 08:49:37 GMT"},
    {"TwoDigitYearInImf_Rfc9110_5_6_7", "Sun, 06 Nov 94 08:49:37 GMT"},
    {"FiveDigitYearInImf_Rfc9110_5_6_7", "Sun, 06 Nov 01994 08:49:37 GMT"},
    {"TabSeparator_Rfc9110_5_6_7", "Sun,\t06 Nov 1994 08:49:37 GMT"},
    {"DoubleSpace_Rfc9110_5_6_7", "Sun,  06 Nov 1994 08:49:37 GMT"},
    {"LongDayNameInImf_Rfc9110_5_6_7", "Sunday, 06 Nov 1994 08:49:37 GMT"},
    {"ShortDayNameInRfc850_Rfc9110_5_6_7", "Sun, 06-Nov-94 08:49:37 GMT"},
    {"FourDigitYearInRfc850_Rfc9110_5_6_7", "Sunday, 06-Nov-1994 08:49:37 GMT"},
    {"Rfc850WeekdayOfResolvedYear_Rfc9110_5_6_7", "Sunday, 01-Jun-74 00:00:00 GMT"},  // 2074: Fri
    {"Rfc850WithoutGmt_Rfc9110_5_6_7", "Sunday, 06-Nov-94 08:49:37"},
    {"AsctimeOneSpaceBeforeOneDigitDay_Rfc9110_5_6_7", "Sun Nov 6 08:49:37 1994"},
    {"AsctimeSpacePaddedTwoDigitDay_Rfc9110_5_6_7", "Wed Nov  16 08:49:37 1994"},
    {"AsctimeWithGmt_Rfc9110_5_6_7", "Sun Nov  6 08:49:37 1994 GMT"},
    {"AsctimeTwoDigitYear_Rfc9110_5_6_7", "Sun Nov  6 08:49:37 94"},
    {"AsctimeWithComma_Rfc9110_5_6_7", "Sun, Nov  6 08:49:37 1994"},
    {"AsctimeWrongWeekday_Rfc9110_5_6_7", "Mon Nov  6 08:49:37 1994"},
    {"Iso8601_Rfc9110_5_6_7", "1994-11-06T08:49:37Z"},
    {"EpochSeconds_Rfc9110_5_6_7", "784111777"},
};

class InvalidDate : public testing::TestWithParam<InvalidCase> {};

TEST_P(InvalidDate, IsNullopt) {
  EXPECT_EQ(parse_http_date(GetParam().text, kNow2024), std::nullopt);
  EXPECT_EQ(parse_http_date(GetParam().text), std::nullopt);
}

INSTANTIATE_TEST_SUITE_P(ParseHttpDate, InvalidDate, testing::ValuesIn(kInvalidCases),
                         case_name<InvalidCase>);

// --- properties ---------------------------------------------------------------------------------

TEST(ParseHttpDate, EveryProperPrefixOfAValidDateIsNullopt_Rfc9110_5_6_7) {
  for (const ValidCase& c : kValidCases) {
    for (std::size_t length = 0; length < c.text.size(); ++length) {
      ASSERT_EQ(parse_http_date(c.text.substr(0, length), kNow2024), std::nullopt)
          << c.name << " cut at " << length;
    }
  }
}

TEST(ParseHttpDate, InvertsFormatHttpDateFromYear1To9999_Rfc9110_5_6_7) {
  // About every 3.7 days plus an odd number of seconds, so every weekday, month and time field
  // takes many values.
  for (std::time_t t = -62135596800; t <= 253402300799; t += 321'987) {
    std::array<char, kHttpDateLength> text;
    format_http_date(t, text);
    ASSERT_EQ(parse_http_date(std::string_view(text.data(), text.size())), t)
        << std::string_view(text.data(), text.size());
  }
}

std::string asctime_text(const tm& parts) {
  char text[64];
  std::snprintf(text, sizeof text, "%s %s %2d %02d:%02d:%02d %04d", kDays[parts.tm_wday],
                kMonths[parts.tm_mon], parts.tm_mday, parts.tm_hour, parts.tm_min, parts.tm_sec,
                parts.tm_year + 1900);
  return text;
}

std::string rfc850_text(const tm& parts) {
  char text[64];
  std::snprintf(text, sizeof text, "%s, %02d-%s-%02d %02d:%02d:%02d GMT", kLongDays[parts.tm_wday],
                parts.tm_mday, kMonths[parts.tm_mon], (parts.tm_year + 1900) % 100, parts.tm_hour,
                parts.tm_min, parts.tm_sec);
  return text;
}

TEST(ParseHttpDate, AsctimeAgreesWithGmtimeFor1900To2100_Rfc9110_5_6_7) {
  for (std::time_t t = -2208988800; t < 4102444800; t += 54'321) {
    tm parts{};
    ASSERT_NE(::gmtime_r(&t, &parts), nullptr);
    const std::string text = asctime_text(parts);
    ASSERT_EQ(parse_http_date(text), t) << text;
  }
}

TEST(ParseHttpDate, Rfc850WithinFiftyYearsOfNowAgreesWithGmtime_Rfc9110_5_6_7) {
  // For each "now", dates from 49 years before to 50 years after resolve to the right century.
  constexpr std::time_t kYear = 31'556'952;  // mean Gregorian year
  for (std::time_t now = -631152000; now < 4102444800; now += 97 * 86'400 + 12'345) {
    for (std::time_t t = now - 48 * kYear; t < now + 49 * kYear; t += 3 * kYear + 777) {
      tm parts{};
      ASSERT_NE(::gmtime_r(&t, &parts), nullptr);
      const std::string text = rfc850_text(parts);
      ASSERT_EQ(parse_http_date(text, now), t) << text << " now=" << now;
    }
  }
}

TEST(ParseHttpDate, Rfc850WithoutNowUsesTheCurrentYear_Rfc9110_5_6_7) {
  const std::time_t now = std::time(nullptr);
  tm parts{};
  ASSERT_NE(::gmtime_r(&now, &parts), nullptr);
  const std::string text = rfc850_text(parts);
  EXPECT_EQ(parse_http_date(text), now) << text;
}

}  // namespace
}  // namespace hybrid::http
