#include "hybrid/http/body_framing.h"

#include <gtest/gtest.h>

#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace hybrid::http {
namespace {

using namespace std::string_literals;

// Names each instantiated case after its `name` field.
template <typename Case>
std::string case_name(const testing::TestParamInfo<Case>& param_info) {
  return param_info.param.name;
}

Request make_request(int minor, const std::vector<Header>& headers) {
  Request request;
  request.method_token = "POST";
  request.method = Method::kPost;
  request.target = "/";
  request.version_major = 1;
  request.version_minor = minor;
  for (const Header& header : headers) request.header_slots[request.header_count++] = header;
  return request;
}

// What a reader sees of a whole input, however it arrives.
struct Outcome {
  std::string payload;
  std::size_t consumed = 0;
  bool done = false;
  Status error = Status::kOk;

  bool operator==(const Outcome&) const = default;
};

std::ostream& operator<<(std::ostream& out, const Outcome& o) {
  return out << "{payload \"" << o.payload << "\", consumed " << o.consumed << ", done " << o.done
             << ", error " << code(o.error) << "}";
}

// Feeds the pieces in order as a connection would: each piece until it is used up or the decoder
// stops, checking the Step contract on the way. Pieces after the end are not fed.
Outcome decode(const std::vector<std::string_view>& pieces, const BodyLimits& limits = {}) {
  ChunkedDecoder decoder(limits);
  Outcome outcome;
  for (std::string_view piece : pieces) {
    for (;;) {
      const ChunkedDecoder::Step step = decoder.feed(piece);
      EXPECT_LE(step.consumed, piece.size());
      if (!step.data.empty()) {
        // The data lies inside the consumed bytes and ends where they end.
        EXPECT_EQ(step.data.data() + step.data.size(), piece.data() + step.consumed);
        EXPECT_GE(step.data.data(), piece.data());
      }
      outcome.payload.append(step.data);
      outcome.consumed += step.consumed;
      piece.remove_prefix(step.consumed);
      EXPECT_EQ(step.done, decoder.done());
      EXPECT_EQ(step.error, decoder.error());
      if (step.done || step.error != Status::kOk) {
        outcome.done = step.done;
        outcome.error = step.error;
        return outcome;
      }
      if (piece.empty()) break;
      // The only reason to stop early without finishing: one data segment was handed out.
      EXPECT_FALSE(step.data.empty());
    }
  }
  return outcome;
}

std::vector<std::string_view> split_at(std::string_view input, std::size_t split) {
  return {input.substr(0, split), input.substr(split)};
}

std::vector<std::string_view> bytes_of(std::string_view input) {
  std::vector<std::string_view> bytes;
  for (std::size_t i = 0; i < input.size(); ++i) bytes.push_back(input.substr(i, 1));
  return bytes;
}

constexpr std::string_view kNextRequest = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";

// --- Valid chunked bodies -----------------------------------------------------------------------

struct ValidCase {
  const char* name;
  std::string body;
  std::string payload;
  BodyLimits limits = {};
};

const std::string kLongExtension = "1;" + std::string(4094, 'a');  // a chunk line of 4096 bytes

const ValidCase kValidCases[] = {
    {"Rfc9112Sec7_1_OneChunk", "5\r\nhello\r\n0\r\n\r\n", "hello"},
    {"Rfc9112Sec7_1_TwoChunks", "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", "hello world"},
    {"Rfc9112Sec7_1_EmptyBody", "0\r\n\r\n", ""},
    {"Rfc9112Sec7_1_UppercaseHex", "A\r\n0123456789\r\n0\r\n\r\n", "0123456789"},
    {"Rfc9112Sec7_1_LowercaseHex", "a\r\n0123456789\r\n0\r\n\r\n", "0123456789"},
    {"Rfc9112Sec7_1_MixedCaseHex",
     "1a\r\nabcdefghijklmnopqrstuvwxyz\r\n1A\r\nABCDEFGHIJKLMNOPQRSTUVWXYZ\r\n0\r\n\r\n",
     "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"},
    {"Rfc9112Sec7_1_LeadingZeros", "0005\r\nhello\r\n000\r\n\r\n", "hello"},
    {"Rfc9112Sec7_1_SixteenHexDigits", "0000000000000005\r\nhello\r\n0\r\n\r\n", "hello"},
    {"Rfc9112Sec7_1_DataIsNotParsed", "7\r\n0\r\n\r\nab\r\n0\r\n\r\n", "0\r\n\r\nab"},
    {"Rfc9112Sec7_1_BinaryData", "3\r\n\0\xff\n\r\n0\r\n\r\n"s, "\0\xff\n"s},
    {"Rfc9112Sec7_1_1_ExtensionName", "5;foo\r\nhello\r\n0\r\n\r\n", "hello"},
    {"Rfc9112Sec7_1_1_ExtensionToken", "5;foo=bar\r\nhello\r\n0\r\n\r\n", "hello"},
    {"Rfc9112Sec7_1_1_ExtensionQuoted", "5;foo=\"b a;r\\\"\"\r\nhello\r\n0\r\n\r\n", "hello"},
    {"Rfc9112Sec7_1_1_ExtensionsWithBws", "5 ; a = b ;c\t;d=\"x\" ;e\r\nhello\r\n0\r\n\r\n",
     "hello"},
    {"Rfc9112Sec7_1_1_ExtensionOnLastChunk", "5\r\nhello\r\n0;end=1\r\n\r\n", "hello"},
    {"Rfc9112Sec7_1_1_ChunkLineAtLimit", kLongExtension + "\r\nx\r\n0\r\n\r\n", "x"},
    {"Rfc9112Sec7_1_2_Trailers", "5\r\nhello\r\n0\r\nExpires: never\r\nX-Sum:1 \t\r\n\r\n",
     "hello"},
    {"Rfc9112Sec7_1_2_TrailerEmptyValue", "0\r\nX-Empty:\r\n\r\n", ""},
    {"Rfc9112Sec7_1_2_TrailerAtLimit", "0\r\nX-A: 1\r\n\r\n", "", {.max_trailer_bytes = 8}},
    {"Rfc9112Sec7_1_BodyAtLimit",
     "5\r\nhello\r\n5\r\nworld\r\n0\r\n\r\n",
     "helloworld",
     {.max_body_bytes = 10}},
    {"Rfc9112Sec7_1_EmptyBodyUnderZeroLimit", "0\r\n\r\n", "", {.max_body_bytes = 0}},
};

class ChunkedValid : public testing::TestWithParam<ValidCase> {};

// Beast's idea: the same bytes split at every position decode the same way, and the body ends
// exactly where the next request begins.
TEST_P(ChunkedValid, DecodesAtEverySplit) {
  const ValidCase& c = GetParam();
  const std::string input = c.body + std::string(kNextRequest);
  const Outcome expected{c.payload, c.body.size(), true, Status::kOk};
  EXPECT_EQ(decode({input}, c.limits), expected);
  for (std::size_t split = 0; split <= input.size(); ++split) {
    ASSERT_EQ(decode(split_at(input, split), c.limits), expected) << "split at " << split;
  }
  EXPECT_EQ(decode(bytes_of(input), c.limits), expected);
}

TEST_P(ChunkedValid, EveryPrefixIsIncomplete) {
  const ValidCase& c = GetParam();
  for (std::size_t length = 0; length < c.body.size(); ++length) {
    const Outcome outcome = decode({std::string_view(c.body).substr(0, length)}, c.limits);
    ASSERT_FALSE(outcome.done) << "prefix " << length;
    ASSERT_EQ(outcome.error, Status::kOk) << "prefix " << length;
    ASSERT_EQ(outcome.consumed, length) << "prefix " << length;
  }
}

INSTANTIATE_TEST_SUITE_P(BodyFraming, ChunkedValid, testing::ValuesIn(kValidCases),
                         case_name<ValidCase>);

// --- Invalid chunked bodies ---------------------------------------------------------------------

struct InvalidCase {
  const char* name;
  std::string body;
  Status expected;
  std::size_t error_at;  // offset of the byte that proves the error (= bytes consumed before it)
  BodyLimits limits = {};
};

const InvalidCase kInvalidCases[] = {
    {"Rfc9112Sec7_1_HexPrefixIs400", "0x5\r\nhello\r\n0\r\n\r\n", Status::kBadRequest, 1},
    {"Rfc9112Sec7_1_NegativeSizeIs400", "-1\r\nx\r\n0\r\n\r\n", Status::kBadRequest, 0},
    {"Rfc9112Sec7_1_EmptySizeIs400", "\r\nhello\r\n0\r\n\r\n", Status::kBadRequest, 0},
    {"Rfc9112Sec7_1_PlusSignIs400", "+5\r\nhello\r\n0\r\n\r\n", Status::kBadRequest, 0},
    {"Rfc9112Sec7_1_SeventeenHexDigitsIs400", "00000000000000005\r\nhello\r\n0\r\n\r\n",
     Status::kBadRequest, 16},
    {"Rfc9112Sec7_1_SizeOverflowIs400", "fffffffffffffffff\r\n", Status::kBadRequest, 15},
    {"Rfc9112Sec7_1_SizeOfTwoPow63Is400", "8000000000000000\r\n", Status::kBadRequest, 15},
    {"Rfc9112Sec7_1_LargestSizeIs413", "7fffffffffffffff\r\n", Status::kContentTooLarge, 17},
    {"Rfc9112Sec7_1_WhitespaceBeforeSizeIs400", " 5\r\nhello\r\n0\r\n\r\n", Status::kBadRequest, 0},
    {"Rfc9112Sec7_1_WhitespaceAfterSizeIs400", "5 \r\nhello\r\n0\r\n\r\n", Status::kBadRequest, 2},
    {"Rfc9112Sec7_1_BareLfAfterSizeIs400", "5\nhello\r\n0\r\n\r\n", Status::kBadRequest, 1},
    {"Rfc9112Sec7_1_BareCrAfterSizeIs400", "5\rhello\r\n0\r\n\r\n", Status::kBadRequest, 2},
    {"Rfc9112Sec7_1_BareLfAfterExtensionIs400", "5;a=b\nhello\r\n0\r\n\r\n", Status::kBadRequest,
     5},
    {"Rfc9112Sec7_1_BareLfAfterDataIs400", "5\r\nhello\n0\r\n\r\n", Status::kBadRequest, 8},
    {"Rfc9112Sec7_1_BareCrAfterDataIs400", "5\r\nhello\r0\r\n\r\n", Status::kBadRequest, 9},
    {"Rfc9112Sec7_1_MissingCrlfAfterDataIs400", "5\r\nhello0\r\n\r\n", Status::kBadRequest, 8},
    {"Rfc9112Sec7_1_DataLongerThanSizeIs400", "3\r\nhello\r\n0\r\n\r\n", Status::kBadRequest, 6},
    {"Rfc9112Sec7_1_BareLfAfterLastChunkIs400", "0\n\r\n", Status::kBadRequest, 1},
    {"Rfc9112Sec7_1_BareLfEndingBodyIs400", "0\r\n\n", Status::kBadRequest, 3},
    {"Rfc9112Sec7_1_BareCrEndingBodyIs400", "0\r\n\rX", Status::kBadRequest, 4},
    {"Rfc9112Sec7_1_1_ExtensionWithoutNameIs400", "5;\r\nhello\r\n0\r\n\r\n", Status::kBadRequest,
     2},
    {"Rfc9112Sec7_1_1_ExtensionEmptyNameIs400", "5;=x\r\nhello\r\n0\r\n\r\n", Status::kBadRequest,
     2},
    {"Rfc9112Sec7_1_1_ExtensionEmptyValueIs400", "5;a=\r\nhello\r\n0\r\n\r\n", Status::kBadRequest,
     4},
    {"Rfc9112Sec7_1_1_ExtensionBadTokenIs400", "5;a=b@c\r\nhello\r\n0\r\n\r\n", Status::kBadRequest,
     5},
    {"Rfc9112Sec7_1_1_UnterminatedQuoteIs400", "5;a=\"b\r\nhello\r\n0\r\n\r\n", Status::kBadRequest,
     6},
    {"Rfc9112Sec7_1_1_TextAfterQuoteIs400", "5;a=\"b\"c\r\nhello\r\n0\r\n\r\n", Status::kBadRequest,
     7},
    {"Rfc9112Sec7_1_1_ChunkLineOf5000BytesIs400",
     "1;" + std::string(4998, 'a') + "\r\nx\r\n0\r\n\r\n", Status::kBadRequest, 4096},
    {"Rfc9112Sec7_1_1_ChunkLineOverSmallLimitIs400",
     "5;ab\r\nhello\r\n0\r\n\r\n",
     Status::kBadRequest,
     3,
     {.max_chunk_line = 3}},
    {"Rfc9112Sec7_1_2_TrailerWithoutColonIs400", "0\r\nExpires never\r\n\r\n", Status::kBadRequest,
     10},
    {"Rfc9112Sec5_1_TrailerSpaceBeforeColonIs400", "0\r\nExpires : x\r\n\r\n", Status::kBadRequest,
     10},
    {"Rfc9112Sec5_2_TrailerObsFoldIs400", "0\r\nA: b\r\n c\r\n\r\n", Status::kBadRequest, 9},
    {"Rfc9112Sec7_1_2_TrailerBareLfIs400", "0\r\nA: b\n\r\n", Status::kBadRequest, 7},
    {"Rfc9110Sec5_5_TrailerControlByteIs400", "0\r\nA: b\x01\r\n\r\n", Status::kBadRequest, 7},
    {"Rfc9112Sec7_1_2_TrailerOverLimitIs400",
     "0\r\nX-A: 1\r\n\r\n",
     Status::kBadRequest,
     10,
     {.max_trailer_bytes = 7}},
    {"Rfc9110Sec15_5_14_BodyOverLimitIs413",
     "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
     Status::kContentTooLarge,
     12,
     {.max_body_bytes = 10}},
    {"Rfc9110Sec15_5_14_ChunkOverDefaultLimitIs413", "100001\r\n", Status::kContentTooLarge, 7},
    {"Rfc9110Sec15_5_14_ZeroLimitRefusesData",
     "1\r\na\r\n0\r\n\r\n",
     Status::kContentTooLarge,
     2,
     {.max_body_bytes = 0}},
};

class ChunkedInvalid : public testing::TestWithParam<InvalidCase> {};

TEST_P(ChunkedInvalid, FailsAtTheSameByteAtEverySplit) {
  const InvalidCase& c = GetParam();
  const Outcome one_shot = decode({c.body}, c.limits);
  EXPECT_EQ(one_shot.error, c.expected);
  EXPECT_FALSE(one_shot.done);
  EXPECT_EQ(one_shot.consumed, c.error_at);
  for (std::size_t split = 0; split <= c.body.size(); ++split) {
    ASSERT_EQ(decode(split_at(c.body, split), c.limits), one_shot) << "split at " << split;
  }
  EXPECT_EQ(decode(bytes_of(c.body), c.limits), one_shot);
}

INSTANTIATE_TEST_SUITE_P(BodyFraming, ChunkedInvalid, testing::ValuesIn(kInvalidCases),
                         case_name<InvalidCase>);

TEST(ChunkedDecoder, StaysDoneAndConsumesNothingMore) {
  ChunkedDecoder decoder;
  const ChunkedDecoder::Step end = decoder.feed("0\r\n\r\n5\r\n");
  EXPECT_EQ(end.consumed, 5U);
  EXPECT_TRUE(end.done);
  const ChunkedDecoder::Step again = decoder.feed("5\r\n");
  EXPECT_EQ(again.consumed, 0U);
  EXPECT_TRUE(again.done);
  EXPECT_EQ(again.error, Status::kOk);
  EXPECT_TRUE(again.data.empty());
}

TEST(ChunkedDecoder, StaysFailedAndConsumesNothingMore) {
  ChunkedDecoder decoder;
  EXPECT_EQ(decoder.feed("z").error, Status::kBadRequest);
  const ChunkedDecoder::Step again = decoder.feed("0\r\n\r\n");
  EXPECT_EQ(again.consumed, 0U);
  EXPECT_FALSE(again.done);
  EXPECT_EQ(again.error, Status::kBadRequest);
}

TEST(ChunkedDecoder, HandsOutOneDataSegmentPerCall) {
  ChunkedDecoder decoder;
  const std::string_view input = "2\r\nab\r\n3\r\ncde\r\n0\r\n\r\n";
  const ChunkedDecoder::Step first = decoder.feed(input);
  EXPECT_EQ(first.data, "ab");
  EXPECT_EQ(first.consumed, 5U);
  const ChunkedDecoder::Step second = decoder.feed(input.substr(5));
  EXPECT_EQ(second.data, "cde");
  EXPECT_EQ(second.consumed, 8U);
  const ChunkedDecoder::Step last = decoder.feed(input.substr(13));
  EXPECT_TRUE(last.data.empty());
  EXPECT_TRUE(last.done);
  EXPECT_EQ(last.consumed, input.size() - 13);
}

// --- body_framing -------------------------------------------------------------------------------

struct FramingCase {
  const char* name;
  std::vector<Header> headers;
  BodyKind kind;
  std::uint64_t length;
};

const FramingCase kFramingCases[] = {
    {"Rfc9112Sec6_3_NoFramingHeadersIsNoBody", {{"Host", "a"}}, BodyKind::kNone, 0},
    {"Rfc9112Sec6_3_ContentLengthZeroIsNoBody", {{"Content-Length", "0"}}, BodyKind::kNone, 0},
    {"Rfc9112Sec6_3_ContentLengthZerosIsNoBody", {{"Content-Length", "000"}}, BodyKind::kNone, 0},
    {"Rfc9112Sec6_2_ContentLength", {{"content-length", "12"}}, BodyKind::kLength, 12},
    {"Rfc9112Sec6_2_ContentLengthLeadingZeros", {{"Content-Length", "007"}}, BodyKind::kLength, 7},
    {"Rfc9112Sec6_3_RepeatedEqualContentLength",
     {{"Content-Length", "5"}, {"Content-Length", "5"}},
     BodyKind::kLength,
     5},
    {"Rfc9112Sec6_2_EighteenDigits",
     {{"Content-Length", "999999999999999999"}},
     BodyKind::kLength,
     999999999999999999ULL},
    {"Rfc9112Sec6_3_Chunked", {{"Transfer-Encoding", "chunked"}}, BodyKind::kChunked, 0},
    {"Rfc9112Sec6_3_GzipThenChunked",
     {{"Transfer-Encoding", "gzip"}, {"transfer-encoding", "Chunked"}},
     BodyKind::kChunked,
     0},
};

class Framing : public testing::TestWithParam<FramingCase> {};

TEST_P(Framing, Decides) {
  const FramingCase& c = GetParam();
  const BodyFraming framing = body_framing(make_request(1, c.headers));
  EXPECT_EQ(framing.kind, c.kind);
  EXPECT_EQ(framing.length, c.length);
}

INSTANTIATE_TEST_SUITE_P(BodyFraming, Framing, testing::ValuesIn(kFramingCases),
                         case_name<FramingCase>);

struct ContentLengthCase {
  const char* name;
  std::string_view value;
  std::optional<std::uint64_t> expected;
};

const ContentLengthCase kContentLengthCases[] = {
    {"Rfc9110Sec8_6_Zero", "0", 0},
    {"Rfc9110Sec8_6_Digits", "1234", 1234},
    {"Rfc9110Sec8_6_EighteenDigits", "999999999999999999", 999999999999999999ULL},
    {"Rfc9112Sec6_3_NineteenDigitsRefused", "1000000000000000000", std::nullopt},
    {"Rfc9110Sec8_6_EmptyRefused", "", std::nullopt},
    {"Rfc9110Sec8_6_SignRefused", "+5", std::nullopt},
    {"Rfc9110Sec8_6_HexRefused", "0x5", std::nullopt},
    {"Rfc9110Sec8_6_ListRefused", "5, 5", std::nullopt},
};

class ContentLength : public testing::TestWithParam<ContentLengthCase> {};

TEST_P(ContentLength, Parses) {
  const ContentLengthCase& c = GetParam();
  EXPECT_EQ(parse_content_length(c.value), c.expected);
}

INSTANTIATE_TEST_SUITE_P(BodyFraming, ContentLength, testing::ValuesIn(kContentLengthCases),
                         case_name<ContentLengthCase>);

// --- BodyReader ---------------------------------------------------------------------------------

TEST(BodyReader, NoBodyIsDoneAtOnce) {
  BodyReader body({});
  EXPECT_TRUE(body.finished());
  const BodyReader::Step step = body.advance(kNextRequest);
  EXPECT_EQ(step.consumed, 0U);
  EXPECT_TRUE(step.done);
  EXPECT_EQ(step.error, Status::kOk);
}

TEST(BodyReader, Rfc9112Sec6_2_ContentLengthStopsAtTheNextRequest) {
  BodyReader body({BodyKind::kLength, 5});
  EXPECT_FALSE(body.finished());
  const BodyReader::Step first = body.advance("he");
  EXPECT_EQ(first.consumed, 2U);
  EXPECT_EQ(first.data, "he");
  EXPECT_FALSE(first.done);
  const BodyReader::Step second = body.advance("lloGET /");
  EXPECT_EQ(second.consumed, 3U);
  EXPECT_EQ(second.data, "llo");
  EXPECT_TRUE(second.done);
  EXPECT_TRUE(body.finished());
  EXPECT_EQ(body.advance("GET /").consumed, 0U);
}

TEST(BodyReader, Rfc9112Sec6_2_ContentLengthAtLimit) {
  BodyReader body({BodyKind::kLength, 4}, {.max_body_bytes = 4});
  EXPECT_EQ(body.error(), Status::kOk);
  EXPECT_TRUE(body.advance("abcd").done);
}

TEST(BodyReader, Rfc9110Sec15_5_14_ContentLengthOverLimitIs413BeforeReading) {
  BodyReader body({BodyKind::kLength, 5}, {.max_body_bytes = 4});
  EXPECT_EQ(body.error(), Status::kContentTooLarge);
  EXPECT_TRUE(body.finished());
  EXPECT_FALSE(body.done());
  const BodyReader::Step step = body.advance("hello");
  EXPECT_EQ(step.consumed, 0U);
  EXPECT_EQ(step.error, Status::kContentTooLarge);
  EXPECT_TRUE(step.data.empty());
}

TEST(BodyReader, Rfc9112Sec7_1_ChunkedDelegatesToTheDecoder) {
  BodyReader body({BodyKind::kChunked, 0}, {.max_body_bytes = 4});
  const BodyReader::Step data = body.advance("3\r\nabc\r\n2\r\nde\r\n");
  EXPECT_EQ(data.data, "abc");
  EXPECT_EQ(data.consumed, 6U);
  const BodyReader::Step refused = body.advance("\r\n2\r\nde\r\n");
  EXPECT_EQ(refused.error, Status::kContentTooLarge);
  EXPECT_TRUE(body.finished());
  EXPECT_EQ(body.error(), Status::kContentTooLarge);
}

// --- expectation --------------------------------------------------------------------------------

struct ExpectCase {
  const char* name;
  int minor;
  std::vector<Header> headers;
  Expectation expected;
};

const ExpectCase kExpectCases[] = {
    {"Rfc9110Sec10_1_1_AbsentIsNone", 1, {{"Host", "a"}}, Expectation::kNone},
    {"Rfc9110Sec10_1_1_Continue", 1, {{"Expect", "100-continue"}}, Expectation::kContinue},
    {"Rfc9110Sec10_1_1_ContinueIsCaseInsensitive",
     1,
     {{"expect", "100-Continue"}},
     Expectation::kContinue},
    {"Rfc9110Sec10_1_1_ContinueRepeated",
     1,
     {{"Expect", "100-continue, 100-continue"}},
     Expectation::kContinue},
    {"Rfc9110Sec10_1_1_Http10ContinueIgnored", 0, {{"Expect", "100-continue"}}, Expectation::kNone},
    {"Rfc9110Sec10_1_1_Http10OtherIgnored", 0, {{"Expect", "coffee"}}, Expectation::kNone},
    {"Rfc9110Sec5_6_1_EmptyListIsNone", 1, {{"Expect", ""}}, Expectation::kNone},
    {"Rfc9110Sec10_1_1_OtherIs417", 1, {{"Expect", "coffee"}}, Expectation::kUnsupported},
    {"Rfc9110Sec10_1_1_ContinueWithParameterIs417",
     1,
     {{"Expect", "100-continue;x=1"}},
     Expectation::kUnsupported},
    {"Rfc9110Sec10_1_1_ContinueAndOtherIs417",
     1,
     {{"Expect", "100-continue, coffee"}},
     Expectation::kUnsupported},
    {"Rfc9110Sec10_1_1_OtherOnSecondLineIs417",
     1,
     {{"Expect", "100-continue"}, {"Expect", "coffee"}},
     Expectation::kUnsupported},
    {"Rfc9110Sec10_1_1_Http2xxIs417", 1, {{"Expect", "200-ok"}}, Expectation::kUnsupported},
};

class Expect : public testing::TestWithParam<ExpectCase> {};

TEST_P(Expect, Decides) {
  const ExpectCase& c = GetParam();
  EXPECT_EQ(expectation(make_request(c.minor, c.headers)), c.expected);
}

INSTANTIATE_TEST_SUITE_P(BodyFraming, Expect, testing::ValuesIn(kExpectCases),
                         case_name<ExpectCase>);

}  // namespace
}  // namespace hybrid::http
