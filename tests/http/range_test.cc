#include "hybrid/http/range.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

namespace hybrid::http {
namespace {

using namespace std::string_view_literals;

// "200" (ignored), "416", or "206 " followed by the ranges ("0-99,200-299").
std::string describe(const RangeSet& set) {
  switch (set.outcome) {
    case RangeOutcome::kIgnore:
      return set.count == 0 ? "200" : "200 with ranges (bug)";
    case RangeOutcome::kUnsatisfiable:
      return set.count == 0 ? "416" : "416 with ranges (bug)";
    case RangeOutcome::kSatisfiable:
      break;
  }
  std::string text = "206 ";
  for (const ByteRange& range : set.parts()) {
    if (text.size() > 4) text += ',';
    text += std::to_string(range.first) + '-' + std::to_string(range.last);
  }
  return text;
}

struct ParseCase {
  std::string_view name;
  std::string_view header;
  std::uint64_t size;
  std::string_view expected;
};

// ---- parse_range: 206 -----------------------------------------------------------------------

constexpr ParseCase kSatisfiable[] = {
    {"s14_1_2_first_byte", "bytes=0-0", 10000, "206 0-0"},
    {"s14_1_2_first_500", "bytes=0-499", 10000, "206 0-499"},
    {"s14_1_2_second_500", "bytes=500-999", 10000, "206 500-999"},
    {"s14_1_2_open_ended", "bytes=9500-", 10000, "206 9500-9999"},
    {"s14_1_2_suffix", "bytes=-500", 10000, "206 9500-9999"},
    {"s14_1_2_last_byte_suffix", "bytes=-1", 10000, "206 9999-9999"},
    {"s14_1_2_last_byte_int_range", "bytes=9999-9999", 10000, "206 9999-9999"},
    {"s14_1_2_whole_file", "bytes=0-", 10000, "206 0-9999"},
    {"s14_1_2_two_gapped_ranges", "bytes=0-99,200-299", 10000, "206 0-99,200-299"},
    {"s14_1_2_int_and_suffix", "bytes=0-0,-1", 10000, "206 0-0,9999-9999"},
    {"s14_1_1_last_clamped", "bytes=9000-20000", 10000, "206 9000-9999"},
    {"s14_1_1_last_exactly_size", "bytes=0-10000", 10000, "206 0-9999"},
    {"s14_1_1_suffix_larger_than_size", "bytes=-20000", 10000, "206 0-9999"},
    {"s14_1_1_suffix_equal_to_size", "bytes=-10000", 10000, "206 0-9999"},
    {"s14_1_3_huge_last_is_to_the_end", "bytes=5-99999999999999999999", 10000, "206 5-9999"},
    {"s14_1_3_max_u64_last", "bytes=5-18446744073709551615", 10000, "206 5-9999"},
    {"s14_1_3_huge_suffix_is_whole_file", "bytes=-99999999999999999999", 10000, "206 0-9999"},
    {"s14_1_3_first_near_max", "bytes=18446744073709551613-", UINT64_MAX,
     "206 18446744073709551613-18446744073709551614"},
    {"s14_1_3_leading_zeros", "bytes=000000000000000000000000001-0000000000000000000000002", 10,
     "206 1-2"},
    {"s14_1_unit_case_insensitive", "BYTES=0-1", 10, "206 0-1"},
    {"s14_1_unit_mixed_case", "Bytes=0-1", 10, "206 0-1"},
    {"s5_6_1_ows_around_commas", "bytes=0-1 ,\t3-4 , 6-7", 10, "206 0-1,3-4,6-7"},
    {"s5_6_1_ows_after_equals", "bytes= 0-1", 10, "206 0-1"},
    {"s5_6_1_empty_elements", "bytes=,0-1,,3-4,", 10, "206 0-1,3-4"},
    {"s14_1_1_unsatisfiable_dropped", "bytes=0-1,50-60", 10, "206 0-1"},
    {"s14_1_1_suffix_zero_dropped", "bytes=-0,0-1", 10, "206 0-1"},
    {"s14_1_1_one_byte_file", "bytes=0-", 1, "206 0-0"},
    {"s14_1_1_one_byte_file_suffix", "bytes=-5", 1, "206 0-0"},
    {"s14_2_sixteen_ranges_allowed",
     "bytes=0-0,2-2,4-4,6-6,8-8,10-10,12-12,14-14,16-16,18-18,20-20,22-22,24-24,26-26,28-28,30-30",
     100,
     "206 0-0,2-2,4-4,6-6,8-8,10-10,12-12,14-14,16-16,18-18,20-20,22-22,24-24,26-26,28-28,30-30"},
};

TEST(ParseRange, SatisfiableRangesAreClampedAndKept) {
  for (const ParseCase& c : kSatisfiable) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(describe(parse_range(c.header, c.size)), c.expected);
  }
}

// ---- parse_range: 200 (Range ignored) -------------------------------------------------------

constexpr ParseCase kIgnored[] = {
    {"s14_1_other_unit", "items=0-1", 10, "200"},
    {"s14_1_unit_prefix_only", "byte=0-1", 10, "200"},
    {"s14_1_unit_with_space", "bytes =0-1", 10, "200"},
    {"s14_1_no_equals", "bytes 0-1", 10, "200"},
    {"s14_1_empty_value", "", 10, "200"},
    {"s14_1_1_empty_set", "bytes=", 10, "200"},
    {"s14_1_1_only_commas", "bytes=, ,", 10, "200"},
    {"s14_1_1_bare_dash", "bytes=-", 10, "200"},
    {"s14_1_1_other_range", "bytes=abc", 10, "200"},
    {"s14_1_1_no_dash", "bytes=5", 10, "200"},
    {"s14_1_1_double_dash", "bytes=--5", 10, "200"},
    {"s14_1_1_trailing_dash", "bytes=1--", 10, "200"},
    {"s14_1_1_space_inside_spec", "bytes=0 -1", 10, "200"},
    {"s14_1_1_space_after_dash", "bytes=0- 1", 10, "200"},
    {"s14_1_1_sign", "bytes=+1-2", 10, "200"},
    {"s14_1_1_negative_suffix_sign", "bytes=-+1", 10, "200"},
    {"s14_1_1_hex", "bytes=0x1-2", 10, "200"},
    {"s14_1_1_semicolon_separator", "bytes=0-1;3-4", 10, "200"},
    {"s14_1_1_last_before_first", "bytes=5-4", 10, "200"},
    {"s14_1_1_last_before_first_invalidates_all", "bytes=0-1,5-4", 10, "200"},
    {"s14_1_1_last_before_first_even_unsatisfiable", "bytes=500-400", 10, "200"},
    {"s14_1_1_one_bad_spec_invalidates_all", "bytes=0-1,x", 10, "200"},
    {"s14_1_3_first_overflow_20_digits", "bytes=99999999999999999999-", 10, "200"},
    {"s14_1_3_first_overflow_by_one", "bytes=18446744073709551616-", UINT64_MAX, "200"},
    {"s14_1_3_first_overflow_with_last", "bytes=99999999999999999999-99999999999999999999", 10,
     "200"},
    {"s14_2_seventeen_ranges",
     "bytes=0-0,2-2,4-4,6-6,8-8,10-10,12-12,14-14,16-16,18-18,20-20,22-22,24-24,26-26,28-28,30-30,"
     "32-32",
     100, "200"},
    {"s14_2_seventeen_ranges_mostly_unsatisfiable",
     "bytes=0-0,200-,200-,200-,200-,200-,200-,200-,200-,200-,200-,200-,200-,200-,200-,200-,200-",
     100, "200"},
    {"s14_2_overlapping", "bytes=0-10,5-15", 100, "200"},
    {"s14_2_rfc_14_1_2_example_is_adjacent", "bytes=500-600,601-999", 10000, "200"},
    {"s14_2_duplicate", "bytes=0-10,0-10", 100, "200"},
    {"s14_2_contained", "bytes=0-50,10-20", 100, "200"},
    {"s14_2_adjacent", "bytes=0-9,10-19", 100, "200"},
    {"s14_2_adjacent_after_clamping", "bytes=0-98,-1", 100, "200"},
    {"s14_2_overlap_after_clamping", "bytes=0-500,-10", 100, "200"},
    {"s14_2_overlap_after_suffix_clamp", "bytes=0-0,-500", 100, "200"},
    {"s14_2_unsorted", "bytes=50-60,0-10", 100, "200"},
    {"s14_2_unsorted_suffix_first", "bytes=-5,0-10", 100, "200"},
    {"s14_2_unsorted_after_dropping", "bytes=50-60,200-300,0-10", 100, "200"},
    {"s14_2_sum_exceeds_size", "bytes=0-99,0-99", 100, "200"},
    {"s14_2_apache_killer", "bytes=0-,5-0,5-1,5-2,5-3,5-4,5-5,5-6,5-7,5-8,5-9,5-10", 100, "200"},
    {"s14_2_cve_2017_7529_overlap", "bytes=-100,-9223372036854775807", 100, "200"},
    {"s14_1_invalid_on_empty_file", "bytes=abc", 0, "200"},
};

TEST(ParseRange, MalformedOrAbusiveHeadersAreIgnored) {
  for (const ParseCase& c : kIgnored) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(describe(parse_range(c.header, c.size)), c.expected);
  }
}

// ---- parse_range: 416 -----------------------------------------------------------------------

constexpr ParseCase kUnsatisfiable[] = {
    {"s14_1_1_first_at_size", "bytes=10-", 10, "416"},
    {"s14_1_1_first_beyond_size", "bytes=500-600", 10, "416"},
    {"s14_1_1_suffix_zero", "bytes=-0", 10, "416"},
    {"s14_1_1_all_unsatisfiable", "bytes=10-20,-0,30-", 10, "416"},
    {"s14_1_1_max_u64_first", "bytes=18446744073709551615-", 10, "416"},
    {"s14_1_3_max_u64_first_against_max_size", "bytes=18446744073709551615-", UINT64_MAX, "416"},
    {"s14_1_1_empty_file_int_range", "bytes=0-", 0, "416"},
    {"s14_1_1_empty_file_closed_range", "bytes=0-0", 0, "416"},
    {"s14_1_1_empty_file_suffix", "bytes=-1", 0, "416"},
    {"s14_1_1_empty_file_suffix_zero", "bytes=-0", 0, "416"},
    {"s14_1_1_empty_file_several", "bytes=0-0,-5", 0, "416"},
};

TEST(ParseRange, UnsatisfiableRangesGive416) {
  for (const ParseCase& c : kUnsatisfiable) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(describe(parse_range(c.header, c.size)), c.expected);
  }
}

TEST(ParseRange, AtMostKMaxRangesAreAccepted) {
  std::string header = "bytes=";
  for (std::size_t i = 0; i < kMaxRanges; ++i) {
    if (i != 0) header += ", ";
    header += std::to_string(3 * i) + '-' + std::to_string(3 * i + 1);
  }
  const RangeSet sixteen = parse_range(header, 1000);
  ASSERT_EQ(sixteen.outcome, RangeOutcome::kSatisfiable);
  EXPECT_EQ(sixteen.count, kMaxRanges);
  EXPECT_EQ(sixteen.ranges[kMaxRanges - 1], (ByteRange{45, 46}));

  header += ", 48-49";
  EXPECT_EQ(describe(parse_range(header, 1000)), "200");
}

TEST(ParseRange, EmptyListElementsDoNotCountAsRanges) {
  // §5.6.1: empty elements are tolerated, and they are not range-specs for kMaxRanges.
  std::string header = "bytes=0-0";
  for (int i = 0; i < 100; ++i) header += ",";
  header += ",2-2";
  EXPECT_EQ(describe(parse_range(header, 10)), "206 0-0,2-2");
}

TEST(ParseRange, LengthCountsInclusiveBytes) {
  EXPECT_EQ((ByteRange{0, 0}.length()), 1U);
  EXPECT_EQ((ByteRange{500, 999}.length()), 500U);
  EXPECT_EQ((ByteRange{0, UINT64_MAX - 1}.length()), UINT64_MAX);
}

// ---- if_range_allows_range ------------------------------------------------------------------

constexpr std::time_t kModified = 784111777;  // Sun, 06 Nov 1994 08:49:37 GMT

struct IfRangeCase {
  std::string_view name;
  std::string_view if_range;
  std::string_view etag;
  std::optional<std::time_t> last_modified;
  bool allows;
};

constexpr IfRangeCase kIfRangeCases[] = {
    {"s13_1_5_strong_etag_match", "\"abc\"", "\"abc\"", kModified, true},
    {"s13_1_5_strong_etag_mismatch", "\"abd\"", "\"abc\"", kModified, false},
    {"s13_1_5_etag_case_sensitive", "\"ABC\"", "\"abc\"", kModified, false},
    {"s13_1_5_weak_tag_never_matches", "W/\"abc\"", "\"abc\"", kModified, false},
    {"s13_1_5_weak_against_weak", "W/\"abc\"", "W/\"abc\"", kModified, false},
    {"s13_1_5_server_etag_weak", "\"abc\"", "W/\"abc\"", kModified, false},
    {"s13_1_5_no_server_etag", "\"abc\"", "", kModified, false},
    {"s13_1_5_empty_tag_matches_empty_tag", "\"\"", "\"\"", kModified, true},
    {"s8_8_3_unterminated_tag", "\"abc", "\"abc", kModified, false},
    {"s8_8_3_quote_inside_tag", "\"a\"c\"", "\"a\"c\"", kModified, false},
    {"s8_8_3_space_inside_tag", "\"a c\"", "\"a c\"", kModified, false},
    {"s13_1_5_date_exact", "Sun, 06 Nov 1994 08:49:37 GMT", "\"abc\"", kModified, true},
    {"s13_1_5_date_one_second_later", "Sun, 06 Nov 1994 08:49:38 GMT", "\"abc\"", kModified, false},
    {"s13_1_5_date_one_second_earlier", "Sun, 06 Nov 1994 08:49:36 GMT", "\"abc\"", kModified,
     false},
    {"s13_1_5_date_without_last_modified", "Sun, 06 Nov 1994 08:49:37 GMT", "\"abc\"", std::nullopt,
     false},
    {"s13_1_5_malformed_date", "Sun, 06 Nov 1994 08:49:37", "\"abc\"", kModified, false},
    {"s13_1_5_garbage", "abc", "abc", kModified, false},
    {"s13_1_5_empty", "", "", kModified, false},
    {"s13_1_5_list_of_tags", "\"abc\", \"def\"", "\"abc\"", kModified, false},
};

TEST(IfRange, StrongTagOrExactDateOnly) {
  for (const IfRangeCase& c : kIfRangeCases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(if_range_allows_range(c.if_range, c.etag, c.last_modified), c.allows);
  }
}

// ---- Content-Range --------------------------------------------------------------------------

std::string content_range(ByteRange range, std::uint64_t size) {
  std::array<char, kMaxContentRangeLength> out;
  return std::string(out.data(), format_content_range(out, range, size));
}

TEST(ContentRange, FormatsS14_4Values) {
  EXPECT_EQ(content_range({0, 99}, 1234), "bytes 0-99/1234");
  EXPECT_EQ(content_range({0, 0}, 1), "bytes 0-0/1");
  EXPECT_EQ(content_range({UINT64_MAX - 2, UINT64_MAX - 1}, UINT64_MAX),
            "bytes 18446744073709551613-18446744073709551614/18446744073709551615");
  EXPECT_EQ(content_range({UINT64_MAX - 2, UINT64_MAX - 1}, UINT64_MAX).size(),
            kMaxContentRangeLength);
}

TEST(ContentRange, FormatsS14_4UnsatisfiedValues) {
  std::array<char, kMaxContentRangeLength> out;
  EXPECT_EQ(std::string_view(out.data(), format_unsatisfied_range(out, 1234)), "bytes */1234");
  EXPECT_EQ(std::string_view(out.data(), format_unsatisfied_range(out, 0)), "bytes */0");
}

TEST(ContentRange, TooSmallBufferGivesZero) {
  std::array<char, 14> out;  // "bytes 0-99/1234" is 15
  EXPECT_EQ(format_content_range(out, {0, 99}, 1234), 0U);
  EXPECT_EQ(format_content_range(std::span<char>(out.data(), 15 - 1), {0, 99}, 1234), 0U);
  std::array<char, 15> exact;
  EXPECT_EQ(format_content_range(exact, {0, 99}, 1234), 15U);
  EXPECT_EQ(format_unsatisfied_range(std::span<char>(out.data(), 11), 1234), 0U);
  EXPECT_EQ(format_unsatisfied_range(std::span<char>(out.data(), 12), 1234), 12U);
  EXPECT_EQ(format_unsatisfied_range(std::span<char>(), 1234), 0U);
}

// ---- multipart/byteranges (§14.6) -----------------------------------------------------------

std::string part_head(std::string_view boundary, std::string_view type, ByteRange range,
                      std::uint64_t size, bool first) {
  std::vector<char> out(kPartHeadOverhead + type.size());
  return std::string(out.data(), format_part_head(out, boundary, type, range, size, first));
}

std::string tail(std::string_view boundary) {
  std::array<char, kMaxBoundaryLength + 8> out;
  return std::string(out.data(), format_multipart_tail(out, boundary));
}

TEST(Multipart, S14_6PartHeadsAndTail) {
  EXPECT_EQ(part_head("B", "application/pdf", {500, 999}, 8000, true),
            "--B\r\nContent-Type: application/pdf\r\nContent-Range: bytes 500-999/8000\r\n\r\n");
  EXPECT_EQ(
      part_head("B", "application/pdf", {7000, 7999}, 8000, false),
      "\r\n--B\r\nContent-Type: application/pdf\r\nContent-Range: bytes 7000-7999/8000\r\n\r\n");
  EXPECT_EQ(tail("B"), "\r\n--B--\r\n");
}

TEST(Multipart, S14_6NoContentTypeLineWhenTypeIsEmpty) {
  EXPECT_EQ(part_head("B", "", {0, 0}, 1, true), "--B\r\nContent-Range: bytes 0-0/1\r\n\r\n");
}

TEST(Multipart, ContentTypeNamesTheBoundary) {
  std::array<char, kMaxBoundaryLength + 31> out;
  EXPECT_EQ(std::string_view(out.data(), format_multipart_content_type(out, "abc123")),
            "multipart/byteranges; boundary=abc123");
  const std::string longest(kMaxBoundaryLength, 'x');
  EXPECT_EQ(format_multipart_content_type(out, longest), out.size());
  EXPECT_EQ(format_multipart_content_type(std::span<char>(out.data(), out.size() - 1), longest),
            0U);
}

struct BadFieldCase {
  std::string_view name;
  std::string_view boundary;
  std::string_view content_type;
};

const std::string kTooLongBoundary(kMaxBoundaryLength + 1, 'x');

const BadFieldCase kBadFields[] = {
    {"rfc2046_empty_boundary", "", "text/plain"},
    {"rfc2046_boundary_too_long", kTooLongBoundary, "text/plain"},
    {"rfc2046_boundary_space", "a b", "text/plain"},
    {"rfc2046_boundary_needs_quoting", "a/b", "text/plain"},
    {"s5_5_boundary_crlf", "a\r\nb", "text/plain"},
    {"s5_5_content_type_crlf", "B", "text/plain\r\nSet-Cookie: x=1"},
    {"s5_5_content_type_lf", "B", "text/plain\nX: y"},
    {"s5_5_content_type_nul", "B", "text/plain\0"sv},
};

TEST(Multipart, RejectsUnsafeBoundaryOrContentType) {
  const RangeSet set = parse_range("bytes=0-0,2-2", 10);
  ASSERT_EQ(set.outcome, RangeOutcome::kSatisfiable);
  for (const BadFieldCase& c : kBadFields) {
    SCOPED_TRACE(c.name);
    std::array<char, 512> out;
    EXPECT_EQ(format_part_head(out, c.boundary, c.content_type, {0, 0}, 10, true), 0U);
    EXPECT_EQ(multipart_length(set, c.boundary, c.content_type, 10), 0U);
    if (c.content_type == "text/plain") {
      EXPECT_EQ(format_multipart_tail(out, c.boundary), 0U);
      EXPECT_EQ(format_multipart_content_type(out, c.boundary), 0U);
    }
  }
  std::array<char, 512> out;
  const std::string longest(kMaxBoundaryLength, 'x');
  EXPECT_GT(format_part_head(out, longest, "text/plain", {0, 0}, 10, true), 0U);
  EXPECT_GT(format_part_head(out, "az'+_.-AZ09", "text/plain", {0, 0}, 10, true), 0U);
}

TEST(Multipart, TooSmallBufferGivesZero) {
  const std::string head = part_head("B", "text/plain", {0, 99}, 1234, false);
  std::vector<char> out(head.size());
  EXPECT_EQ(format_part_head(out, "B", "text/plain", {0, 99}, 1234, false), head.size());
  out.pop_back();
  EXPECT_EQ(format_part_head(out, "B", "text/plain", {0, 99}, 1234, false), 0U);
  std::array<char, 9> small;  // "\r\n--B--\r\n" is 9
  EXPECT_EQ(format_multipart_tail(small, "B"), 9U);
  EXPECT_EQ(format_multipart_tail(std::span<char>(small.data(), 8), "B"), 0U);
}

TEST(Multipart, PartHeadFitsInDocumentedCapacity) {
  const std::string boundary(kMaxBoundaryLength, 'b');
  const std::string head = part_head(boundary, "text/html; charset=utf-8",
                                     {UINT64_MAX - 2, UINT64_MAX - 1}, UINT64_MAX, false);
  EXPECT_EQ(head.size(), kPartHeadOverhead + std::string_view("text/html; charset=utf-8").size());
}

struct LengthCase {
  std::string_view name;
  std::string_view header;
  std::uint64_t size;
  std::string_view boundary;
  std::string_view content_type;
};

const LengthCase kLengthCases[] = {
    {"s14_6_rfc_example", "bytes=500-999,7000-7999", 8000, "THIS_STRING_SEPARATES",
     "application/pdf"},
    {"s14_6_single_part", "bytes=0-0", 1, "B", "text/plain"},
    {"s14_6_no_content_type", "bytes=0-9,20-29,-5", 100, "0123456789abcdef", ""},
    {"s14_6_digit_count_changes", "bytes=9-9,99-99,999-999,9999-", 100000, "b", "text/html"},
    {"s14_6_sixteen_parts",
     "bytes=0-0,2-2,4-4,6-6,8-8,10-10,12-12,14-14,16-16,18-18,20-20,22-22,24-24,26-26,28-28,-1",
     1000000000000, "0123456789abcdef0123456789abcdef", "application/octet-stream"},
    {"s14_6_large_file", "bytes=0-1,4294967296-", 9223372036854775807, "longer'+_.-boundary",
     "video/mp4"},
};

TEST(Multipart, LengthEqualsFormattedPartsDataAndTail) {
  for (const LengthCase& c : kLengthCases) {
    SCOPED_TRACE(c.name);
    const RangeSet set = parse_range(c.header, c.size);
    ASSERT_EQ(set.outcome, RangeOutcome::kSatisfiable);
    std::uint64_t total = 0;
    bool first = true;
    for (const ByteRange& range : set.parts()) {
      const std::string head = part_head(c.boundary, c.content_type, range, c.size, first);
      ASSERT_FALSE(head.empty());
      total += head.size() + range.length();
      first = false;
    }
    const std::string close = tail(c.boundary);
    ASSERT_FALSE(close.empty());
    total += close.size();
    EXPECT_EQ(multipart_length(set, c.boundary, c.content_type, c.size), total);
  }
}

TEST(Multipart, WholeBodyMatchesRfcExampleLayout) {
  // Build the body for a small "file" and compare with the §14.6 layout byte for byte.
  const std::string file = "0123456789abcdefghij";
  const RangeSet set = parse_range("bytes=0-1,-3", file.size());
  ASSERT_EQ(set.count, 2U);
  std::string body;
  bool first = true;
  for (const ByteRange& range : set.parts()) {
    body += part_head("SEP", "text/plain", range, file.size(), first);
    body += file.substr(range.first, range.length());
    first = false;
  }
  body += tail("SEP");
  EXPECT_EQ(body,
            "--SEP\r\nContent-Type: text/plain\r\nContent-Range: bytes 0-1/20\r\n\r\n01"
            "\r\n--SEP\r\nContent-Type: text/plain\r\nContent-Range: bytes 17-19/20\r\n\r\nhij"
            "\r\n--SEP--\r\n");
  EXPECT_EQ(multipart_length(set, "SEP", "text/plain", file.size()), body.size());
}

TEST(Multipart, LengthIsZeroWithoutSatisfiableRanges) {
  EXPECT_EQ(multipart_length(parse_range("bytes=50-", 10), "B", "text/plain", 10), 0U);
  EXPECT_EQ(multipart_length(parse_range("bytes=x", 10), "B", "text/plain", 10), 0U);
}

TEST(Multipart, BoundaryIsHexAndDependsOnSeed) {
  std::set<std::string> seen;
  for (const std::uint64_t seed : std::array<std::uint64_t, 5>{0, 1, 2, 1ULL << 63, UINT64_MAX}) {
    std::array<char, 40> out;
    const std::size_t size = make_boundary(out, seed);
    ASSERT_EQ(size, kBoundaryLength);
    const std::string boundary(out.data(), size);
    EXPECT_EQ(boundary.find_first_not_of("0123456789abcdef"), std::string::npos) << boundary;
    seen.insert(boundary);
    // Deterministic, and usable by every multipart function.
    std::array<char, 40> again;
    ASSERT_EQ(make_boundary(again, seed), size);
    EXPECT_EQ(std::string(again.data(), size), boundary);
    std::array<char, kMaxBoundaryLength + 8> close;
    EXPECT_EQ(format_multipart_tail(close, boundary), size + 8);
  }
  EXPECT_EQ(seen.size(), 5U);
  std::array<char, kBoundaryLength - 1> small;
  EXPECT_EQ(make_boundary(small, 1), 0U);
  static_assert(kBoundaryLength <= 40 && kBoundaryLength <= kMaxBoundaryLength);
}

}  // namespace
}  // namespace hybrid::http
