#include "hybrid/http/query.h"

#include <gtest/gtest.h>

namespace hybrid::http {
namespace {

std::optional<std::string> decoded(std::string_view text, bool plus_is_space = false) {
  std::string out;
  if (!percent_decode(text, out, plus_is_space)) return std::nullopt;
  return out;
}

TEST(PercentDecode, PlainTextIsUnchanged) {
  EXPECT_EQ(decoded("/a/b.txt"), "/a/b.txt");
}
TEST(PercentDecode, EscapesDecodeInEitherCase) {
  EXPECT_EQ(decoded("a%20b%2fc%2F"), "a b/c/");
}
TEST(PercentDecode, PlusIsSpaceOnlyWhenAsked) {
  EXPECT_EQ(decoded("a+b"), "a+b");
  EXPECT_EQ(decoded("a+b", true), "a b");
}
TEST(PercentDecode, TruncatedEscapeIsRefused) {
  EXPECT_EQ(decoded("a%2"), std::nullopt);
  EXPECT_EQ(decoded("a%"), std::nullopt);
}
TEST(PercentDecode, NonHexEscapeIsRefused) {
  EXPECT_EQ(decoded("%zz"), std::nullopt);
}
TEST(PercentDecode, DecodedNulIsRefused) {
  EXPECT_EQ(decoded("a%00b"), std::nullopt);
}
TEST(PercentDecode, DecodesOnlyOnce) {
  EXPECT_EQ(decoded("%252e"), "%2e");
}

TEST(QueryParameter, FindsTheFirstMatch) {
  EXPECT_EQ(find_query_parameter("ms=10&n=3&ms=20", "ms"), "10");
  EXPECT_EQ(find_query_parameter("ms=10&n=3", "n"), "3");
}
TEST(QueryParameter, AbsentIsNullopt) {
  EXPECT_EQ(find_query_parameter("a=1", "b"), std::nullopt);
  EXPECT_EQ(find_query_parameter("", "b"), std::nullopt);
}
TEST(QueryParameter, NameWithoutValueIsEmpty) {
  EXPECT_EQ(find_query_parameter("flag&x=1", "flag"), "");
  EXPECT_EQ(find_query_parameter("flag=", "flag"), "");
}
TEST(QueryParameter, NamesAndValuesAreDecoded) {
  EXPECT_EQ(find_query_parameter("a%20b=c+d%26e", "a b"), "c d&e");
}
TEST(QueryParameter, EmptyPairsAreSkipped) {
  EXPECT_EQ(find_query_parameter("&&x=1&", "x"), "1");
}
TEST(QueryParameter, MalformedValueIsNullopt) {
  EXPECT_EQ(find_query_parameter("x=%zz", "x"), std::nullopt);
}
TEST(QueryParameter, ValueMayHoldEquals) {
  EXPECT_EQ(find_query_parameter("x=a=b", "x"), "a=b");
}

}  // namespace
}  // namespace hybrid::http
