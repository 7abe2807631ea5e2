#include "hybrid/http/request_parser.h"

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hybrid::http {
namespace {

// Names each instantiated case after its `name` field (gtest's "info" would shadow a macro
// parameter, hence a function rather than a lambda).
template <typename Case>
std::string case_name(const testing::TestParamInfo<Case>& param_info) {
  return param_info.param.name;
}

using namespace std::string_literals;
using HeaderList = std::vector<std::pair<std::string_view, std::string_view>>;

constexpr std::size_t npos = std::string_view::npos;

// The bytes of `text` in a heap block of exactly their size, so AddressSanitizer reports any read
// past the end (a view into a longer std::string would hide it). Parsed views live as long as it.
class ExactBytes {
 public:
  explicit ExactBytes(std::string_view text) : bytes_(text.begin(), text.end()) {}
  std::string_view view() const { return {bytes_.data(), bytes_.size()}; }

 private:
  std::vector<char> bytes_;
};

// Parses an exact-size copy of `text`. For status and consumed only: the views left in `request`
// dangle once this returns.
ParseResult parse_exact(std::string_view text, Request& request, const ParseLimits& limits = {}) {
  const ExactBytes bytes(text);
  return parse_request(bytes.view(), request, limits);
}

// picohttpparser's guard-page trick: input placed so its last byte is the last readable byte
// before a PROT_NONE page; any read past the end is a SIGSEGV, with or without sanitizers.
class GuardedPage {
 public:
  GuardedPage() : page_size_(static_cast<std::size_t>(sysconf(_SC_PAGESIZE))) {
    void* base =
        mmap(nullptr, 2 * page_size_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (base == MAP_FAILED) return;
    base_ = static_cast<char*>(base);
    if (mprotect(base_ + page_size_, page_size_, PROT_NONE) != 0) {
      munmap(base_, 2 * page_size_);
      base_ = nullptr;
    }
  }
  ~GuardedPage() {
    if (base_ != nullptr) munmap(base_, 2 * page_size_);
  }
  GuardedPage(const GuardedPage&) = delete;
  GuardedPage& operator=(const GuardedPage&) = delete;

  bool ok() const { return base_ != nullptr; }

  // Copies `text` to the end of the readable page and returns a view of the copy.
  std::string_view place(std::string_view text) {
    char* end = base_ + page_size_;
    std::memcpy(end - text.size(), text.data(), text.size());
    return {end - text.size(), text.size()};
  }

 private:
  std::size_t page_size_;
  char* base_ = nullptr;
};

std::string repeat(std::string_view piece, std::size_t times) {
  std::string out;
  for (std::size_t i = 0; i < times; ++i) out += piece;
  return out;
}

// --- Valid requests -----------------------------------------------------------------------------

struct ValidCase {
  const char* name;
  std::string input;
  std::string_view method_token;
  Method method;
  std::string_view target;
  int version_minor;
  HeaderList headers;
};

void expect_fields(const ValidCase& c, const Request& request) {
  EXPECT_EQ(request.method_token, c.method_token);
  EXPECT_EQ(request.method, c.method);
  EXPECT_EQ(request.target, c.target);
  EXPECT_EQ(request.version_major, 1);
  EXPECT_EQ(request.version_minor, c.version_minor);
  ASSERT_EQ(request.header_count, c.headers.size());
  for (std::size_t i = 0; i < c.headers.size(); ++i) {
    EXPECT_EQ(request.headers()[i].name, c.headers[i].first) << "header " << i;
    EXPECT_EQ(request.headers()[i].value, c.headers[i].second) << "header " << i;
  }
}

const ValidCase kValidCases[] = {
    {"BrowserGet",
     "GET /index.html?lang=en HTTP/1.1\r\n"
     "Host: www.example.com\r\n"
     "Connection: keep-alive\r\n"
     "sec-ch-ua: \"Chromium\";v=\"124\", \"Not-A.Brand\";v=\"99\"\r\n"
     "Upgrade-Insecure-Requests: 1\r\n"
     "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko)\r\n"
     "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n"
     "Accept-Encoding: gzip, deflate, br\r\n"
     "Accept-Language: en-US,en;q=0.9\r\n"
     "If-None-Match: \"5d8c72a5-264\"\r\n"
     "\r\n",
     "GET",
     Method::kGet,
     "/index.html?lang=en",
     1,
     {{"Host", "www.example.com"},
      {"Connection", "keep-alive"},
      {"sec-ch-ua", "\"Chromium\";v=\"124\", \"Not-A.Brand\";v=\"99\""},
      {"Upgrade-Insecure-Requests", "1"},
      {"User-Agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko)"},
      {"Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"},
      {"Accept-Encoding", "gzip, deflate, br"},
      {"Accept-Language", "en-US,en;q=0.9"},
      {"If-None-Match", "\"5d8c72a5-264\""}}},
    {"Head",
     "HEAD /favicon.ico HTTP/1.1\r\nHost: a\r\n\r\n",
     "HEAD",
     Method::kHead,
     "/favicon.ico",
     1,
     {{"Host", "a"}}},
    {"Http10WithoutHeaders", "GET / HTTP/1.0\r\n\r\n", "GET", Method::kGet, "/", 0, {}},
    {"AbsoluteFormTarget",
     "GET http://example.com:8080/a/b?c=d HTTP/1.1\r\nHost: example.com:8080\r\n\r\n",
     "GET",
     Method::kGet,
     "http://example.com:8080/a/b?c=d",
     1,
     {{"Host", "example.com:8080"}}},
    {"AsteriskFormTarget",
     "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n",
     "OPTIONS",
     Method::kOptions,
     "*",
     1,
     {{"Host", "a"}}},
    {"OwsAroundValuesIsTrimmed",
     "GET / HTTP/1.1\r\nHost:example.com\r\nX-A: \t a \t b \t\r\nX-Empty:\r\nX-Blank:  \t \r\n\r\n",
     "GET",
     Method::kGet,
     "/",
     1,
     {{"Host", "example.com"}, {"X-A", "a \t b"}, {"X-Empty", ""}, {"X-Blank", ""}}},
    {"ObsTextInValue",
     "GET / HTTP/1.1\r\nX-Utf8: caf\xc3\xa9\r\nX-Latin1: \xff\xfe\x80\r\n\r\n",
     "GET",
     Method::kGet,
     "/",
     1,
     {{"X-Utf8", "caf\xc3\xa9"}, {"X-Latin1", "\xff\xfe\x80"}}},
    {"LeadingEmptyLineIsSkipped",
     "\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",
     "GET",
     Method::kGet,
     "/",
     1,
     {{"Host", "a"}}},
    {"MaxLeadingEmptyLinesAreSkipped",
     repeat("\r\n", kMaxLeadingEmptyLines) + "GET / HTTP/1.1\r\n\r\n",
     "GET",
     Method::kGet,
     "/",
     1,
     {}},
    {"UnknownMethodTokenIsSyntaxOnly",
     "BREW /pot HTTP/1.1\r\nHost: a\r\n\r\n",
     "BREW",
     Method::kUnknown,
     "/pot",
     1,
     {{"Host", "a"}}},
    {"MinorVersionLeftToRules", "GET / HTTP/1.2\r\n\r\n", "GET", Method::kGet, "/", 2, {}},
    {"EveryTcharInName",
     "GET / HTTP/1.1\r\n!#$%&'*+-.^_`|~09azAZ: v\r\n\r\n",
     "GET",
     Method::kGet,
     "/",
     1,
     {{"!#$%&'*+-.^_`|~09azAZ", "v"}}},
    {"ColonsAndQuotesInValue",
     "GET / HTTP/1.1\r\nCookie: a=b; c=\"d:e\"\r\nX-Time: 12:00:01\r\n\r\n",
     "GET",
     Method::kGet,
     "/",
     1,
     {{"Cookie", "a=b; c=\"d:e\""}, {"X-Time", "12:00:01"}}},
    {"EveryVisibleCharInTarget",
     "GET /a?b=%20&c={}|\\^[]\"<>`~!@#$&'()*+,;= HTTP/1.1\r\n\r\n",
     "GET",
     Method::kGet,
     "/a?b=%20&c={}|\\^[]\"<>`~!@#$&'()*+,;=",
     1,
     {}},
};

class ValidRequest : public testing::TestWithParam<ValidCase> {};

TEST_P(ValidRequest, ParsesEveryField) {
  const ValidCase& c = GetParam();
  const ExactBytes bytes(c.input);
  Request request;
  const ParseResult result = parse_request(bytes.view(), request);
  ASSERT_EQ(result.status, ParseStatus::kComplete);
  EXPECT_EQ(result.consumed, c.input.size());
  expect_fields(c, request);
}

// Beast's idea for a stateless parser: the message split at every byte. The first part alone is
// never an error, and parsing the whole afterwards (same Request object) gives the same fields.
TEST_P(ValidRequest, SplitAtEveryByteIsIncompleteThenIdentical) {
  const ValidCase& c = GetParam();
  for (std::size_t split = 0; split < c.input.size(); ++split) {
    SCOPED_TRACE("split at " + std::to_string(split));
    Request request;
    ASSERT_EQ(parse_exact(std::string_view(c.input).substr(0, split), request).status,
              ParseStatus::kIncomplete);
    const ExactBytes bytes(c.input);
    const ParseResult whole = parse_request(bytes.view(), request);
    ASSERT_EQ(whole.status, ParseStatus::kComplete);
    EXPECT_EQ(whole.consumed, c.input.size());
    expect_fields(c, request);
  }
}

TEST_P(ValidRequest, EndingAtGuardPageNeverReadsPastTheEnd) {
  const ValidCase& c = GetParam();
  GuardedPage page;
  ASSERT_TRUE(page.ok());
  for (std::size_t length = 0; length <= c.input.size(); ++length) {
    SCOPED_TRACE("length " + std::to_string(length));
    Request request;
    const std::string_view placed = page.place(std::string_view(c.input).substr(0, length));
    const ParseResult result = parse_request(placed, request);
    EXPECT_EQ(result.status,
              length == c.input.size() ? ParseStatus::kComplete : ParseStatus::kIncomplete);
    const std::size_t end = find_head_end(placed, 0);
    EXPECT_EQ(end, length == c.input.size() ? c.input.size() : npos);
  }
}

TEST_P(ValidRequest, BytesAfterTheHeadAreNotConsumed) {
  const ValidCase& c = GetParam();
  const std::string pipelined = c.input + "GET /next HTTP/1.1\r\nHost: a\r\n\r\n";
  const ExactBytes bytes(pipelined);
  Request request;
  const ParseResult result = parse_request(bytes.view(), request);
  ASSERT_EQ(result.status, ParseStatus::kComplete);
  EXPECT_EQ(result.consumed, c.input.size());
  expect_fields(c, request);
}

TEST_P(ValidRequest, FindHeadEndIncrementalEqualsOneShot) {
  const std::string& input = GetParam().input;
  // One byte per read: the slowloris case.
  std::size_t scanned = 0;
  for (std::size_t length = 1; length <= input.size(); ++length) {
    const std::size_t end = find_head_end(std::string_view(input).substr(0, length), scanned);
    if (length < input.size()) {
      ASSERT_EQ(end, npos) << "length " << length;
      scanned = length;
    } else {
      EXPECT_EQ(end, input.size());
    }
  }
  // Two reads split anywhere.
  for (std::size_t split = 0; split < input.size(); ++split) {
    const std::size_t first = find_head_end(std::string_view(input).substr(0, split), 0);
    ASSERT_EQ(first, npos) << "split " << split;
    EXPECT_EQ(find_head_end(input, split), input.size()) << "split " << split;
  }
}

INSTANTIATE_TEST_SUITE_P(Parser, ValidRequest, testing::ValuesIn(kValidCases),
                         case_name<ValidCase>);

// --- Malformed requests -------------------------------------------------------------------------

struct ErrorCase {
  const char* name;
  std::string input;
  Status expected;
};

const ErrorCase kErrorCases[] = {
    {"EmptyMethod", " / HTTP/1.1\r\n\r\n", Status::kBadRequest},
    {"NonTokenInMethod", "GE(T / HTTP/1.1\r\n\r\n", Status::kBadRequest},
    {"TabAsSeparator", "GET\t/ HTTP/1.1\r\n\r\n", Status::kBadRequest},
    {"DoubleSpaceBeforeTarget", "GET  / HTTP/1.1\r\n\r\n", Status::kBadRequest},
    {"DoubleSpaceBeforeVersion", "GET /  HTTP/1.1\r\n\r\n", Status::kBadRequest},
    {"MissingVersion", "GET /\r\n\r\n", Status::kBadRequest},
    {"MissingTarget", "GET HTTP/1.1\r\n\r\n", Status::kBadRequest},
    {"SpaceInTarget", "GET /a b HTTP/1.1\r\n\r\n", Status::kBadRequest},
    {"ObsTextInTarget", "GET /caf\xc3\xa9 HTTP/1.1\r\n\r\n", Status::kBadRequest},
    {"NulInTarget", "GET /a\0b HTTP/1.1\r\n\r\n"s, Status::kBadRequest},
    {"DelInTarget", "GET /a\x7f HTTP/1.1\r\n\r\n", Status::kBadRequest},
    {"LowercaseVersion", "GET / http/1.1\r\n\r\n", Status::kBadRequest},
    {"TwoDigitMinor", "GET / HTTP/1.10\r\n\r\n", Status::kBadRequest},
    {"VersionWithoutMinor", "GET / HTTP/1\r\n\r\n", Status::kBadRequest},
    {"SpaceAfterVersion", "GET / HTTP/1.1 \r\n\r\n", Status::kBadRequest},
    {"BareLfLineEnds", "GET / HTTP/1.1\nHost: a\n\n", Status::kBadRequest},
    {"BareLfAfterHeader", "GET / HTTP/1.1\r\nHost: a\n\r\n", Status::kBadRequest},
    {"BareLfEndsHead", "GET / HTTP/1.1\r\nHost: a\r\n\n", Status::kBadRequest},
    {"BareCrAfterRequestLine", "GET / HTTP/1.1\rHost: a\r\n\r\n", Status::kBadRequest},
    {"BareCrInValue", "GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n", Status::kBadRequest},
    {"CrWithoutLfEndsHead", "GET / HTTP/1.1\r\nHost: a\r\n\rX", Status::kBadRequest},
    {"ObsFold", "GET / HTTP/1.1\r\nX-A: a\r\n b\r\n\r\n", Status::kBadRequest},
    {"TabFold", "GET / HTTP/1.1\r\nX-A: a\r\n\tb\r\n\r\n", Status::kBadRequest},
    {"WhitespaceBeforeFirstHeader", "GET / HTTP/1.1\r\n Host: a\r\n\r\n", Status::kBadRequest},
    {"SpaceBeforeColon", "GET / HTTP/1.1\r\nHost : a\r\n\r\n", Status::kBadRequest},
    {"EmptyFieldName", "GET / HTTP/1.1\r\n: a\r\n\r\n", Status::kBadRequest},
    {"NoColon", "GET / HTTP/1.1\r\nHost a\r\n\r\n", Status::kBadRequest},
    {"NameOnly", "GET / HTTP/1.1\r\nHost\r\n\r\n", Status::kBadRequest},
    {"NonTokenInName", "GET / HTTP/1.1\r\nX(a): b\r\n\r\n", Status::kBadRequest},
    {"NulInValue", "GET / HTTP/1.1\r\nX: a\0b\r\n\r\n"s, Status::kBadRequest},
    {"DelInValue", "GET / HTTP/1.1\r\nX: a\x7f\r\n\r\n", Status::kBadRequest},
    {"ControlInValue", "GET / HTTP/1.1\r\nX: a\x01\r\n\r\n", Status::kBadRequest},
    {"TooManyLeadingEmptyLines",
     repeat("\r\n", kMaxLeadingEmptyLines + 1) + "GET / HTTP/1.1\r\n\r\n", Status::kBadRequest},
    {"LeadingBareLf", "\nGET / HTTP/1.1\r\n\r\n", Status::kBadRequest},
    {"LeadingBareCr", "\rGET / HTTP/1.1\r\n\r\n", Status::kBadRequest},
    {"Http20", "GET / HTTP/2.0\r\nHost: a\r\n\r\n", Status::kHttpVersionNotSupported},
    {"Http30", "GET / HTTP/3.0\r\n\r\n", Status::kHttpVersionNotSupported},
    {"Http09", "GET / HTTP/0.9\r\n\r\n", Status::kHttpVersionNotSupported},
    {"Http2Preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", Status::kHttpVersionNotSupported},
};

class MalformedRequest : public testing::TestWithParam<ErrorCase> {};

TEST_P(MalformedRequest, IsRejectedWithItsStatus) {
  const ErrorCase& c = GetParam();
  Request request;
  const ParseResult result = parse_exact(c.input, request);
  ASSERT_EQ(result.status, ParseStatus::kError);
  EXPECT_EQ(result.error, c.expected);
}

TEST_P(MalformedRequest, IsRejectedAtGuardPage) {
  const ErrorCase& c = GetParam();
  GuardedPage page;
  ASSERT_TRUE(page.ok());
  Request request;
  const std::string_view placed = page.place(c.input);
  EXPECT_EQ(parse_request(placed, request).status, ParseStatus::kError);
  find_head_end(placed, 0);  // must not fault either
}

// When find_head_end() reports an end, parse_request() agrees or rejects (the header's contract).
TEST_P(MalformedRequest, FindHeadEndNeverDisagreesWithParser) {
  const ErrorCase& c = GetParam();
  Request request;
  const ParseResult result = parse_exact(c.input, request);
  const std::size_t end = find_head_end(c.input, 0);
  if (result.status == ParseStatus::kComplete) {
    EXPECT_EQ(end, result.consumed);
  }
  if (end == npos) {
    EXPECT_NE(result.status, ParseStatus::kComplete);
  }
}

INSTANTIATE_TEST_SUITE_P(Parser, MalformedRequest, testing::ValuesIn(kErrorCases),
                         case_name<ErrorCase>);

// --- A bad byte injected at every position ------------------------------------------------------

struct Injection {
  const char* name;
  char byte;
  bool allowed_in_value;  // whether the byte is legal inside (or around) a field value
  // Bytes after the injected one that may be needed before the error shows: a CR waits for the
  // byte that is not its LF; a space in the request line only fails once the line cannot parse.
  std::size_t detect_within;
};

constexpr std::string_view kBase =
    "GET /index.html HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\n\r\n";
constexpr std::size_t kLineEndSentinel = 1000;  // "by the end of the line"

const Injection kInjections[] = {
    {"Nul", '\0', false, 0},      {"Ctl", '\x01', false, 0},
    {"Del", '\x7f', false, 0},    {"Lf", '\n', false, 0},
    {"Cr", '\r', false, 1},       {"Tab", '\t', true, 0},
    {"ObsText", '\x80', true, 0}, {"Space", ' ', true, kLineEndSentinel},
};

// Whether `pos` (an insertion point in kBase) lies in a field value: after a header's colon and
// no later than its CR. OWS there is trimmed, and obs-text is allowed.
bool in_field_value(std::size_t pos) {
  const std::size_t first_header = kBase.find("\r\n") + 2;
  std::size_t line = first_header;
  while (line < kBase.size()) {
    const std::size_t cr = kBase.find('\r', line);
    if (cr == line) return false;  // the final empty line
    const std::size_t colon = kBase.find(':', line);
    if (pos > colon && pos <= cr) return true;
    line = cr + 2;
  }
  return false;
}

class InjectedByte : public testing::TestWithParam<Injection> {};

TEST_P(InjectedByte, IsRejectedWhereItAppears) {
  const Injection& injection = GetParam();
  const std::size_t head_end = kBase.size() - 2;  // up to and including the last header's CRLF
  for (std::size_t pos = 0; pos <= head_end; ++pos) {
    SCOPED_TRACE("inserted at " + std::to_string(pos));
    std::string input(kBase);
    input.insert(pos, 1, injection.byte);
    Request request;
    const ParseResult whole = parse_exact(input, request);
    if (injection.allowed_in_value && in_field_value(pos)) {
      EXPECT_EQ(whole.status, ParseStatus::kComplete);
      continue;
    }
    ASSERT_EQ(whole.status, ParseStatus::kError);
    EXPECT_EQ(whole.error, Status::kBadRequest);
    // Inserted into a run of equal bytes, the extra one is the last of the run.
    std::size_t extra = pos;
    while (extra < kBase.size() && kBase[extra] == injection.byte) ++extra;
    // Everything before the byte is a valid prefix; the error is known soon after it arrives.
    EXPECT_EQ(parse_exact(std::string_view(input).substr(0, extra), request).status,
              ParseStatus::kIncomplete);
    std::size_t known_by = extra + 1 + injection.detect_within;
    if (injection.detect_within == kLineEndSentinel) known_by = input.find('\r', extra + 1) + 1;
    known_by = std::min(known_by, input.size());
    EXPECT_EQ(parse_exact(std::string_view(input).substr(0, known_by), request).status,
              ParseStatus::kError)
        << "not detected within " << (known_by - extra) << " bytes";
  }
}

TEST_P(InjectedByte, ReplacingAByteIsRejectedOutsideValues) {
  const Injection& injection = GetParam();
  const std::size_t head_end = kBase.size() - 2;
  for (std::size_t pos = 0; pos < head_end; ++pos) {
    if (kBase[pos] == injection.byte) continue;
    SCOPED_TRACE("replaced at " + std::to_string(pos));
    std::string input(kBase);
    input[pos] = injection.byte;
    Request request;
    const ParseResult whole = parse_exact(input, request);
    // A replaced byte sits in a value when inserting it there would: pos is after the colon and
    // before the CR.
    if (injection.allowed_in_value && in_field_value(pos) && kBase[pos] != '\r') {
      EXPECT_EQ(whole.status, ParseStatus::kComplete);
    } else {
      EXPECT_EQ(whole.status, ParseStatus::kError);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Parser, InjectedByte, testing::ValuesIn(kInjections),
                         case_name<Injection>);

// Values are validated eight bytes at a time; every byte offset of a long value must still catch
// a bad byte and pass a good one, whichever word and lane it lands in.
TEST(FieldValue, EveryByteOfALongValueIsChecked) {
  const std::string value(40, 'v');
  for (std::size_t offset = 0; offset < value.size(); ++offset) {
    for (const char bad : {'\0', '\x01', '\x08', '\x0b', '\x1f', '\x7f', '\n'}) {
      std::string input = "GET / HTTP/1.1\r\nX: " + value + "\r\n\r\n";
      input[19 + offset] = bad;
      Request request;
      EXPECT_EQ(parse_exact(input, request).status, ParseStatus::kError)
          << "byte " << int{bad} << " at offset " << offset;
    }
    for (const char good : {'\t', ' ', '!', '~', '\x80', '\xff'}) {
      std::string input = "GET / HTTP/1.1\r\nX: " + value + "\r\n\r\n";
      input[19 + offset] = good;
      Request request;
      EXPECT_EQ(parse_exact(input, request).status, ParseStatus::kComplete)
          << "byte " << int{good} << " at offset " << offset;
    }
  }
}

// --- Early rejection of partial heads -----------------------------------------------------------

TEST(ParseRequest, EmptyBufferIsIncomplete) {
  Request request;
  EXPECT_EQ(parse_exact("", request).status, ParseStatus::kIncomplete);
}

TEST(ParseRequest, GarbageIsRejectedBeforeTheLineEnds) {
  Request request;
  EXPECT_EQ(parse_exact("GET\x01", request).status, ParseStatus::kError);
  EXPECT_EQ(parse_exact("\x16\x03\x01", request).status, ParseStatus::kError);  // TLS hello
  EXPECT_EQ(parse_exact("GET / HTTP/1.1\r\nHost: a\x01", request).status, ParseStatus::kError);
  EXPECT_EQ(parse_exact("GET / HTTP/1.1\r\nHo st", request).status, ParseStatus::kError);
}

TEST(ParseRequest, PartialValidHeaderLineIsIncomplete) {
  Request request;
  EXPECT_EQ(parse_exact("GET / HTTP/1.1\r\nHost: a\r\nX", request).status,
            ParseStatus::kIncomplete);
}

TEST(ParseRequest, Rfc9112Sec2_2_LoneCrAfterLeadingEmptyLineIsIncomplete) {
  Request request;
  EXPECT_EQ(parse_exact("\r\n\r", request).status, ParseStatus::kIncomplete);
}

TEST(ParseRequest, Rfc9112Sec2_2_LeadingEmptyLinesCountInConsumed) {
  Request request;
  const ParseResult result = parse_exact("\r\n\r\nGET / HTTP/1.1\r\n\r\nrest", request);
  ASSERT_EQ(result.status, ParseStatus::kComplete);
  EXPECT_EQ(result.consumed, 22u);
}

TEST(ParseRequest, Rfc9112Sec2_3_UnsupportedMajorVersionWaitsForTheLineEnd) {
  Request request;
  EXPECT_EQ(parse_exact("GET / HTTP/2.0", request).status, ParseStatus::kIncomplete);
  const ParseResult result = parse_exact("GET / HTTP/2.0\r\n", request);
  ASSERT_EQ(result.status, ParseStatus::kError);
  EXPECT_EQ(result.error, Status::kHttpVersionNotSupported);
}

// --- Limits -------------------------------------------------------------------------------------

constexpr ParseLimits kSmallLimits{.max_request_line = 32, .max_head_bytes = 128};

// A request line of exactly `length` bytes (without CRLF).
std::string request_line_of(std::size_t length) {
  const std::string_view fixed = "GET / HTTP/1.1";
  return "GET /" + std::string(length - fixed.size(), 'a') + " HTTP/1.1";
}

// A complete head of exactly `length` bytes (at least 23).
std::string head_of(std::size_t length) {
  return "GET / HTTP/1.1\r\nX: " + std::string(length - 23, 'v') + "\r\n\r\n";
}

ParseResult parse_small(std::string_view text) {
  Request request;
  return parse_exact(text, request, kSmallLimits);
}

TEST(ParseLimits, RequestLineOfExactlyTheLimitIsAccepted) {
  EXPECT_EQ(parse_small(request_line_of(32) + "\r\n\r\n").status, ParseStatus::kComplete);
}

TEST(ParseLimits, Rfc9112Sec3_RequestLineOverTheLimitIs414) {
  const ParseResult result = parse_small(request_line_of(33) + "\r\n\r\n");
  ASSERT_EQ(result.status, ParseStatus::kError);
  EXPECT_EQ(result.error, Status::kUriTooLong);
}

TEST(ParseLimits, Rfc9112Sec3_UnfinishedRequestLineOverTheLimitIs414) {
  EXPECT_EQ(parse_small(request_line_of(32)).status, ParseStatus::kIncomplete);
  EXPECT_EQ(parse_small(request_line_of(32) + "\r").status, ParseStatus::kIncomplete);
  const ParseResult result = parse_small(request_line_of(33));
  ASSERT_EQ(result.status, ParseStatus::kError);
  EXPECT_EQ(result.error, Status::kUriTooLong);
  // No more than limit + 1 bytes are looked at, so a longer tail cannot change the answer.
  EXPECT_EQ(parse_small(request_line_of(33) + std::string("\x01\n")).error, Status::kUriTooLong);
}

TEST(ParseLimits, DefaultLimitAnswers414ForAnEightKilobyteTarget) {
  Request request;
  const std::string line = request_line_of(ParseLimits{}.max_request_line + 1);
  const ParseResult result = parse_exact(line + "\r\nHost: a\r\n\r\n", request);
  ASSERT_EQ(result.status, ParseStatus::kError);
  EXPECT_EQ(result.error, Status::kUriTooLong);
}

TEST(ParseLimits, HeadOfExactlyTheLimitIsAccepted) {
  const ParseResult result = parse_small(head_of(128));
  ASSERT_EQ(result.status, ParseStatus::kComplete);
  EXPECT_EQ(result.consumed, 128u);
}

TEST(ParseLimits, Rfc6585Sec5_HeadOverTheLimitIs431) {
  const ParseResult result = parse_small(head_of(129));
  ASSERT_EQ(result.status, ParseStatus::kError);
  EXPECT_EQ(result.error, Status::kRequestHeaderFieldsTooLarge);
}

TEST(ParseLimits, Rfc6585Sec5_UnfinishedHeadOverTheLimitIs431) {
  const std::string head = head_of(200);
  EXPECT_EQ(parse_small(head.substr(0, 128)).status, ParseStatus::kIncomplete);
  const ParseResult result = parse_small(head.substr(0, 129));
  ASSERT_EQ(result.status, ParseStatus::kError);
  EXPECT_EQ(result.error, Status::kRequestHeaderFieldsTooLarge);
}

TEST(ParseLimits, BytesAfterTheHeadDoNotCountTowardsTheLimit) {
  const std::string input = head_of(40) + std::string(500, 'b');
  const ParseResult result = parse_small(input);
  ASSERT_EQ(result.status, ParseStatus::kComplete);
  EXPECT_EQ(result.consumed, 40u);
}

std::string request_with_headers(std::size_t count) {
  std::string head = "GET / HTTP/1.1\r\n";
  for (std::size_t i = 0; i < count; ++i) head += "X-" + std::to_string(i) + ": v\r\n";
  return head;
}

TEST(ParseLimits, MaxHeadersAreAccepted) {
  const ExactBytes bytes(request_with_headers(kMaxHeaders) + "\r\n");
  Request request;
  const ParseResult result = parse_request(bytes.view(), request);
  ASSERT_EQ(result.status, ParseStatus::kComplete);
  EXPECT_EQ(request.header_count, kMaxHeaders);
  EXPECT_EQ(request.headers().back().name, "X-" + std::to_string(kMaxHeaders - 1));
}

TEST(ParseLimits, Rfc6585Sec5_OneHeaderMoreIs431AsSoonAsItStarts) {
  Request request;
  const std::string head = request_with_headers(kMaxHeaders + 1) + "\r\n";
  ParseResult result = parse_exact(head, request);
  ASSERT_EQ(result.status, ParseStatus::kError);
  EXPECT_EQ(result.error, Status::kRequestHeaderFieldsTooLarge);
  result = parse_exact(request_with_headers(kMaxHeaders) + "X", request);
  ASSERT_EQ(result.status, ParseStatus::kError);
  EXPECT_EQ(result.error, Status::kRequestHeaderFieldsTooLarge);
}

// --- find_head_end ------------------------------------------------------------------------------

struct HeadEndCase {
  const char* name;
  std::string_view buffer;
  std::size_t expected;
};

const HeadEndCase kHeadEndCases[] = {
    {"Empty", "", npos},
    {"NoEnd", "GET / HTTP/1.1\r\nHost: a\r\n", npos},
    {"EndAtBufferEnd", "GET / HTTP/1.1\r\n\r\n", 18},
    {"FirstEndWins", "GET / HTTP/1.1\r\n\r\nGET / HTTP/1.1\r\n\r\n", 18},
    {"BareLfIsNoEnd", "GET / HTTP/1.1\n\n", npos},
    {"LeadingEmptyLinesAreNoEnd", "\r\n\r\n", npos},
    {"EndAfterLeadingEmptyLines", "\r\n\r\nGET / HTTP/1.1\r\n\r\n", 22},
    {"EmptyLinesBeyondTheSkippedOnesEnd", "\r\n\r\n\r\n\r\n\r\n\r\n", 12},
};

class FindHeadEnd : public testing::TestWithParam<HeadEndCase> {};

TEST_P(FindHeadEnd, OneShot) {
  EXPECT_EQ(find_head_end(GetParam().buffer, 0), GetParam().expected);
}

TEST_P(FindHeadEnd, EveryTwoReadSplitEqualsOneShot) {
  const HeadEndCase& c = GetParam();
  for (std::size_t split = 0; split <= c.buffer.size(); ++split) {
    const std::size_t first = find_head_end(c.buffer.substr(0, split), 0);
    const std::size_t result = first != npos ? first : find_head_end(c.buffer, split);
    EXPECT_EQ(result, c.expected) << "split " << split;
  }
}

INSTANTIATE_TEST_SUITE_P(Parser, FindHeadEnd, testing::ValuesIn(kHeadEndCases),
                         case_name<HeadEndCase>);

TEST(FindHeadEndTest, ScannedPastTheBufferIsHarmless) {
  EXPECT_EQ(find_head_end("GET / HTTP/1.1\r\n", 100), npos);
}

}  // namespace
}  // namespace hybrid::http
