#include "hybrid/http/target.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace hybrid::http {
namespace {

using namespace std::string_view_literals;

// ---- split_target -------------------------------------------------------------------------

struct SplitCase {
  std::string_view name;
  std::string_view target;
  std::string_view path;
  std::string_view query;
  std::string_view host;
};

constexpr SplitCase kAcceptedTargets[] = {
    {"root", "/", "/", "", ""},
    {"path", "/a/b.html", "/a/b.html", "", ""},
    {"query", "/a?x=1&y=2", "/a", "x=1&y=2", ""},
    {"empty_query", "/a?", "/a", "", ""},
    {"question_mark_in_query", "/a?b?c", "/a", "b?c", ""},
    {"encoded_path_kept_encoded", "/a%20b?q", "/a%20b", "q", ""},
    {"absolute_http", "http://example.com/a?q", "/a", "q", "example.com"},
    {"absolute_https", "https://example.com/a", "/a", "", "example.com"},
    {"absolute_scheme_any_case", "HtTp://example.com/a", "/a", "", "example.com"},
    {"absolute_with_port", "http://example.com:8080/x", "/x", "", "example.com:8080"},
    {"absolute_ipv6", "http://[::1]:8080/x", "/x", "", "[::1]:8080"},
    {"absolute_empty_path", "http://example.com", "/", "", "example.com"},
    {"absolute_empty_path_with_query", "http://example.com?q=1", "/", "q=1", "example.com"},
    {"raw_utf8_bytes", "/caf\xc3\xa9", "/caf\xc3\xa9", "", ""},
};

TEST(SplitTarget, AcceptsOriginAndAbsoluteForm) {
  for (const SplitCase& c : kAcceptedTargets) {
    SCOPED_TRACE(c.name);
    TargetParts parts;
    ASSERT_TRUE(split_target(c.target, parts));
    EXPECT_EQ(parts.path, c.path);
    EXPECT_EQ(parts.query, c.query);
    EXPECT_EQ(parts.host, c.host);
  }
}

struct RejectCase {
  std::string_view name;
  std::string_view target;
};

constexpr RejectCase kRejectedTargets[] = {
    {"empty", ""},
    {"asterisk_form", "*"},
    {"authority_form", "example.com:443"},
    {"relative_path", "a/b"},
    {"fragment", "/a#top"},
    {"fragment_in_query", "/a?q#top"},
    {"fragment_in_absolute_form", "http://example.com/#x"},
    {"other_scheme", "ftp://example.com/a"},
    {"scheme_without_slashes", "http:/a"},
    {"absolute_empty_host", "http:///a"},
    {"absolute_userinfo", "http://user@evil.example/a"},
    {"space", "/a b"},
    {"tab", "/a\tb"},
    {"cr", "/a\rb"},
    {"lf", "/a\nb"},
    {"nul", "/a\0b"sv},
    {"del", "/a\x7f"},
};

TEST(SplitTarget, RejectsOtherFormsFragmentsAndControls) {
  for (const RejectCase& c : kRejectedTargets) {
    SCOPED_TRACE(c.name);
    TargetParts parts;
    EXPECT_FALSE(split_target(c.target, parts));
  }
}

TEST(SplitTarget, ViewsPointIntoTheTarget) {
  const std::string target = "/dir/file?x";
  TargetParts parts;
  ASSERT_TRUE(split_target(target, parts));
  EXPECT_EQ(parts.path.data(), target.data());
  EXPECT_EQ(parts.query.data(), target.data() + 10);
}

// ---- normalize_path -----------------------------------------------------------------------

struct NormalizeResult {
  Status status;
  std::string path;
  bool trailing_slash;
};

NormalizeResult normalize(std::string_view path) {
  std::vector<char> out(path.size());
  const NormalizedPath result = normalize_path(path, out);
  return {result.status, std::string(out.data(), result.length), result.trailing_slash};
}

struct NormalizeCase {
  std::string_view name;
  std::string_view input;
  std::string_view output;
  bool trailing_slash;
};

constexpr NormalizeCase kNormalized[] = {
    {"root", "/", "", true},
    {"file", "/index.html", "index.html", false},
    {"nested", "/a/b/c.txt", "a/b/c.txt", false},
    {"directory", "/a/b/", "a/b", true},
    {"repeated_slashes_collapse", "//a///b//", "a/b", true},
    {"dot_segments_vanish", "/./a/./b/.", "a/b", true},
    {"dotdot_pops_a_segment", "/a/b/../c", "a/c", false},
    {"dotdot_to_root", "/a/..", "", true},
    {"dotdot_to_root_with_slash", "/a/../", "", true},
    {"dotdot_after_collapse", "/a//b//..//c", "a/c", false},
    {"three_dots_is_a_name", "/.../x", ".../x", false},
    {"dot_prefixed_name", "/.well-known/x", ".well-known/x", false},
    {"dotdot_prefixed_name", "/..x/y..", "..x/y..", false},
    {"space_decoded", "/a%20b", "a b", false},
    {"lowercase_hex", "/%7e%7E", "~~", false},
    {"encoded_dot_dot_inside", "/a/%2e%2e/b", "b", false},
    {"encoded_slash_is_a_separator", "/a%2Fb", "a/b", false},
    {"encoded_dotdot_slash_pops", "/a/b/..%2fc", "a/c", false},
    {"double_encoding_is_decoded_once", "/%252e%252e", "%2e%2e", false},
    {"double_encoded_slash_stays_a_name", "/a%252fb", "a%2fb", false},
    {"utf8", "/caf%C3%A9/\xc3\xa9", "caf\xc3\xa9/\xc3\xa9", false},
    {"query_chars_are_plain", "/a?b", "a?b", false},
};

TEST(NormalizePath, DecodesOnceAndRemovesDotSegments) {
  for (const NormalizeCase& c : kNormalized) {
    SCOPED_TRACE(c.name);
    const NormalizeResult result = normalize(c.input);
    EXPECT_EQ(result.status, Status::kOk);
    EXPECT_EQ(result.path, c.output);
    EXPECT_EQ(result.trailing_slash, c.trailing_slash);
  }
}

constexpr RejectCase kUnsafePaths[] = {
    // Climbing above the root, however it is spelled.
    {"dotdot_at_root", "/.."},
    {"dotdot_slash_at_root", "/../"},
    {"dotdot_to_etc", "/../etc/passwd"},
    {"pops_past_root", "/a/../../b"},
    {"deep_pops_past_root", "/a/b/../../../etc/passwd"},
    {"encoded_dotdot", "/%2e%2e"},
    {"encoded_dotdot_slash", "/%2e%2e/"},
    {"mixed_encoded_dotdot", "/.%2e/x"},
    {"encoded_dotdot_uppercase", "/%2E%2E/x"},
    {"dotdot_encoded_slash", "/..%2fetc/passwd"},
    {"fully_encoded_traversal", "/%2e%2e%2fetc%2fpasswd"},
    {"leading_encoded_slash_traversal", "/%2f..%2f..%2fetc"},
    // Backslashes, raw or encoded: a separator elsewhere, never a file name here.
    {"backslash_traversal", "/\\..\\etc"},
    {"backslash", "/a\\b"},
    {"encoded_backslash", "/a%5cb"},
    {"encoded_backslash_traversal", "/..%5c..%5cetc"},
    // Control bytes, decoded or raw.
    {"encoded_nul", "/a%00.html"},
    {"raw_nul", "/a\0b"sv},
    {"encoded_cr", "/a%0d"},
    {"encoded_lf", "/a%0A"},
    {"encoded_escape", "/a%1b"},
    {"encoded_del", "/a%7f"},
    {"raw_tab", "/a\tb"},
    {"raw_del", "/a\x7f"},
    // Malformed escapes.
    {"invalid_hex", "/%zz"},
    {"half_invalid_hex", "/%4g"},
    {"truncated_escape_one_digit", "/%4"},
    {"truncated_escape_no_digit", "/a%"},
    {"sign_is_not_hex", "/%+1"},
    // Not a path.
    {"empty", ""},
    {"relative", "a/b"},
};

TEST(NormalizePath, RejectsTraversalControlsBackslashesAndBadEscapes) {
  for (const RejectCase& c : kUnsafePaths) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(normalize(c.target).status, Status::kBadRequest);
  }
}

TEST(NormalizePath, RejectsAPathLongerThanTheOutputBuffer) {
  const std::string path = "/" + std::string(5000, 'a');
  std::vector<char> out(path.size() - 1);
  EXPECT_EQ(normalize_path(path, out).status, Status::kBadRequest);
}

TEST(NormalizePath, HandlesLongPathsThatFit) {
  std::string path;
  std::string expected;
  for (int i = 0; i < 2000; ++i) {
    path += "/seg";
    path += "/./x/..";
  }
  for (int i = 0; i < 2000; ++i) expected += i == 0 ? "seg" : "/seg";
  const NormalizeResult result = normalize(path);
  EXPECT_EQ(result.status, Status::kOk);
  EXPECT_EQ(result.path, expected);
  EXPECT_TRUE(result.trailing_slash);
}

TEST(NormalizePath, ManyDotDotsPastAShallowPathAreRejected) {
  std::string path = "/a/b";
  for (int i = 0; i < 1000; ++i) path += "/..";
  EXPECT_EQ(normalize(path).status, Status::kBadRequest);
}

TEST(NormalizePath, WritesNothingPastTheInputLength) {
  // Guard bytes after the exact-size buffer must survive every case.
  for (const NormalizeCase& c : kNormalized) {
    SCOPED_TRACE(c.name);
    std::vector<char> out(c.input.size() + 8, '#');
    normalize_path(c.input, std::span<char>(out.data(), c.input.size()));
    EXPECT_EQ(std::string(out.end() - 8, out.end()), "########");
  }
}

// ---- encode_location_path -----------------------------------------------------------------

std::string encode(std::string_view relative) {
  std::vector<char> out(3 * relative.size() + 2);
  const std::size_t size = encode_location_path(relative, out);
  return std::string(out.data(), size);
}

struct EncodeCase {
  std::string_view name;
  std::string_view relative;
  std::string_view location;
};

constexpr EncodeCase kEncoded[] = {
    {"root", "", "/"},
    {"directory", "docs/", "/docs/"},
    {"unreserved_kept", "a-b.c_d~e/F9", "/a-b.c_d~e/F9"},
    {"safe_sub_delims_kept", "a!$()*+,;=:@b", "/a!$()*+,;=:@b"},
    {"space", "my file", "/my%20file"},
    {"quotes_and_angle_brackets", "\"'<>", "/%22%27%3C%3E"},
    {"crlf_cannot_inject_headers", "a\r\nSet-Cookie: x", "/a%0D%0ASet-Cookie:%20x"},
    {"percent_is_escaped", "100%", "/100%25"},
    {"query_and_fragment_chars", "a?b#c", "/a%3Fb%23c"},
    {"backslash_and_ampersand", "a\\b&c", "/a%5Cb%26c"},
    {"nul", "a\0b"sv, "/a%00b"},
    {"utf8", "caf\xc3\xa9", "/caf%C3%A9"},
    {"protocol_relative_attack", "//evil.com/", "/evil.com/"},
    {"single_leading_slash", "/x", "/x"},
};

TEST(EncodeLocationPath, EncodesEverythingButSafeBytes) {
  for (const EncodeCase& c : kEncoded) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(encode(c.relative), c.location);
  }
}

TEST(EncodeLocationPath, ReturnsZeroWhenTheBufferIsTooSmall) {
  std::vector<char> out(6);
  EXPECT_EQ(encode_location_path("a b c", out), 0u);  // needs "/a%20b%20c"
  EXPECT_EQ(encode_location_path("", std::span<char>()), 0u);
  EXPECT_EQ(encode_location_path("abcde", out), 6u);  // exactly fits "/abcde"
}

TEST(EncodeLocationPath, RoundTripsThroughNormalizePath) {
  for (std::string_view relative : {"a b/c%d/e\xc3\xa9", "x/y/", "dir/sub dir/f.txt"}) {
    SCOPED_TRACE(relative);
    const NormalizeResult back = normalize(encode(relative));
    EXPECT_EQ(back.status, Status::kOk);
    const std::string_view without_slash =
        relative.ends_with('/') ? relative.substr(0, relative.size() - 1) : relative;
    EXPECT_EQ(back.path, without_slash);
  }
}

}  // namespace
}  // namespace hybrid::http
