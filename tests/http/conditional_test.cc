#include "hybrid/http/conditional.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <array>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hybrid/http/request_parser.h"

namespace hybrid::http {
namespace {

template <typename Case>
std::string case_name(const testing::TestParamInfo<Case>& param_info) {
  return param_info.param.name;
}

struct stat make_stat(ino_t inode, off_t size, std::time_t mtime_sec, long mtime_nsec) {
  struct stat st {};
  st.st_ino = inode;
  st.st_size = size;
  st.st_mtim.tv_sec = mtime_sec;
  st.st_mtim.tv_nsec = mtime_nsec;
  return st;
}

std::string etag_of(const struct stat& st, std::string_view suffix = "") {
  std::array<char, kMaxEtagLength> out;
  const std::size_t length = format_etag(st, suffix, out);
  return std::string(out.data(), length);
}

// --- format_etag --------------------------------------------------------------------------------

TEST(FormatEtag, IsAQuotedStrongTagOfHexInodeSizeAndMtimeNs_Rfc9110_8_8_3) {
  EXPECT_EQ(etag_of(make_stat(0x1a2b, 0x3c4, 1700000000, 123456789)),
            "\"1a2b-3c4-17979cfe3d85cd15\"");
}

TEST(FormatEtag, ZeroFieldsAreSingleZeroDigits_Rfc9110_8_8_3) {
  EXPECT_EQ(etag_of(make_stat(0, 0, 0, 0)), "\"0-0-0\"");
}

TEST(FormatEtag, CodingSuffixGoesInsideTheQuotes_Rfc9110_8_8_3_3) {
  const struct stat st = make_stat(0x1a2b, 0x3c4, 1700000000, 123456789);
  EXPECT_EQ(etag_of(st, "-br"), "\"1a2b-3c4-17979cfe3d85cd15-br\"");
  EXPECT_EQ(etag_of(st, "-gz"), "\"1a2b-3c4-17979cfe3d85cd15-gz\"");
}

TEST(FormatEtag, EncodedVariantsDoNotMatchEachOtherEvenWeakly_Rfc9110_8_8_3_3) {
  const struct stat st = make_stat(7, 100, 1700000000, 0);
  const std::string identity = etag_of(st);
  const std::string brotli = etag_of(st, "-br");
  EXPECT_FALSE(etag_list_matches(brotli, identity, /*weak_comparison=*/true));
  EXPECT_FALSE(etag_list_matches(identity, brotli, /*weak_comparison=*/true));
  EXPECT_TRUE(etag_list_matches(brotli, brotli, /*weak_comparison=*/false));
}

TEST(FormatEtag, EveryFieldChangesTheTag_Rfc9110_8_8_3) {
  const std::string base = etag_of(make_stat(1, 2, 1700000000, 4));
  EXPECT_NE(etag_of(make_stat(9, 2, 1700000000, 4)), base);  // replaced by rename
  EXPECT_NE(etag_of(make_stat(1, 9, 1700000000, 4)), base);  // appended within the same tick
  EXPECT_NE(etag_of(make_stat(1, 2, 1700000001, 4)), base);
  EXPECT_NE(etag_of(make_stat(1, 2, 1700000000, 5)), base);  // a nanosecond later
}

TEST(FormatEtag, PreEpochMtimeWrapsDeterministically_Rfc9110_8_8_3) {
  EXPECT_EQ(etag_of(make_stat(1, 1, -1, 5)), "\"1-1-ffffffffc4653605\"");
}

TEST(FormatEtag, LargestFieldsWithTwelveByteSuffixFitMaxLength_Rfc9110_8_8_3) {
  const struct stat st = make_stat(std::numeric_limits<ino_t>::max(),
                                   std::numeric_limits<off_t>::max(), -1, 999'999'999);
  const std::string tag = etag_of(st, "-abcdefghijk");
  ASSERT_EQ(tag.size(), kMaxEtagLength);
  EXPECT_EQ(tag, "\"ffffffffffffffff-7fffffffffffffff-ffffffffffffffff-abcdefghijk\"");
}

TEST(FormatEtag, TooSmallBufferWritesNothingAndReturnsZero_Rfc9110_8_8_3) {
  const struct stat st = make_stat(0x1a2b, 0x3c4, 1, 0);  // "1a2b-3c4-3b9aca00": 19 bytes
  std::array<char, 32> out;
  out.fill('x');
  EXPECT_EQ(format_etag(st, "", std::span<char>(out.data(), 18)), 0U);
  EXPECT_EQ(out[0], 'x');
  EXPECT_EQ(format_etag(st, "", std::span<char>(out.data(), 19)), 19U);
  EXPECT_EQ(std::string_view(out.data(), 19), "\"1a2b-3c4-3b9aca00\"");
  EXPECT_EQ(format_etag(st, "-br", std::span<char>(out.data(), 21)), 0U);
  EXPECT_EQ(format_etag(st, "", std::span<char>()), 0U);
}

TEST(FormatEtag, SuffixOutsideEtagcIsRefused_Rfc9110_8_8_3) {
  const struct stat st = make_stat(1, 1, 1, 0);
  std::array<char, kMaxEtagLength> out;
  EXPECT_EQ(format_etag(st, "-\"", out), 0U);
  EXPECT_EQ(format_etag(st, "- br", out), 0U);
  EXPECT_EQ(format_etag(st, "-\x7f", out), 0U);
  EXPECT_GT(format_etag(st, "-\x80", out), 0U);  // obs-text is etagc
}

// --- usable_last_modified -----------------------------------------------------------------------

TEST(UsableLastModified, MtimeZeroOrOneHasNoLastModified_Rfc9110_8_8_2) {
  EXPECT_EQ(usable_last_modified(make_stat(1, 1, 0, 0)), std::nullopt);
  EXPECT_EQ(usable_last_modified(make_stat(1, 1, 1, 0)), std::nullopt);
  EXPECT_EQ(usable_last_modified(make_stat(1, 1, 1, 500'000'000)), std::nullopt);
}

TEST(UsableLastModified, OtherMtimesAreTheirSeconds_Rfc9110_8_8_2) {
  EXPECT_EQ(usable_last_modified(make_stat(1, 1, 2, 0)), 2);
  EXPECT_EQ(usable_last_modified(make_stat(1, 1, 1700000000, 999'999'999)), 1700000000);
  EXPECT_EQ(usable_last_modified(make_stat(1, 1, -86400, 0)), -86400);
}

// --- etag_list_matches --------------------------------------------------------------------------

struct ListCase {
  const char* name;
  std::string_view list;
  std::string_view etag;
  bool weak_comparison;
  bool expected;
};

constexpr bool kWeak = true;
constexpr bool kStrong = false;

const ListCase kListCases[] = {
    {"SameStrongTagMatchesStrongly_Rfc9110_8_8_3_2", "\"abc\"", "\"abc\"", kStrong, true},
    {"SameStrongTagMatchesWeakly_Rfc9110_8_8_3_2", "\"abc\"", "\"abc\"", kWeak, true},
    {"DifferentTagNeverMatches_Rfc9110_8_8_3_2", "\"abd\"", "\"abc\"", kWeak, false},
    {"TagsAreCaseSensitive_Rfc9110_8_8_3_2", "\"ABC\"", "\"abc\"", kWeak, false},
    {"WeakInListFailsStrong_Rfc9110_8_8_3_2", "W/\"abc\"", "\"abc\"", kStrong, false},
    {"WeakInListMatchesWeak_Rfc9110_8_8_3_2", "W/\"abc\"", "\"abc\"", kWeak, true},
    {"OurWeakTagFailsStrong_Rfc9110_8_8_3_2", "\"abc\"", "W/\"abc\"", kStrong, false},
    {"BothWeakFailStrong_Rfc9110_8_8_3_2", "W/\"abc\"", "W/\"abc\"", kStrong, false},
    {"BothWeakMatchWeak_Rfc9110_8_8_3_2", "W/\"abc\"", "W/\"abc\"", kWeak, true},
    {"OurWeakTagMatchesStrongInListWeakly_Rfc9110_8_8_3_2", "\"abc\"", "W/\"abc\"", kWeak, true},
    {"EmptyOpaqueTag_Rfc9110_8_8_3", "\"\"", "\"\"", kStrong, true},
    {"StarMatchesAnyTag_Rfc9110_13_1_1", "*", "\"abc\"", kStrong, true},
    {"StarMatchesWithoutTag_Rfc9110_13_1_2", "*", "", kWeak, true},
    {"StarWithSpaces_Rfc9110_13_1_1", "  *\t", "\"abc\"", kStrong, true},
    {"QuotedStarIsATag_Rfc9110_8_8_3", "\"*\"", "\"abc\"", kWeak, false},
    {"TagInListLast_Rfc9110_5_6_1", "\"x\", \"y\", \"abc\"", "\"abc\"", kStrong, true},
    {"TagInListFirst_Rfc9110_5_6_1", "\"abc\",\"x\"", "\"abc\"", kStrong, true},
    {"ListWithSpacesAndTabs_Rfc9110_5_6_1", " \"x\" ,\t W/\"abc\" , \"y\" ", "\"abc\"", kWeak,
     true},
    {"ListWithoutOurTag_Rfc9110_5_6_1", "\"x\", W/\"y\", \"z\"", "\"abc\"", kWeak, false},
    {"EmptyElementsAreSkipped_Rfc9110_5_6_1", ", ,\"x\",, \"abc\",", "\"abc\"", kStrong, true},
    {"CommaInsideTagIsPartOfIt_Rfc9110_8_8_3", "\"a,b\"", "\"a,b\"", kStrong, true},
    {"CommaInsideTagDoesNotSplit_Rfc9110_8_8_3", "\"a,b\"", "\"a\"", kWeak, false},
    {"EmptyListMatchesNothing_Rfc9110_5_6_1", "", "\"abc\"", kWeak, false},
    {"OnlyCommasMatchNothing_Rfc9110_5_6_1", " , ,", "\"abc\"", kWeak, false},
    {"UnquotedTagIsMalformed_Rfc9110_8_8_3", "abc", "\"abc\"", kWeak, false},
    {"MissingClosingQuoteIsMalformed_Rfc9110_8_8_3", "\"abc", "\"abc\"", kWeak, false},
    {"LowerCaseWeakPrefixIsMalformed_Rfc9110_8_8_3", "w/\"abc\"", "\"abc\"", kWeak, false},
    {"SpaceAfterWeakPrefixIsMalformed_Rfc9110_8_8_3", "W/ \"abc\"", "\"abc\"", kWeak, false},
    {"SpaceInsideTagIsMalformed_Rfc9110_8_8_3", "\"ab c\"", "\"ab c\"", kWeak, false},
    {"TagsWithoutCommaAreMalformed_Rfc9110_5_6_1", "\"abc\" \"x\"", "\"abc\"", kWeak, false},
    {"TagsGluedTogetherAreMalformed_Rfc9110_5_6_1", "\"abc\"\"x\"", "\"abc\"", kWeak, false},
    {"MalformedAfterMatchStillFails_Rfc9110_8_8_3", "\"abc\", garbage", "\"abc\"", kWeak, false},
    {"StarAmongTagsIsMalformed_Rfc9110_13_1_1", "\"x\", *", "\"abc\"", kWeak, false},
    {"StarFirstAmongTagsIsMalformed_Rfc9110_13_1_1", "*, \"abc\"", "\"abc\"", kWeak, false},
    {"EmptyEtagMatchesNoTag_Rfc9110_13_1_1", "\"\", \"abc\"", "", kWeak, false},
    {"MalformedEtagMatchesNoTag_Rfc9110_8_8_3", "abc", "abc", kWeak, false},
    {"ObsTextIsEtagc_Rfc9110_8_8_3", "\"caf\xc3\xa9\"", "\"caf\xc3\xa9\"", kStrong, true},
};

class EtagList : public testing::TestWithParam<ListCase> {};

TEST_P(EtagList, MatchesAsExpected) {
  const ListCase& c = GetParam();
  EXPECT_EQ(etag_list_matches(c.list, c.etag, c.weak_comparison), c.expected);
}

INSTANTIATE_TEST_SUITE_P(EtagListMatches, EtagList, testing::ValuesIn(kListCases),
                         case_name<ListCase>);

// --- evaluate_preconditions ---------------------------------------------------------------------

constexpr std::string_view kTag = "\"1a2b-3c4-17979cfe3d85cd15\"";
constexpr std::time_t kModified = 784111777;  // Sun, 06 Nov 1994 08:49:37 GMT

// If-Modified-Since / If-Unmodified-Since values relative to kModified.
#define AT "Sun, 06 Nov 1994 08:49:37 GMT"
#define AT_RFC850 "Sunday, 06-Nov-94 08:49:37 GMT"
#define AT_ASCTIME "Sun Nov  6 08:49:37 1994"
#define BEFORE "Sun, 06 Nov 1994 08:49:36 GMT"
#define BEFORE_RFC850 "Sunday, 06-Nov-94 08:49:36 GMT"
#define BEFORE_ASCTIME "Sun Nov  6 08:49:36 1994"
#define AFTER "Sun, 06 Nov 1994 08:49:38 GMT"
#define TAG "\"1a2b-3c4-17979cfe3d85cd15\""
#define OTHER "\"1a2b-3c4-17979cfe3d85cd16\""

struct PreconditionCase {
  const char* name;  // cites the RFC 9110 section it checks
  std::string_view method;
  std::vector<std::string_view> header_lines;  // "Name: value"
  std::optional<std::time_t> last_modified;
  Precondition expected;
  std::string_view etag = kTag;
};

constexpr Precondition kProceed = Precondition::kProceed;
constexpr Precondition k304 = Precondition::kNotModified;
constexpr Precondition k412 = Precondition::kPreconditionFailed;

const PreconditionCase kPreconditionCases[] = {
    {"NoConditionalHeadersProceed_Rfc9110_13_2_2", "GET", {}, kModified, kProceed},

    // Step 1: If-Match.
    {"IfMatchSameTagProceeds_Rfc9110_13_1_1", "GET", {"If-Match: " TAG}, kModified, kProceed},
    {"IfMatchOtherTagIs412_Rfc9110_13_1_1", "GET", {"If-Match: " OTHER}, kModified, k412},
    {"IfMatchOtherTagOnPutIs412_Rfc9110_13_1_1", "PUT", {"If-Match: " OTHER}, kModified, k412},
    {"IfMatchOtherTagOnHeadIs412_Rfc9110_13_1_1", "HEAD", {"If-Match: " OTHER}, kModified, k412},
    {"IfMatchStarProceeds_Rfc9110_13_1_1", "GET", {"If-Match: *"}, kModified, kProceed},
    {"IfMatchStarProceedsWithoutEtag_Rfc9110_13_1_1",
     "DELETE",
     {"If-Match: *"},
     std::nullopt,
     kProceed,
     ""},
    {"IfMatchIsStrongSoWeakTagIs412_Rfc9110_13_1_1", "GET", {"If-Match: W/" TAG}, kModified, k412},
    {"IfMatchListWithSpacesProceeds_Rfc9110_13_1_1",
     "GET",
     {"If-Match: " OTHER " ,  " TAG ", \"x\""},
     kModified,
     kProceed},
    {"IfMatchMalformedIs412_Rfc9110_13_1_1",
     "GET",
     {"If-Match: 1a2b-3c4-17979cfe3d85cd15"},
     kModified,
     k412},
    {"IfMatchMalformedAfterOurTagIs412_Rfc9110_13_1_1",
     "GET",
     {"If-Match: " TAG ", oops"},
     kModified,
     k412},
    {"IfMatchEmptyIs412_Rfc9110_13_1_1", "GET", {"If-Match:"}, kModified, k412},
    {"IfMatchWithoutEtagIs412_Rfc9110_13_1_1", "GET", {"If-Match: " TAG}, kModified, k412, ""},
    {"IfMatchLinesCombineIntoOneList_Rfc9110_5_3",
     "GET",
     {"If-Match: " OTHER, "If-Match: " TAG},
     kModified,
     kProceed},
    {"IfMatchMalformedLineSpoilsCombinedList_Rfc9110_5_3",
     "GET",
     {"If-Match: " TAG, "If-Match: garbage"},
     kModified,
     k412},
    {"IfMatchStarLineAmongTagLinesIs412_Rfc9110_5_3",
     "GET",
     {"If-Match: " OTHER, "If-Match: *"},
     kModified,
     k412},
    {"IfMatchNameIsCaseInsensitive_Rfc9110_5_1", "GET", {"if-match: " OTHER}, kModified, k412},
    {"IfMatchFailureComesBeforeIfNoneMatch_Rfc9110_13_2_2",
     "GET",
     {"If-Match: " OTHER, "If-None-Match: " TAG},
     kModified,
     k412},
    {"IfMatchPassesThenIfNoneMatchGives304_Rfc9110_13_2_2",
     "GET",
     {"If-Match: " TAG, "If-None-Match: " TAG},
     kModified,
     k304},

    // Step 2: If-Unmodified-Since.
    {"IfUnmodifiedSinceBeforeModificationIs412_Rfc9110_13_1_4",
     "GET",
     {"If-Unmodified-Since: " BEFORE},
     kModified,
     k412},
    {"IfUnmodifiedSinceRfc850Is412_Rfc9110_13_1_4",
     "PUT",
     {"If-Unmodified-Since: " BEFORE_RFC850},
     kModified,
     k412},
    {"IfUnmodifiedSinceAsctimeIs412_Rfc9110_13_1_4",
     "PUT",
     {"If-Unmodified-Since: " BEFORE_ASCTIME},
     kModified,
     k412},
    {"IfUnmodifiedSinceEqualProceeds_Rfc9110_13_1_4",
     "GET",
     {"If-Unmodified-Since: " AT},
     kModified,
     kProceed},
    {"IfUnmodifiedSinceLaterProceeds_Rfc9110_13_1_4",
     "GET",
     {"If-Unmodified-Since: " AFTER},
     kModified,
     kProceed},
    {"IfUnmodifiedSinceInvalidDateIsIgnored_Rfc9110_13_1_4",
     "GET",
     {"If-Unmodified-Since: yesterday"},
     kModified,
     kProceed},
    {"IfUnmodifiedSinceWrongWeekdayIsIgnored_Rfc9110_13_1_4",
     "GET",
     {"If-Unmodified-Since: Mon, 06 Nov 1994 08:49:36 GMT"},
     kModified,
     kProceed},
    {"IfUnmodifiedSinceWithoutLastModifiedIsIgnored_Rfc9110_13_1_4",
     "GET",
     {"If-Unmodified-Since: " BEFORE},
     std::nullopt,
     kProceed},
    {"IfUnmodifiedSinceRepeatedIsIgnored_Rfc9110_13_1_4",
     "GET",
     {"If-Unmodified-Since: " BEFORE, "If-Unmodified-Since: " BEFORE},
     kModified,
     kProceed},
    {"IfUnmodifiedSinceIgnoredWhenIfMatchPresent_Rfc9110_13_2_2",
     "GET",
     {"If-Match: " TAG, "If-Unmodified-Since: " BEFORE},
     kModified,
     kProceed},
    {"IfUnmodifiedSinceFailureComesBeforeIfNoneMatch_Rfc9110_13_2_2",
     "GET",
     {"If-None-Match: " TAG, "If-Unmodified-Since: " BEFORE},
     kModified,
     k412},

    // Step 3: If-None-Match.
    {"IfNoneMatchSameTagGetIs304_Rfc9110_13_1_2", "GET", {"If-None-Match: " TAG}, kModified, k304},
    {"IfNoneMatchSameTagHeadIs304_Rfc9110_13_1_2",
     "HEAD",
     {"If-None-Match: " TAG},
     kModified,
     k304},
    {"IfNoneMatchSameTagPostIs412_Rfc9110_13_1_2",
     "POST",
     {"If-None-Match: " TAG},
     kModified,
     k412},
    {"IfNoneMatchSameTagDeleteIs412_Rfc9110_13_1_2",
     "DELETE",
     {"If-None-Match: " TAG},
     kModified,
     k412},
    {"IfNoneMatchSameTagUnknownMethodIs412_Rfc9110_13_1_2",
     "BREW",
     {"If-None-Match: " TAG},
     kModified,
     k412},
    {"IfNoneMatchIsWeakSoWeakTagIs304_Rfc9110_13_1_2",
     "GET",
     {"If-None-Match: W/" TAG},
     kModified,
     k304},
    {"IfNoneMatchWeakEtagMatchesStrongListTag_Rfc9110_13_1_2",
     "GET",
     {"If-None-Match: " TAG},
     kModified,
     k304,
     "W/" TAG},
    {"IfNoneMatchOtherTagProceeds_Rfc9110_13_1_2",
     "GET",
     {"If-None-Match: " OTHER},
     kModified,
     kProceed},
    {"IfNoneMatchStarGetIs304_Rfc9110_13_1_2", "GET", {"If-None-Match: *"}, kModified, k304},
    {"IfNoneMatchStarPutIs412_Rfc9110_13_1_2", "PUT", {"If-None-Match: *"}, kModified, k412},
    {"IfNoneMatchListWithSpacesIs304_Rfc9110_13_1_2",
     "GET",
     {"If-None-Match: " OTHER ",\t W/" TAG " , \"x\""},
     kModified,
     k304},
    {"IfNoneMatchLinesCombineIntoOneList_Rfc9110_5_3",
     "GET",
     {"If-None-Match: " OTHER, "If-None-Match: \"x\", " TAG},
     kModified,
     k304},
    {"IfNoneMatchMalformedProceeds_Rfc9110_13_1_2",
     "GET",
     {"If-None-Match: " TAG " " TAG},
     kModified,
     kProceed},
    {"IfNoneMatchWithoutEtagProceeds_Rfc9110_13_1_2",
     "GET",
     {"If-None-Match: " TAG},
     kModified,
     kProceed,
     ""},
    {"IfNoneMatchNameIsCaseInsensitive_Rfc9110_5_1",
     "GET",
     {"IF-NONE-MATCH: " TAG},
     kModified,
     k304},

    // Step 3 before step 4: If-None-Match makes If-Modified-Since irrelevant.
    {"IfNoneMatchTakesPrecedenceOverIfModifiedSince_Rfc9110_13_2_2",
     "GET",
     {"If-None-Match: " OTHER, "If-Modified-Since: " AFTER},
     kModified,
     kProceed},
    {"IfNoneMatchMatchWinsOverModifiedDate_Rfc9110_13_2_2",
     "GET",
     {"If-Modified-Since: " BEFORE, "If-None-Match: " TAG},
     kModified,
     k304},
    {"MalformedIfNoneMatchStillDisablesIfModifiedSince_Rfc9110_13_1_3",
     "GET",
     {"If-None-Match: garbage", "If-Modified-Since: " AT},
     kModified,
     kProceed},
    {"EmptyIfNoneMatchStillDisablesIfModifiedSince_Rfc9110_13_1_3",
     "GET",
     {"If-None-Match:", "If-Modified-Since: " AT},
     kModified,
     kProceed},

    // Step 4: If-Modified-Since.
    {"IfModifiedSinceEqualIs304_Rfc9110_13_1_3",
     "GET",
     {"If-Modified-Since: " AT},
     kModified,
     k304},
    {"IfModifiedSinceLaterIs304_Rfc9110_13_1_3",
     "GET",
     {"If-Modified-Since: " AFTER},
     kModified,
     k304},
    {"IfModifiedSinceEarlierProceeds_Rfc9110_13_1_3",
     "GET",
     {"If-Modified-Since: " BEFORE},
     kModified,
     kProceed},
    {"IfModifiedSinceHeadIs304_Rfc9110_13_1_3",
     "HEAD",
     {"If-Modified-Since: " AT},
     kModified,
     k304},
    {"IfModifiedSinceRfc850Is304_Rfc9110_13_1_3",
     "GET",
     {"If-Modified-Since: " AT_RFC850},
     kModified,
     k304},
    {"IfModifiedSinceAsctimeIs304_Rfc9110_13_1_3",
     "GET",
     {"If-Modified-Since: " AT_ASCTIME},
     kModified,
     k304},
    {"IfModifiedSinceRfc850EarlierProceeds_Rfc9110_13_1_3",
     "GET",
     {"If-Modified-Since: " BEFORE_RFC850},
     kModified,
     kProceed},
    {"IfModifiedSinceOnPostIsIgnored_Rfc9110_13_1_3",
     "POST",
     {"If-Modified-Since: " AT},
     kModified,
     kProceed},
    {"IfModifiedSinceInvalidDateIsIgnored_Rfc9110_13_1_3",
     "GET",
     {"If-Modified-Since: Sun, 31 Nov 1994 08:49:37 GMT"},
     kModified,
     kProceed},
    {"IfModifiedSinceWithLengthParameterIsIgnored_Rfc9110_13_1_3",
     "GET",
     {"If-Modified-Since: " AT "; length=1234"},
     kModified,
     kProceed},
    {"IfModifiedSinceRepeatedIsIgnored_Rfc9110_13_1_3",
     "GET",
     {"If-Modified-Since: " AT, "If-Modified-Since: " AT},
     kModified,
     kProceed},
    {"IfModifiedSinceWithoutLastModifiedIsIgnored_Rfc9110_13_1_3",
     "GET",
     {"If-Modified-Since: " AFTER},
     std::nullopt,
     kProceed},

    // §13.2.1: methods that select no representation ignore every precondition.
    {"OptionsIgnoresIfMatch_Rfc9110_13_2_1", "OPTIONS", {"If-Match: " OTHER}, kModified, kProceed},
    {"TraceIgnoresIfNoneMatch_Rfc9110_13_2_1", "TRACE", {"If-None-Match: *"}, kModified, kProceed},
    {"ConnectIgnoresIfUnmodifiedSince_Rfc9110_13_2_1",
     "CONNECT",
     {"If-Unmodified-Since: " BEFORE},
     kModified,
     kProceed},
};

#undef AT
#undef AT_RFC850
#undef AT_ASCTIME
#undef BEFORE
#undef BEFORE_RFC850
#undef BEFORE_ASCTIME
#undef AFTER
#undef TAG
#undef OTHER

class Preconditions : public testing::TestWithParam<PreconditionCase> {};

TEST_P(Preconditions, AreEvaluatedInOrder) {
  const PreconditionCase& c = GetParam();
  std::string raw = std::string(c.method) + " / HTTP/1.1\r\nHost: example.com\r\n";
  for (std::string_view line : c.header_lines) raw.append(line).append("\r\n");
  raw += "\r\n";
  Request request;
  ASSERT_EQ(parse_request(raw, request).status, ParseStatus::kComplete) << raw;
  EXPECT_EQ(evaluate_preconditions(request, c.etag, c.last_modified), c.expected) << raw;
}

INSTANTIATE_TEST_SUITE_P(EvaluatePreconditions, Preconditions,
                         testing::ValuesIn(kPreconditionCases), case_name<PreconditionCase>);

TEST(EvaluatePreconditions, FormattedTagAndDateRoundTripTo304_Rfc9110_13_2_2) {
  const struct stat st = make_stat(0x1a2b, 0x3c4, 1700000000, 123456789);
  const std::string etag = etag_of(st);
  const std::optional<std::time_t> last_modified = usable_last_modified(st);
  const std::string raw = "GET /a HTTP/1.1\r\nHost: h\r\nIf-None-Match: " + etag +
                          "\r\nIf-Modified-Since: Tue, 14 Nov 2023 22:13:20 GMT\r\n\r\n";
  Request request;
  ASSERT_EQ(parse_request(raw, request).status, ParseStatus::kComplete);
  EXPECT_EQ(evaluate_preconditions(request, etag, last_modified), Precondition::kNotModified);
  // The other representation (brotli) of the same file does not validate against that tag.
  EXPECT_EQ(evaluate_preconditions(request, etag_of(st, "-br"), last_modified),
            Precondition::kProceed);
}

}  // namespace
}  // namespace hybrid::http
