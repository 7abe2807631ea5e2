#include "hybrid/http/content_coding.h"

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>

#include "hybrid/http/request_parser.h"

namespace hybrid::http {
namespace {

constexpr AvailableCodings kBoth{.brotli = true, .gzip = true};
constexpr AvailableCodings kGzipOnly{.brotli = false, .gzip = true};
constexpr AvailableCodings kBrotliOnly{.brotli = true, .gzip = false};
constexpr AvailableCodings kNone{};

std::string describe(std::optional<Coding> coding) {
  if (!coding) return "none";
  if (*coding == Coding::kIdentity) return "identity";
  return std::string(coding_token(*coding));
}

struct ChooseCase {
  std::string_view name;
  std::optional<std::string_view> accept_encoding;
  AvailableCodings available;
  std::string_view expected;  // "br", "gzip", "identity" or "none" (nullopt)
};

constexpr ChooseCase kCases[] = {
    // §12.5.3: absent and empty headers.
    {"s12_5_3_no_header_is_identity", std::nullopt, kBoth, "identity"},
    {"s12_5_3_empty_header_is_identity", "", kBoth, "identity"},
    {"s12_5_3_only_commas_is_identity", " , ,", kBoth, "identity"},
    // Plain lists and preference at equal q.
    {"s12_5_3_browser_list_prefers_br", "gzip, deflate, br, zstd", kBoth, "br"},
    {"s12_5_3_br_preferred_over_gzip_at_equal_q", "gzip;q=0.8, br;q=0.8", kBoth, "br"},
    {"s12_5_3_gzip_when_br_missing", "gzip, deflate, br", kGzipOnly, "gzip"},
    {"s12_5_3_br_when_gzip_missing", "gzip, br", kBrotliOnly, "br"},
    {"s12_5_3_nothing_available", "gzip, br", kNone, "identity"},
    {"s12_5_3_only_gzip_accepted", "gzip", kBoth, "gzip"},
    {"s12_5_3_unknown_codings_only", "deflate, zstd", kBoth, "identity"},
    {"s12_5_3_gzip_preferred_over_identity_at_equal_q", "identity;q=0.5, gzip;q=0.5", kBoth,
     "gzip"},
    // §12.4.2: higher q wins.
    {"s12_4_2_higher_q_gzip_beats_br", "br;q=0.5, gzip;q=0.9", kBoth, "gzip"},
    {"s12_4_2_identity_higher_than_codings", "identity, gzip;q=0.5, br;q=0.5", kBoth, "identity"},
    {"s12_4_2_three_decimals", "br;q=0.001, gzip;q=0.002", kBoth, "gzip"},
    {"s12_4_2_q_one_point_zero", "br;q=0.999, gzip;q=1.000", kBoth, "gzip"},
    {"s12_4_2_q_one_dot", "br;q=0.9, gzip;q=1.", kBoth, "gzip"},
    {"s12_4_2_q_zero_dot", "br;q=0., gzip", kBoth, "gzip"},
    {"s12_4_2_uppercase_q", "br;Q=0.1, gzip;Q=0.2", kBoth, "gzip"},
    {"s12_4_2_ows_around_semicolon", "br \t; q=0.1, gzip ;q=0.2", kBoth, "gzip"},
    // §12.4.2: q=0 means "not acceptable".
    {"s12_4_2_br_refused", "br;q=0, gzip", kBoth, "gzip"},
    {"s12_4_2_both_refused_identity_left", "br;q=0, gzip;q=0", kBoth, "identity"},
    {"s12_4_2_refused_with_decimals", "br;q=0.000, gzip;q=0.0", kBoth, "identity"},
    // §12.5.3: identity acceptable unless refused.
    {"s12_5_3_unnamed_identity_ranks_last", "gzip;q=0.5", kBoth, "gzip"},
    {"s12_5_3_unnamed_identity_loses_to_lowest_q", "gzip;q=0.001", kGzipOnly, "gzip"},
    {"s12_5_3_identity_refused_gzip_left", "identity;q=0, gzip", kBoth, "gzip"},
    {"s12_5_3_identity_refused_nothing_left", "identity;q=0", kBoth, "none"},
    {"s12_5_3_identity_refused_nothing_available", "identity;q=0, gzip", kNone, "none"},
    {"s12_5_3_star_zero_refuses_identity", "*;q=0", kBoth, "none"},
    {"s12_5_3_star_zero_with_explicit_identity", "*;q=0, identity", kBoth, "identity"},
    {"s12_5_3_star_zero_explicit_identity_after", "identity;q=0.5, *;q=0", kBoth, "identity"},
    {"s12_5_3_star_zero_keeps_named_coding", "*;q=0, gzip", kBoth, "gzip"},
    {"s12_5_3_star_zero_named_coding_refused_too", "*;q=0, gzip;q=0, identity;q=0", kBoth, "none"},
    // §12.5.3: "*" covers what is not named.
    {"s12_5_3_star_covers_br_and_gzip", "*", kBoth, "br"},
    {"s12_5_3_star_covers_gzip_only_available", "*", kGzipOnly, "gzip"},
    {"s12_5_3_star_with_nothing_available", "*", kNone, "identity"},
    {"s12_5_3_star_does_not_override_named", "br;q=0, *", kBoth, "gzip"},
    {"s12_5_3_named_low_star_high", "br;q=0.1, *;q=0.9", kBoth, "gzip"},
    {"s12_5_3_star_gives_identity_its_q", "*;q=0.9, gzip;q=0.5", kGzipOnly, "identity"},
    {"s12_5_3_star_gives_br_its_q", "*;q=0.9, gzip;q=0.5", kBoth, "br"},
    {"s12_5_3_star_below_named_gzip", "gzip, *;q=0.5", kBoth, "gzip"},
    // §8.4.1.3: x-gzip is gzip.
    {"s8_4_1_3_x_gzip", "x-gzip", kBoth, "gzip"},
    {"s8_4_1_3_x_gzip_refused", "x-gzip;q=0, *", kBoth, "br"},
    // Case-insensitive names (§8.4.1).
    {"s8_4_1_uppercase_names", "GZIP, BR", kBoth, "br"},
    {"s8_4_1_mixed_case_x_gzip", "X-GZip", kGzipOnly, "gzip"},
    {"s8_4_1_uppercase_identity_refused", "IDENTITY;q=0", kNone, "none"},
    // The first entry for a coding counts.
    {"first_entry_wins_refusal", "gzip;q=0, gzip", kGzipOnly, "identity"},
    {"first_entry_wins_acceptance", "gzip, gzip;q=0", kGzipOnly, "gzip"},
    {"first_entry_wins_x_gzip", "x-gzip;q=0, gzip", kGzipOnly, "identity"},
    // §12.4.2: malformed weights, so the element is ignored.
    {"s12_4_2_q_above_one", "br;q=2, gzip", kBoth, "gzip"},
    {"s12_4_2_q_one_with_nonzero_decimal", "br;q=1.001, gzip", kBoth, "gzip"},
    {"s12_4_2_four_decimals", "br;q=0.5555, gzip", kBoth, "gzip"},
    {"s12_4_2_missing_leading_digit", "br;q=.5, gzip", kBoth, "gzip"},
    {"s12_4_2_empty_q", "br;q=, gzip", kBoth, "gzip"},
    {"s12_4_2_negative_q", "br;q=-0.5, gzip", kBoth, "gzip"},
    {"s12_4_2_space_around_equals", "br;q = 0.5, gzip", kBoth, "gzip"},
    {"s12_4_2_other_parameter", "br;level=5, gzip", kBoth, "gzip"},
    {"s12_4_2_two_q_parameters", "br;q=0.5;q=0.6, gzip", kBoth, "gzip"},
    {"s12_4_2_empty_parameter", "br;, gzip", kBoth, "gzip"},
    {"s12_4_2_malformed_elements_name_nothing", "gzip;q=0x, br;q=zero", kBoth, "identity"},
    {"s12_4_2_malformed_refusal_ignored", "br;q=0x, *", kBoth, "br"},
    {"s12_4_2_malformed_identity_refusal_ignored", "identity;q=O", kNone, "identity"},
    {"s5_6_2_name_not_a_token", "g(zip), br", kGzipOnly, "identity"},
    {"s5_6_2_space_inside_name", "g zip", kGzipOnly, "identity"},
    {"s5_6_2_parameter_without_name", ";q=1, gzip", kGzipOnly, "gzip"},
};

TEST(ChooseCoding, FollowsS12_5_3) {
  for (const ChooseCase& c : kCases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(describe(choose_coding(c.accept_encoding, c.available)), c.expected);
  }
}

TEST(ChooseCoding, NeverChoosesAnUnavailableCoding) {
  for (const ChooseCase& c : kCases) {
    for (AvailableCodings available : {kNone, kGzipOnly, kBrotliOnly, kBoth}) {
      SCOPED_TRACE(c.name);
      const std::optional<Coding> coding = choose_coding(c.accept_encoding, available);
      EXPECT_TRUE(coding != Coding::kGzip || available.gzip);
      EXPECT_TRUE(coding != Coding::kBrotli || available.brotli);
    }
  }
}

TEST(CodingNames, TokensFollowS8_4_1) {
  EXPECT_EQ(coding_token(Coding::kIdentity), "");
  EXPECT_EQ(coding_token(Coding::kGzip), "gzip");
  EXPECT_EQ(coding_token(Coding::kBrotli), "br");
}

TEST(CodingNames, SuffixesNamePrecompressedSiblings) {
  EXPECT_EQ(coding_suffix(Coding::kIdentity), "");
  EXPECT_EQ(coding_suffix(Coding::kGzip), ".gz");
  EXPECT_EQ(coding_suffix(Coding::kBrotli), ".br");
}

// Parses `head` (kept alive by the caller) into a heap Request: its header slots are large.
std::unique_ptr<Request> parsed(const std::string& head) {
  auto request = std::make_unique<Request>();
  EXPECT_EQ(parse_request(head, *request).status, ParseStatus::kComplete) << head;
  return request;
}

TEST(ChooseCodingTest, SeveralAcceptEncodingLinesAreOneListInTheirOrder) {
  const std::string refusal_then_gzip =
      "GET / HTTP/1.1\r\nHost: a\r\nAccept-Encoding: br;q=0\r\naccept-encoding: gzip\r\n\r\n";
  EXPECT_EQ(describe(choose_coding(*parsed(refusal_then_gzip), kBoth)), "gzip");

  // Only the second line names a coding: the first line alone would give identity.
  const std::string identity_then_br =
      "GET / HTTP/1.1\r\nHost: a\r\nAccept-Encoding: identity\r\nAccept-Encoding: br\r\n\r\n";
  EXPECT_EQ(describe(choose_coding(*parsed(identity_then_br), kBoth)), "br");

  // The first entry for a coding counts, across lines as within one.
  const std::string gzip_twice =
      "GET / HTTP/1.1\r\nHost: a\r\nAccept-Encoding: gzip;q=0\r\nAccept-Encoding: gzip\r\n\r\n";
  EXPECT_EQ(describe(choose_coding(*parsed(gzip_twice), kGzipOnly)), "identity");
}

TEST(ChooseCodingTest, ARequestWithoutAcceptEncodingGetsIdentityLikeAMissingValue) {
  const std::string head = "GET / HTTP/1.1\r\nHost: a\r\nAccept: */*\r\n\r\n";
  EXPECT_EQ(describe(choose_coding(*parsed(head), kBoth)), "identity");
  EXPECT_EQ(describe(choose_coding(std::nullopt, kBoth)), "identity");
  // One line behaves exactly as its value does.
  const std::string one_line =
      "GET / HTTP/1.1\r\nHost: a\r\nAccept-Encoding: gzip, br;q=0.5\r\n\r\n";
  EXPECT_EQ(describe(choose_coding(*parsed(one_line), kBoth)),
            describe(choose_coding(std::string_view("gzip, br;q=0.5"), kBoth)));
}

}  // namespace
}  // namespace hybrid::http
