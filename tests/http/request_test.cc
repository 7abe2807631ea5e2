#include "hybrid/http/request.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace hybrid::http {
namespace {

// Names each instantiated case after its `name` field (gtest's "info" would shadow a macro
// parameter, hence a function rather than a lambda).
template <typename Case>
std::string case_name(const testing::TestParamInfo<Case>& param_info) {
  return param_info.param.name;
}

struct MethodCase {
  const char* name;
  std::string_view token;
  Method expected;
};

const MethodCase kMethodCases[] = {
    {"Get", "GET", Method::kGet},
    {"Head", "HEAD", Method::kHead},
    {"Post", "POST", Method::kPost},
    {"Put", "PUT", Method::kPut},
    {"Delete", "DELETE", Method::kDelete},
    {"Connect", "CONNECT", Method::kConnect},
    {"Options", "OPTIONS", Method::kOptions},
    {"Trace", "TRACE", Method::kTrace},
    {"Patch", "PATCH", Method::kPatch},
    {"Rfc9110Sec9_1_LowercaseIsAnotherMethod", "get", Method::kUnknown},
    {"MixedCase", "Get", Method::kUnknown},
    {"Prefix", "GE", Method::kUnknown},
    {"Longer", "GETS", Method::kUnknown},
    {"Empty", "", Method::kUnknown},
    {"Unregistered", "BREW", Method::kUnknown},
};

class MethodFromToken : public testing::TestWithParam<MethodCase> {};

TEST_P(MethodFromToken, Maps) {
  EXPECT_EQ(method_from_token(GetParam().token), GetParam().expected);
}

INSTANTIATE_TEST_SUITE_P(Request, MethodFromToken, testing::ValuesIn(kMethodCases),
                         case_name<MethodCase>);

struct IequalsCase {
  const char* name;
  std::string_view a;
  std::string_view b;
  bool expected;
};

const IequalsCase kIequalsCases[] = {
    {"Identical", "Host", "Host", true},
    {"DifferentCase", "content-LENGTH", "Content-Length", true},
    {"BothEmpty", "", "", true},
    {"DifferentLength", "Host", "Hosts", false},
    {"DifferentLetter", "Host", "Hose", false},
    // '@' and '`' are 0x20 apart like 'A'/'a' but are not letters.
    {"OnlyLettersFold", "@", "`", false},
    {"BracketIsNotBrace", "[", "{", false},
    {"NonAsciiIsExact", "\xc3\xa9", "\xc3\x89", false},
};

class Iequals : public testing::TestWithParam<IequalsCase> {};

TEST_P(Iequals, Compares) {
  const IequalsCase& c = GetParam();
  EXPECT_EQ(iequals(c.a, c.b), c.expected);
  EXPECT_EQ(iequals(c.b, c.a), c.expected);
}

INSTANTIATE_TEST_SUITE_P(Request, Iequals, testing::ValuesIn(kIequalsCases),
                         case_name<IequalsCase>);

struct HasTokenCase {
  const char* name;
  std::string_view list;
  std::string_view token;
  bool expected;
};

const HasTokenCase kHasTokenCases[] = {
    {"Single", "close", "close", true},
    {"CaseInsensitive", "Keep-Alive", "keep-alive", true},
    {"InList", "keep-alive, Upgrade", "upgrade", true},
    {"WithOws", " \tfoo ,\t close \t", "close", true},
    {"Rfc9110Sec5_6_1_EmptyElementsIgnored", ", ,close,,", "close", true},
    {"NoSpaceAfterComma", "a,close", "close", true},
    {"Absent", "keep-alive, upgrade", "close", false},
    {"SubstringIsNotToken", "closed", "close", false},
    {"PrefixIsNotToken", "clo", "close", false},
    {"SpaceInsideElementIsNotToken", "clo se", "close", false},
    {"EmptyList", "", "close", false},
    {"EmptyTokenNeverMatches", "a, ,b", "", false},
};

class HasToken : public testing::TestWithParam<HasTokenCase> {};

TEST_P(HasToken, Finds) {
  const HasTokenCase& c = GetParam();
  EXPECT_EQ(has_token(c.list, c.token), c.expected);
}

INSTANTIATE_TEST_SUITE_P(Request, HasToken, testing::ValuesIn(kHasTokenCases),
                         case_name<HasTokenCase>);

Request request_with(std::initializer_list<Header> headers) {
  Request request;
  for (const Header& header : headers) request.header_slots[request.header_count++] = header;
  return request;
}

TEST(RequestHeaders, FindHeaderIgnoresCaseAndReturnsTheFirst) {
  const Request request = request_with({{"Accept", "*/*"}, {"host", "first"}, {"HOST", "second"}});
  ASSERT_TRUE(request.find_header("Host").has_value());
  EXPECT_EQ(*request.find_header("Host"), "first");
  EXPECT_EQ(*request.find_header("accept"), "*/*");
}

TEST(RequestHeaders, FindHeaderOfAbsentNameIsEmptyOptional) {
  const Request request = request_with({{"Accept", "*/*"}});
  EXPECT_FALSE(request.find_header("Host").has_value());
  EXPECT_FALSE(request.find_header("Accep").has_value());
}

TEST(RequestHeaders, EmptyValueIsFoundAsEmpty) {
  const Request request = request_with({{"X-Empty", ""}});
  ASSERT_TRUE(request.find_header("x-empty").has_value());
  EXPECT_EQ(*request.find_header("x-empty"), "");
}

TEST(RequestHeaders, SlotsBeyondHeaderCountAreIgnored) {
  Request request = request_with({{"Accept", "*/*"}});
  request.header_slots[1] = {"Host", "stale"};  // left over from an earlier parse
  EXPECT_FALSE(request.find_header("Host").has_value());
  EXPECT_EQ(request.count_headers("Host"), 0u);
  EXPECT_EQ(request.headers().size(), 1u);
}

TEST(RequestHeaders, Rfc9112Sec3_2_CountHeadersCountsEveryLine) {
  const Request request =
      request_with({{"Host", "a"}, {"Accept", "*/*"}, {"host", "b"}, {"HOST", "a"}});
  EXPECT_EQ(request.count_headers("Host"), 3u);
  EXPECT_EQ(request.count_headers("Accept"), 1u);
  EXPECT_EQ(request.count_headers("Range"), 0u);
}

}  // namespace
}  // namespace hybrid::http
