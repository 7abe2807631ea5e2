#include "hybrid/http/request_rules.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

namespace hybrid::http {
namespace {

// Names each instantiated case after its `name` field (gtest's "info" would shadow a macro
// parameter, hence a function rather than a lambda).
template <typename Case>
std::string case_name(const testing::TestParamInfo<Case>& param_info) {
  return param_info.param.name;
}

// A request as the parser would leave it, built directly so that versions the parser refuses
// (HTTP/2.0) can be checked too.
Request make_request(std::string_view method, int major, int minor,
                     const std::vector<Header>& headers) {
  Request request;
  request.method_token = method;
  request.method = method_from_token(method);
  request.target = "/";
  request.version_major = major;
  request.version_minor = minor;
  for (const Header& header : headers) request.header_slots[request.header_count++] = header;
  return request;
}

// --- check_request ------------------------------------------------------------------------------

struct CheckCase {
  const char* name;  // cites the rule it tests
  std::string_view method;
  int major;
  int minor;
  std::vector<Header> headers;
  Status expected;
};

const CheckCase kCheckCases[] = {
    {"Get11WithHost", "GET", 1, 1, {{"Host", "example.com"}}, Status::kOk},
    {"Head11WithHost", "HEAD", 1, 1, {{"Host", "example.com:8080"}}, Status::kOk},
    {"Rfc9112Sec3_2_Http10WithoutHostIsFine", "GET", 1, 0, {}, Status::kOk},
    {"Rfc9112Sec3_2_EmptyHostIsAllowed", "GET", 1, 1, {{"Host", ""}}, Status::kOk},
    {"Rfc9112Sec3_2_IpLiteralHost", "GET", 1, 1, {{"Host", "[::1]:80"}}, Status::kOk},

    {"Rfc9110Sec2_5_Http12IsProcessedAs11", "GET", 1, 2, {{"Host", "a"}}, Status::kOk},
    {"Rfc9110Sec2_5_Http12StillNeedsHost", "GET", 1, 2, {}, Status::kBadRequest},
    {"Rfc9110Sec15_6_6_Http20Is505",
     "GET",
     2,
     0,
     {{"Host", "a"}},
     Status::kHttpVersionNotSupported},
    {"Rfc9110Sec15_6_6_Http09Is505", "GET", 0, 9, {}, Status::kHttpVersionNotSupported},
    {"Rfc9110Sec15_6_6_VersionBeforeMethod", "BREW", 2, 0, {}, Status::kHttpVersionNotSupported},

    {"Rfc9112Sec3_2_Http11WithoutHostIs400", "GET", 1, 1, {}, Status::kBadRequest},
    {"Rfc9112Sec3_2_TwoHostsIs400",
     "GET",
     1,
     1,
     {{"Host", "a"}, {"Host", "a"}},
     Status::kBadRequest},
    {"Rfc9112Sec3_2_TwoHostsInHttp10Is400",
     "GET",
     1,
     0,
     {{"Host", "a"}, {"host", "b"}},
     Status::kBadRequest},
    {"Rfc9112Sec3_2_HostWithSlashIs400", "GET", 1, 1, {{"Host", "a/b"}}, Status::kBadRequest},
    {"Rfc9112Sec3_2_HostWithUserinfoIs400", "GET", 1, 1, {{"Host", "u@a"}}, Status::kBadRequest},
    {"Rfc9112Sec3_2_HostWithSpaceIs400", "GET", 1, 1, {{"Host", "a b"}}, Status::kBadRequest},
    {"Rfc9112Sec3_2_HostCheckedBeforeMethod", "BREW", 1, 1, {}, Status::kBadRequest},

    {"Rfc9110Sec8_6_ContentLengthZero",
     "GET",
     1,
     1,
     {{"Host", "a"}, {"Content-Length", "0"}},
     Status::kOk},
    {"Rfc9110Sec8_6_EighteenDigits",
     "GET",
     1,
     1,
     {{"Host", "a"}, {"Content-Length", "999999999999999999"}},
     Status::kOk},
    {"Rfc9112Sec6_3_RepeatedEqualContentLength",
     "GET",
     1,
     1,
     {{"Host", "a"}, {"Content-Length", "5"}, {"content-length", "5"}},
     Status::kOk},
    {"Rfc9112Sec6_3_NineteenDigitsIs400",
     "GET",
     1,
     1,
     {{"Host", "a"}, {"Content-Length", "1000000000000000000"}},
     Status::kBadRequest},
    {"Rfc9112Sec6_3_EmptyContentLengthIs400",
     "GET",
     1,
     1,
     {{"Host", "a"}, {"Content-Length", ""}},
     Status::kBadRequest},
    {"Rfc9112Sec6_3_SignedContentLengthIs400",
     "GET",
     1,
     1,
     {{"Host", "a"}, {"Content-Length", "+5"}},
     Status::kBadRequest},
    {"Rfc9112Sec6_3_HexContentLengthIs400",
     "GET",
     1,
     1,
     {{"Host", "a"}, {"Content-Length", "0x5"}},
     Status::kBadRequest},
    {"Rfc9112Sec6_3_ContentLengthListIs400",
     "GET",
     1,
     1,
     {{"Host", "a"}, {"Content-Length", "5, 5"}},
     Status::kBadRequest},
    {"Rfc9112Sec6_3_DifferingContentLengthsIs400",
     "GET",
     1,
     1,
     {{"Host", "a"}, {"Content-Length", "5"}, {"Content-Length", "6"}},
     Status::kBadRequest},
    {"Rfc9112Sec6_3_ChunkedIsAccepted",
     "GET",
     1,
     1,
     {{"Host", "a"}, {"Transfer-Encoding", "Chunked"}},
     Status::kOk},
    {"Rfc9112Sec6_1_UnknownCodingBeforeChunkedIs501",
     "GET",
     1,
     1,
     {{"Host", "a"}, {"Transfer-Encoding", "gzip, Chunked"}},
     Status::kNotImplemented},
    {"Rfc9112Sec6_1_CodingsOverTwoLinesAreOneList",
     "GET",
     1,
     1,
     {{"Host", "a"}, {"Transfer-Encoding", "gzip"}, {"Transfer-Encoding", "chunked"}},
     Status::kNotImplemented},
    {"Rfc9112Sec6_3_TransferEncodingWithContentLengthIs400",
     "GET",
     1,
     1,
     {{"Host", "a"}, {"Content-Length", "5"}, {"Transfer-Encoding", "chunked"}},
     Status::kBadRequest},
    {"Rfc9112Sec6_1_TransferEncodingInHttp10Is400",
     "GET",
     1,
     0,
     {{"Transfer-Encoding", "chunked"}},
     Status::kBadRequest},
    {"Rfc9112Sec6_3_ChunkedNotFinalIs400",
     "GET",
     1,
     1,
     {{"Host", "a"}, {"Transfer-Encoding", "chunked, gzip"}},
     Status::kBadRequest},
    {"Rfc9112Sec7_ChunkedTwiceIs400",
     "GET",
     1,
     1,
     {{"Host", "a"}, {"Transfer-Encoding", "chunked"}, {"Transfer-Encoding", "chunked"}},
     Status::kBadRequest},
    {"Rfc9112Sec6_3_EmptyTransferEncodingIs400",
     "GET",
     1,
     1,
     {{"Host", "a"}, {"Transfer-Encoding", ""}},
     Status::kBadRequest},
    {"Rfc9112Sec6_3_FramingCheckedBeforeHost",
     "GET",
     1,
     1,
     {{"Content-Length", "x"}},
     Status::kBadRequest},

    {"Rfc9110Sec9_1_UnknownMethodIs501", "BREW", 1, 1, {{"Host", "a"}}, Status::kNotImplemented},
    {"Rfc9110Sec9_1_LowercaseGetIs501", "get", 1, 1, {{"Host", "a"}}, Status::kNotImplemented},
    {"Rfc9110Sec15_5_6_PostIs405", "POST", 1, 1, {{"Host", "a"}}, Status::kMethodNotAllowed},
    {"Rfc9110Sec9_3_7_OptionsIsAllowed", "OPTIONS", 1, 1, {{"Host", "a"}}, Status::kOk},
    {"Rfc9110Sec15_5_6_DeleteIs405", "DELETE", 1, 0, {}, Status::kMethodNotAllowed},
};

class CheckRequest : public testing::TestWithParam<CheckCase> {};

TEST_P(CheckRequest, Answers) {
  const CheckCase& c = GetParam();
  const Request request = make_request(c.method, c.major, c.minor, c.headers);
  EXPECT_EQ(check_request(request), c.expected);
}

INSTANTIATE_TEST_SUITE_P(Rules, CheckRequest, testing::ValuesIn(kCheckCases), case_name<CheckCase>);

// --- wants_keep_alive ---------------------------------------------------------------------------

struct KeepAliveCase {
  const char* name;
  int minor;
  std::vector<Header> headers;
  bool expected;
};

const KeepAliveCase kKeepAliveCases[] = {
    {"Rfc9112Sec9_3_Http11PersistsByDefault", 1, {}, true},
    {"Rfc9112Sec9_3_Http11CloseEnds", 1, {{"Connection", "close"}}, false},
    {"Rfc9112Sec9_3_CloseIsCaseInsensitive", 1, {{"connection", "Close"}}, false},
    {"Rfc9112Sec9_3_CloseInList", 1, {{"Connection", "Upgrade, close"}}, false},
    {"Rfc9112Sec9_3_CloseOnSecondConnectionLine",
     1,
     {{"Connection", "keep-alive"}, {"Connection", "close"}},
     false},
    {"Rfc9112Sec9_3_ClosedIsNotClose", 1, {{"Connection", "closed"}}, true},
    {"Rfc9112Sec9_3_Http10ClosesByDefault", 0, {}, false},
    {"Rfc9112Sec9_3_Http10KeepAlivePersists", 0, {{"Connection", "Keep-Alive"}}, true},
    {"Rfc9112Sec9_3_Http10KeepAliveOnSecondLine",
     0,
     {{"Connection", "foo"}, {"Connection", "keep-alive"}},
     true},
    {"Rfc9112Sec9_3_Http10CloseWinsOverKeepAlive", 0, {{"Connection", "keep-alive, close"}}, false},
    {"Rfc9112Sec9_3_KeepAliveHeaderIsNotConnection", 0, {{"Keep-Alive", "timeout=5"}}, false},
};

class WantsKeepAlive : public testing::TestWithParam<KeepAliveCase> {};

TEST_P(WantsKeepAlive, Decides) {
  const KeepAliveCase& c = GetParam();
  EXPECT_EQ(wants_keep_alive(make_request("GET", 1, c.minor, c.headers)), c.expected);
}

INSTANTIATE_TEST_SUITE_P(Rules, WantsKeepAlive, testing::ValuesIn(kKeepAliveCases),
                         case_name<KeepAliveCase>);

// --- has_body -----------------------------------------------------------------------------------

struct BodyCase {
  const char* name;
  std::vector<Header> headers;
  bool expected;
};

const BodyCase kBodyCases[] = {
    {"Rfc9112Sec6_3_NoFramingHeadersNoBody", {{"Host", "a"}}, false},
    {"Rfc9112Sec6_3_ContentLengthZero", {{"Content-Length", "0"}}, false},
    {"Rfc9112Sec6_3_ContentLengthZeros", {{"Content-Length", "000"}}, false},
    {"Rfc9112Sec6_3_ContentLengthPositive", {{"Content-Length", "12"}}, true},
    {"Rfc9112Sec6_3_ContentLengthCaseInsensitiveName", {{"content-length", "1"}}, true},
    {"Rfc9112Sec6_3_InvalidContentLengthCountsAsBody", {{"Content-Length", "x"}}, true},
    {"Rfc9112Sec6_3_TransferEncoding", {{"Transfer-Encoding", "chunked"}}, true},
    {"Rfc9112Sec6_3_AnyNonZeroLine", {{"Content-Length", "0"}, {"Content-Length", "3"}}, true},
};

class HasBody : public testing::TestWithParam<BodyCase> {};

TEST_P(HasBody, Decides) {
  const BodyCase& c = GetParam();
  EXPECT_EQ(has_body(make_request("GET", 1, 1, c.headers)), c.expected);
}

INSTANTIATE_TEST_SUITE_P(Rules, HasBody, testing::ValuesIn(kBodyCases), case_name<BodyCase>);

}  // namespace
}  // namespace hybrid::http
