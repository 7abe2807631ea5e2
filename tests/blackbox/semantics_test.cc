// Black-box: HTTP semantics of static files (RFC 9110): validators and conditional requests,
// ranges and multipart/byteranges, precompressed representations, OPTIONS, dotfiles and custom
// error pages, over raw sockets against the real hybridd.
#include <fcntl.h>
#include <sys/stat.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "tests/blackbox/blackbox_support.h"
#include "tests/support/server_process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_client.h"

namespace hybrid::test {
namespace {

using std::chrono::seconds;
using namespace std::string_view_literals;

constexpr std::string_view kCacheControl = "max-age=60, public";
constexpr std::string_view kCanary = "canary: the response after the one under test\n";

// doc.txt's modification time and its IMF-fixdate (RFC 9110 §5.6.7).
constexpr std::time_t kMtime = 1700000000;
constexpr std::string_view kMtimeDate = "Tue, 14 Nov 2023 22:13:20 GMT";
constexpr std::string_view kDayBefore = "Mon, 13 Nov 2023 22:13:20 GMT";
constexpr std::string_view kDayAfter = "Wed, 15 Nov 2023 22:13:20 GMT";
constexpr std::string_view kFarFuture = "Fri, 01 Jan 2100 00:00:00 GMT";

// a.js and its precompressed siblings: the server never decodes them, so any distinct bytes do.
constexpr std::string_view kScript = "console.log('the identity representation');\n";
constexpr std::string_view kBrotli = "BR:\x8b\x02\x80hello-brotli-bytes";
constexpr std::string_view kGzip = "\x1f\x8b\x08\x00gzip-bytes, not brotli"sv;

constexpr std::size_t kDocSize = 1000;
constexpr std::size_t kBigSize = 3 << 20;  // far above the 32 KiB read-into-buffer limit

// 1000 printable bytes in which every 10-byte window differs, so a wrong offset cannot match.
std::string doc_text() {
  std::string text(kDocSize, ' ');
  for (std::size_t i = 0; i < kDocSize; ++i)
    text[i] = static_cast<char>('!' + (i * 7 + i / 94) % 94);
  return text;
}

void set_mtime(const std::filesystem::path& path, std::time_t seconds_since_epoch) {
  const timespec times[2] = {{seconds_since_epoch, 0}, {seconds_since_epoch, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), times, 0), 0) << std::strerror(errno);
}

bool is_strong_etag(std::string_view tag) {
  if (tag.size() < 2 || tag.front() != '"' || tag.back() != '"') return false;
  for (const char c : tag.substr(1, tag.size() - 2)) {
    const auto byte = static_cast<unsigned char>(c);  // etagc, RFC 9110 §8.8.3
    if (!(byte == 0x21 || (byte >= 0x23 && byte <= 0x7e) || byte >= 0x80)) return false;
  }
  return true;
}

// The parameter `name` of a media type ("multipart/byteranges; boundary=x"), unquoted.
std::string media_parameter(std::string_view content_type, std::string_view name) {
  const std::string key = std::string(name) + "=";
  std::size_t at = content_type.find(';');
  while (at != std::string_view::npos) {
    std::string_view rest = content_type.substr(at + 1);
    while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
    if (rest.starts_with(key)) {
      std::string_view value = rest.substr(key.size());
      value = value.substr(0, value.find(';'));
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
        value = value.substr(1, value.size() - 2);
      }
      return std::string(value);
    }
    at = content_type.find(';', at + 1);
  }
  return "";
}

struct Part {
  std::string content_type;
  std::string content_range;
  std::string data;
};

// Splits a multipart/byteranges body (RFC 9110 §14.6, RFC 2046 §5.1.1) as a client does: by the
// boundary announced in Content-Type. Fails the test and returns nullopt when the framing is off,
// including any byte after the close-delimiter's CRLF (the Content-Length would then be wrong).
std::optional<std::vector<Part>> split_multipart(const Response& response) {
  const std::string content_type = response.header("Content-Type");
  if (media_type(content_type) != "multipart/byteranges") {
    ADD_FAILURE() << "Content-Type: " << content_type;
    return std::nullopt;
  }
  const std::string boundary = media_parameter(content_type, "boundary");
  if (boundary.empty() || boundary.size() > 70) {
    ADD_FAILURE() << "bad boundary in " << content_type;
    return std::nullopt;
  }
  const std::string delimiter = "--" + boundary;
  const std::string_view body = response.body;
  std::size_t at = body.starts_with(delimiter) ? 0 : body.find("\r\n" + delimiter);
  if (at == std::string_view::npos) {
    ADD_FAILURE() << "no delimiter in the body";
    return std::nullopt;
  }
  at += at == 0 ? delimiter.size() : 2 + delimiter.size();
  std::vector<Part> parts;
  for (;;) {
    if (body.substr(at, 2) == "--") {
      if (body.substr(at + 2) != "\r\n") {
        ADD_FAILURE() << "bytes after the close-delimiter: "
                      << testing::PrintToString(body.substr(at));
        return std::nullopt;
      }
      return parts;
    }
    if (body.substr(at, 2) != "\r\n") {
      ADD_FAILURE() << "no CRLF after a delimiter at " << at;
      return std::nullopt;
    }
    at += 2;
    const std::size_t head_end = body.find("\r\n\r\n", at);
    if (head_end == std::string_view::npos) {
      ADD_FAILURE() << "unterminated part head at " << at;
      return std::nullopt;
    }
    Part part;
    std::string_view head = body.substr(at, head_end + 2 - at);
    while (!head.empty()) {
      const std::size_t line_end = head.find("\r\n");
      const std::string_view line = head.substr(0, line_end);
      head.remove_prefix(line_end + 2);
      const std::size_t colon = line.find(':');
      if (colon == std::string_view::npos) {
        ADD_FAILURE() << "bad part header " << testing::PrintToString(line);
        return std::nullopt;
      }
      std::string name(line.substr(0, colon));
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      std::string_view value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
      if (name == "content-type") part.content_type = value;
      if (name == "content-range") part.content_range = value;
    }
    const std::size_t data_start = head_end + 4;
    const std::size_t next = body.find("\r\n" + delimiter, data_start);
    if (next == std::string_view::npos) {
      ADD_FAILURE() << "part " << parts.size() << " has no closing delimiter";
      return std::nullopt;
    }
    part.data = body.substr(data_start, next - data_start);
    parts.push_back(std::move(part));
    at = next + 2 + delimiter.size();
  }
}

std::string content_range(std::size_t first, std::size_t last, std::size_t size) {
  return "bytes " + std::to_string(first) + "-" + std::to_string(last) + "/" + std::to_string(size);
}

class SemanticsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    doc_ = doc_text();
    big_ = random_bytes(kBigSize, 0x5eed);
    set_mtime(dir_.write("doc.txt", doc_), kMtime);
    set_mtime(dir_.write("epoch0.txt", "mtime 0"), 0);
    set_mtime(dir_.write("epoch1.txt", "mtime 1"), 1);
    set_mtime(dir_.write("epoch2.txt", "mtime 2"), 2);
    dir_.write("big.bin", big_);
    dir_.write("a.js", kScript);
    dir_.write("a.js.br", kBrotli);
    dir_.write("a.js.gz", kGzip);
    dir_.write("canary.txt", kCanary);
    dir_.write(".env", "SECRET=1\n");
    dir_.write("a/.git/config", "[core]\n");
    dir_.write(".well-known/x", "well known\n");
    server_ = std::make_unique<ServerProcess>(
        root_args(dir_.path(), {"--precompressed", "--cache-control", std::string(kCacheControl)}));
    ASSERT_TRUE(server_->running());
  }

  std::uint16_t port() const { return server_->port(); }

  // GET (or another method) of `target` with extra header lines, on a fresh connection.
  std::optional<Response> request(std::string_view target, std::string_view headers = "",
                                  std::string_view method = "GET") {
    return fetch(port(), make_request(method, target, headers), method == "HEAD");
  }

  // Sends `raw` and then a canary GET on the same connection, and returns the response to `raw`
  // once the canary's response has been read intact right after it: proof that the first
  // response's framing (its Content-Length, or no body at all for HEAD and 304) was exact.
  std::optional<Response> framed(std::string_view raw, bool head_request = false) {
    TestClient client(kLoopback, port());
    EXPECT_TRUE(client.send(std::string(raw) +
                            make_request("GET", "/canary.txt", "Connection: close\r\n")));
    std::optional<Response> first = client.read_response(head_request, seconds(5));
    const std::optional<Response> canary = client.read_response(false, seconds(5));
    EXPECT_TRUE(canary) << "the response before the canary was mis-framed";
    if (canary) {
      EXPECT_EQ(canary->status, 200);
      EXPECT_EQ(canary->body, kCanary);
    }
    return first;
  }

  std::string etag_of(std::string_view target, std::string_view headers = "") {
    const auto response = request(target, headers);
    EXPECT_TRUE(response);
    if (!response) return "";
    EXPECT_EQ(response->status, 200);
    return response->header("ETag");
  }

  // A 304 with the headers RFC 9110 §15.4.5 requires, no content, and `etag` as its ETag.
  void expect_not_modified(std::string_view raw, std::string_view etag, bool head = false) {
    const auto response = framed(raw, head);
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 304);
    EXPECT_EQ(response->header("ETag"), etag);
    EXPECT_EQ(response->header("Last-Modified"), kMtimeDate);
    EXPECT_EQ(response->header("Cache-Control"), kCacheControl);
  }

  // The whole file with 200 and no Content-Range: the Range header was ignored.
  void expect_whole_doc(const std::optional<Response>& response) {
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->body, doc_);
    EXPECT_FALSE(response->has_header("Content-Range"));
  }

  void expect_single_range(const std::optional<Response>& response, std::size_t first,
                           std::size_t last) {
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 206);
    EXPECT_EQ(response->header("Content-Range"), content_range(first, last, kDocSize));
    EXPECT_EQ(response->header("Content-Length"), std::to_string(last - first + 1));
    EXPECT_EQ(media_type(response->header("Content-Type")), "text/plain");
    EXPECT_EQ(response->body, doc_.substr(first, last - first + 1));
  }

  std::string range_request(std::string_view ranges, std::string_view more_headers = "") {
    return make_request("GET", "/doc.txt",
                        "Range: " + std::string(ranges) + "\r\n" + std::string(more_headers));
  }

  TempDir dir_;
  std::string doc_;
  std::string big_;
  std::unique_ptr<ServerProcess> server_;
};

// ---- Validators -------------------------------------------------------------------------------

TEST_F(SemanticsTest, OkCarriesStrongQuotedEtagAndLastModified_Rfc9110_8_8) {
  const auto response = request("/doc.txt");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_TRUE(is_strong_etag(response->header("ETag"))) << response->header("ETag");
  EXPECT_EQ(response->headers.count("etag"), 1u);
  EXPECT_EQ(response->header("Last-Modified"), kMtimeDate);
  EXPECT_EQ(response->header("Cache-Control"), kCacheControl);
  // The tag is stable between requests (a cache could never validate otherwise).
  EXPECT_EQ(etag_of("/doc.txt"), response->header("ETag"));
  EXPECT_NE(etag_of("/canary.txt"), response->header("ETag"));
}

TEST_F(SemanticsTest, LastModifiedIsOmittedForMtimeZeroAndOne_Rfc9110_8_8_2) {
  for (const char* target : {"/epoch0.txt", "/epoch1.txt"}) {
    SCOPED_TRACE(target);
    const auto response = request(target);
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 200);
    EXPECT_FALSE(response->has_header("Last-Modified")) << response->header("Last-Modified");
    EXPECT_TRUE(is_strong_etag(response->header("ETag")));
  }
  const auto control = request("/epoch2.txt");
  ASSERT_TRUE(control);
  EXPECT_EQ(control->header("Last-Modified"), "Thu, 01 Jan 1970 00:00:02 GMT");
}

// ---- If-None-Match / If-Modified-Since ---------------------------------------------------------

TEST_F(SemanticsTest, IfNoneMatchExactListStarAndWeakAre304_Rfc9110_13_1_2) {
  const std::string etag = etag_of("/doc.txt");
  ASSERT_FALSE(etag.empty());
  for (const std::string& value : {etag, "\"other\", " + etag, "\"a\",\"b\" , " + etag + " ,",
                                   std::string("*"), "W/" + etag}) {
    SCOPED_TRACE(value);
    expect_not_modified(make_request("GET", "/doc.txt", "If-None-Match: " + value + "\r\n"), etag);
  }
}

TEST_F(SemanticsTest, NotModifiedCarriesVaryAndNoContent_Rfc9110_15_4_5) {
  const std::string etag = etag_of("/a.js");
  const auto response = framed(make_request("GET", "/a.js", "If-None-Match: " + etag + "\r\n"));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 304);
  EXPECT_EQ(response->header("ETag"), etag);
  EXPECT_TRUE(response->has_header("Last-Modified"));
  EXPECT_EQ(response->header("Cache-Control"), kCacheControl);
  EXPECT_EQ(response->header("Vary"), "Accept-Encoding");
  EXPECT_FALSE(response->has_header("Content-Encoding"));
}

TEST_F(SemanticsTest, IfNoneMatchThatDoesNotMatchIs200) {
  for (const char* value : {"\"nope\"", "\"a\", \"b\"", "W/\"nope\""}) {
    SCOPED_TRACE(value);
    const auto response = request("/doc.txt", "If-None-Match: " + std::string(value) + "\r\n");
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->body, doc_);
  }
}

TEST_F(SemanticsTest, IfNoneMatchTakesPrecedenceOverIfModifiedSince_Rfc9110_13_2_2) {
  const auto response =
      request("/doc.txt",
              "If-None-Match: \"nope\"\r\nIf-Modified-Since: " + std::string(kFarFuture) + "\r\n");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, doc_);
  // Without If-None-Match the same date alone is a 304: the 200 above came from precedence.
  const auto alone = request("/doc.txt", "If-Modified-Since: " + std::string(kFarFuture) + "\r\n");
  ASSERT_TRUE(alone);
  EXPECT_EQ(alone->status, 304);
}

TEST_F(SemanticsTest, IfModifiedSinceNotOlderThanMtimeIs304_Rfc9110_13_1_3) {
  const std::string etag = etag_of("/doc.txt");
  for (const std::string_view date : {kMtimeDate, kDayAfter}) {
    SCOPED_TRACE(date);
    expect_not_modified(
        make_request("GET", "/doc.txt", "If-Modified-Since: " + std::string(date) + "\r\n"), etag);
  }
}

TEST_F(SemanticsTest, IfModifiedSinceInObsoleteDateFormatsIs304_Rfc9110_5_6_7) {
  // A recipient MUST accept all three HTTP-date formats.
  for (const char* date : {"Tuesday, 14-Nov-23 22:13:20 GMT", "Tue Nov 14 22:13:20 2023"}) {
    SCOPED_TRACE(date);
    const auto response = request("/doc.txt", "If-Modified-Since: " + std::string(date) + "\r\n");
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 304);
  }
}

TEST_F(SemanticsTest, IfModifiedSinceOlderThanMtimeIs200_Rfc9110_13_1_3) {
  const auto response =
      request("/doc.txt", "If-Modified-Since: " + std::string(kDayBefore) + "\r\n");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, doc_);
}

TEST_F(SemanticsTest, InvalidIfModifiedSinceIsIgnored_Rfc9110_13_1_3) {
  for (const char* date :
       {"yesterday", "Tue, 14 Nov 2023 22:13:20", "Tue, 32 Nov 2023 22:13:20 GMT",
        "Wed, 14 Nov 2023 22:13:20 GMT", "0", ""}) {
    SCOPED_TRACE(date);
    const auto response = request("/doc.txt", "If-Modified-Since: " + std::string(date) + "\r\n");
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->body, doc_);
  }
}

TEST_F(SemanticsTest, HeadWithMatchingIfNoneMatchIs304_Rfc9110_13_1_2) {
  const std::string etag = etag_of("/doc.txt");
  expect_not_modified(make_request("HEAD", "/doc.txt", "If-None-Match: " + etag + "\r\n"), etag,
                      /*head=*/true);
}

TEST_F(SemanticsTest, SeveralIfNoneMatchLinesAreOneList_Rfc9110_5_3) {
  const std::string etag = etag_of("/doc.txt");
  expect_not_modified(
      make_request("GET", "/doc.txt", "If-None-Match: \"x\"\r\nIf-None-Match: " + etag + "\r\n"),
      etag);
}

TEST_F(SemanticsTest, RepeatedIfModifiedSinceIsIgnored_Rfc9110_13_1_3) {
  const std::string line = "If-Modified-Since: " + std::string(kFarFuture) + "\r\n";
  const auto response = request("/doc.txt", line + line);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, doc_);
}

TEST_F(SemanticsTest, DateConditionsAreIgnoredWithoutLastModified_Rfc9110_13_1_3) {
  // epoch0.txt has no usable modification date, so neither date precondition applies.
  for (const std::string& header :
       {"If-Modified-Since: " + std::string(kFarFuture),
        std::string("If-Unmodified-Since: Thu, 01 Jan 1970 00:00:00 GMT")}) {
    SCOPED_TRACE(header);
    const auto response = request("/epoch0.txt", header + "\r\n");
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->body, "mtime 0");
  }
}

TEST_F(SemanticsTest, NotModifiedWinsOverRange_Rfc9110_13_2_2) {
  const std::string etag = etag_of("/doc.txt");
  expect_not_modified(range_request("bytes=0-9", "If-None-Match: " + etag + "\r\n"), etag);
}

// ---- If-Match / If-Unmodified-Since ------------------------------------------------------------

TEST_F(SemanticsTest, IfMatchThatDoesNotMatchIs412_Rfc9110_13_1_1) {
  const std::string etag = etag_of("/doc.txt");
  // Strong comparison: the weak form of the current tag does not match either.
  for (const std::string& value : {std::string("\"nope\""), "W/" + etag, std::string("nope")}) {
    SCOPED_TRACE(value);
    const auto response = framed(make_request("GET", "/doc.txt", "If-Match: " + value + "\r\n"));
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 412);
    EXPECT_NE(response->body, doc_);
  }
}

TEST_F(SemanticsTest, IfMatchStarOrCurrentTagIs200_Rfc9110_13_1_1) {
  const std::string etag = etag_of("/doc.txt");
  for (const std::string& value : {std::string("*"), etag, "\"x\", " + etag}) {
    SCOPED_TRACE(value);
    const auto response = request("/doc.txt", "If-Match: " + value + "\r\n");
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->body, doc_);
  }
}

TEST_F(SemanticsTest, IfUnmodifiedSinceEarlierThanMtimeIs412_Rfc9110_13_1_4) {
  const auto failed =
      request("/doc.txt", "If-Unmodified-Since: " + std::string(kDayBefore) + "\r\n");
  ASSERT_TRUE(failed);
  EXPECT_EQ(failed->status, 412);
  for (const std::string_view date : {kMtimeDate, kDayAfter}) {
    SCOPED_TRACE(date);
    const auto response = request("/doc.txt", "If-Unmodified-Since: " + std::string(date) + "\r\n");
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 200);
  }
}

// ---- Cache-Control -----------------------------------------------------------------------------

TEST_F(SemanticsTest, CacheControlIsSentOn200And206And304_Rfc9111_5_2) {
  const auto ok = request("/doc.txt");
  const auto partial = request("/doc.txt", "Range: bytes=0-9\r\n");
  const auto not_modified =
      request("/doc.txt", "If-Modified-Since: " + std::string(kDayAfter) + "\r\n");
  ASSERT_TRUE(ok && partial && not_modified);
  EXPECT_EQ(ok->status, 200);
  EXPECT_EQ(partial->status, 206);
  EXPECT_EQ(not_modified->status, 304);
  for (const Response* response : {&*ok, &*partial, &*not_modified}) {
    SCOPED_TRACE(response->status);
    EXPECT_EQ(response->header("Cache-Control"), kCacheControl);
    EXPECT_EQ(response->headers.count("cache-control"), 1u);
  }
}

TEST(SemanticsCacheControlTest, NoCacheControlWithoutTheFlag) {
  TempDir dir;
  dir.write("doc.txt", "x");
  ServerProcess server(root_args(dir.path()));
  ASSERT_TRUE(server.running());
  const auto response = get(server.port(), "/doc.txt");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_FALSE(response->has_header("Cache-Control"));
}

// ---- Ranges ------------------------------------------------------------------------------------

TEST_F(SemanticsTest, OkAdvertisesByteRanges_Rfc9110_14_3) {
  const auto response = request("/doc.txt");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->header("Accept-Ranges"), "bytes");
}

TEST_F(SemanticsTest, SingleRangesAre206WithExactContentRange_Rfc9110_14_4) {
  expect_single_range(framed(range_request("bytes=10-19")), 10, 19);
  expect_single_range(framed(range_request("bytes=0-0")), 0, 0);
  expect_single_range(framed(range_request("bytes=990-")), 990, 999);
  expect_single_range(framed(range_request("bytes=-7")), 993, 999);
  expect_single_range(framed(range_request("bytes=999-999")), 999, 999);
  expect_single_range(framed(range_request("BYTES=3-4")), 3, 4);  // the unit is case-insensitive
}

TEST_F(SemanticsTest, RangeEndIsClampedToTheSize_Rfc9110_14_1_1) {
  expect_single_range(framed(range_request("bytes=995-5000")), 995, 999);
  expect_single_range(framed(range_request("bytes=-5000")), 0, 999);
}

TEST_F(SemanticsTest, UnsatisfiableRangeIs416WithSize_Rfc9110_15_5_17) {
  for (const char* ranges :
       {"bytes=1000-", "bytes=5000-6000", "bytes=-0", "bytes=1000-,2000-3000"}) {
    SCOPED_TRACE(ranges);
    const auto response = framed(range_request(ranges));
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 416);
    EXPECT_EQ(response->header("Content-Range"), "bytes */1000");
  }
}

TEST_F(SemanticsTest, InvalidRangeIsIgnored_Rfc9110_14_2) {
  for (const char* ranges : {"bytes=abc", "bytes=5-2", "bytes=", "bytes=,", "items=0-5",
                             "bytes 0-5", "bytes=1-2-3", "bytes=0-5;x", "bytes=0 -5"}) {
    SCOPED_TRACE(ranges);
    expect_whole_doc(framed(range_request(ranges)));
  }
}

TEST_F(SemanticsTest, MultipleRangesAreMultipartByteranges_Rfc9110_14_6) {
  const auto response = framed(range_request("bytes=0-9, 20-29,-5"));
  ASSERT_TRUE(response);
  ASSERT_EQ(response->status, 206);
  EXPECT_FALSE(response->has_header("Content-Range")) << "multipart puts it in the parts";
  EXPECT_EQ(response->header("Content-Length"), std::to_string(response->body.size()));
  const auto parts = split_multipart(*response);
  ASSERT_TRUE(parts);
  ASSERT_EQ(parts->size(), 3u);
  const std::size_t expected[][2] = {{0, 9}, {20, 29}, {995, 999}};
  for (std::size_t i = 0; i < parts->size(); ++i) {
    SCOPED_TRACE(i);
    const auto [first, last] = expected[i];
    EXPECT_EQ((*parts)[i].content_range, content_range(first, last, kDocSize));
    EXPECT_EQ(media_type((*parts)[i].content_type), "text/plain");
    EXPECT_EQ((*parts)[i].data, doc_.substr(first, last - first + 1));
  }
}

TEST_F(SemanticsTest, SixteenRangesAreServedSeventeenAreIgnored_Rfc9110_14_2) {
  std::string ranges = "bytes=";
  for (int i = 0; i < 16; ++i)
    ranges += (i ? "," : "") + std::to_string(i * 10) + "-" + std::to_string(i * 10 + 3);
  const auto sixteen = framed(range_request(ranges));
  ASSERT_TRUE(sixteen);
  ASSERT_EQ(sixteen->status, 206);
  const auto parts = split_multipart(*sixteen);
  ASSERT_TRUE(parts);
  ASSERT_EQ(parts->size(), 16u);
  EXPECT_EQ((*parts)[15].data, doc_.substr(150, 4));

  expect_whole_doc(framed(range_request(ranges + ",500-503")));
}

TEST_F(SemanticsTest, OverlappingOrUnorderedRangesAreIgnored_Rfc9110_14_2) {
  // CVE-2011-3192 / CVE-2017-7529 defence: §14.2 lets a server ignore such sets.
  for (const char* ranges :
       {"bytes=0-9,5-15", "bytes=0-9,0-9", "bytes=0-,-10", "bytes=20-29,0-9"}) {
    SCOPED_TRACE(ranges);
    expect_whole_doc(framed(range_request(ranges)));
  }
}

TEST_F(SemanticsTest, TwentyDigitNumbersAreHandledAsDocumented_Rfc9110_14_1_3) {
  // range.h: a huge last-pos or suffix-length saturates, a first-pos beyond 64 bits ignores the
  // header, and a first-pos that fits but lies past the end is unsatisfiable.
  expect_single_range(framed(range_request("bytes=0-99999999999999999999")), 0, 999);
  expect_single_range(framed(range_request("bytes=-99999999999999999999")), 0, 999);
  expect_whole_doc(framed(range_request("bytes=99999999999999999999-")));
  expect_whole_doc(framed(range_request("bytes=99999999999999999999-99999999999999999999")));
  const auto past_end = framed(range_request("bytes=18446744073709551615-"));
  ASSERT_TRUE(past_end);
  EXPECT_EQ(past_end->status, 416);
  EXPECT_EQ(past_end->header("Content-Range"), "bytes */1000");
}

TEST_F(SemanticsTest, IfRangeWithCurrentStrongEtagIs206_Rfc9110_13_1_5) {
  const std::string etag = etag_of("/doc.txt");
  expect_single_range(framed(range_request("bytes=5-9", "If-Range: " + etag + "\r\n")), 5, 9);
}

TEST_F(SemanticsTest, IfRangeWithOtherOrWeakEtagIs200_Rfc9110_13_1_5) {
  const std::string etag = etag_of("/doc.txt");
  for (const std::string& value : {std::string("\"other\""), "W/" + etag, std::string("garbage")}) {
    SCOPED_TRACE(value);
    expect_whole_doc(framed(range_request("bytes=5-9", "If-Range: " + value + "\r\n")));
  }
}

TEST_F(SemanticsTest, IfRangeWithExactLastModifiedIs206_Rfc9110_13_1_5) {
  expect_single_range(
      framed(range_request("bytes=5-9", "If-Range: " + std::string(kMtimeDate) + "\r\n")), 5, 9);
  // Only an exact match: a later date does not validate the range.
  expect_whole_doc(
      framed(range_request("bytes=5-9", "If-Range: " + std::string(kDayAfter) + "\r\n")));
}

TEST_F(SemanticsTest, RangeOnHeadIs206HeadersWithoutBody_Rfc9110_9_3_2) {
  const auto response = framed(make_request("HEAD", "/doc.txt", "Range: bytes=100-199\r\n"),
                               /*head_request=*/true);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 206);
  EXPECT_EQ(response->header("Content-Range"), content_range(100, 199, kDocSize));
  EXPECT_EQ(response->header("Content-Length"), "100");
  EXPECT_TRUE(response->body.empty());
}

TEST_F(SemanticsTest, MultipartHeadAnnouncesTheGetLength_Rfc9110_9_3_2) {
  const auto head = framed(make_request("HEAD", "/doc.txt", "Range: bytes=0-9,20-29\r\n"),
                           /*head_request=*/true);
  const auto get = framed(range_request("bytes=0-9,20-29"));
  ASSERT_TRUE(head && get);
  EXPECT_EQ(head->status, 206);
  EXPECT_EQ(media_type(head->header("Content-Type")), "multipart/byteranges");
  EXPECT_EQ(head->header("Content-Length"), std::to_string(get->body.size()));
}

TEST_F(SemanticsTest, RangeOfLargeFileGoesOutExact) {
  // 2 MiB from the middle of 3 MiB: beyond the small-file limit, so sent with sendfile().
  const std::size_t first = 1'000'001;
  const std::size_t last = first + (2 << 20) - 1;
  const auto response = framed(
      make_request("GET", "/big.bin",
                   "Range: bytes=" + std::to_string(first) + "-" + std::to_string(last) + "\r\n"));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 206);
  EXPECT_EQ(response->header("Content-Range"), content_range(first, last, kBigSize));
  ASSERT_EQ(response->body.size(), last - first + 1);
  EXPECT_TRUE(response->body == big_.substr(first, last - first + 1)) << "range bytes differ";

  const auto whole = framed(make_request("GET", "/big.bin"));
  ASSERT_TRUE(whole);
  EXPECT_EQ(whole->status, 200);
  EXPECT_TRUE(whole->body == big_) << "whole-file bytes differ";
}

TEST_F(SemanticsTest, MultipleRangesOfLargeFileGoOutExact_Rfc9110_14_6) {
  const auto response =
      framed(make_request("GET", "/big.bin", "Range: bytes=0-99,65536-1114111,-70000\r\n"));
  ASSERT_TRUE(response);
  ASSERT_EQ(response->status, 206);
  const auto parts = split_multipart(*response);
  ASSERT_TRUE(parts);
  ASSERT_EQ(parts->size(), 3u);
  EXPECT_EQ((*parts)[0].content_range, content_range(0, 99, kBigSize));
  EXPECT_TRUE((*parts)[0].data == big_.substr(0, 100));
  EXPECT_EQ((*parts)[1].content_range, content_range(65536, 1114111, kBigSize));
  EXPECT_TRUE((*parts)[1].data == big_.substr(65536, 1048576));
  EXPECT_EQ((*parts)[2].content_range, content_range(kBigSize - 70000, kBigSize - 1, kBigSize));
  EXPECT_TRUE((*parts)[2].data == big_.substr(kBigSize - 70000));
}

// ---- Precompressed representations -------------------------------------------------------------

TEST_F(SemanticsTest, AcceptEncodingSelectsThePrecompressedSibling_Rfc9110_12_5_3) {
  struct Case {
    const char* accept_encoding;  // nullptr: no header
    std::string_view body;
    const char* content_encoding;  // "" : none
  };
  const Case cases[] = {
      {"br", kBrotli, "br"},
      {"gzip", kGzip, "gzip"},
      {"gzip, br", kBrotli, "br"},
      {"br;q=0, gzip", kGzip, "gzip"},
      {"br;q=0.5, gzip;q=0.9", kGzip, "gzip"},
      {"identity", kScript, ""},
      {"br;q=0, gzip;q=0", kScript, ""},
      {"compress, deflate", kScript, ""},
      {nullptr, kScript, ""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.accept_encoding ? c.accept_encoding : "(none)");
    const std::string headers =
        c.accept_encoding ? "Accept-Encoding: " + std::string(c.accept_encoding) + "\r\n" : "";
    const auto response = framed(make_request("GET", "/a.js", headers));
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->body, c.body);
    EXPECT_EQ(response->header("Content-Encoding"), c.content_encoding);
    EXPECT_EQ(media_type(response->header("Content-Type")), "text/javascript");
    EXPECT_EQ(response->header("Vary"), "Accept-Encoding");
  }
}

TEST_F(SemanticsTest, AcceptEncodingOnSeveralLinesIsOneList_Rfc9110_5_3) {
  // The first line alone refuses brotli and names nothing else (identity); the second adds gzip.
  const auto response =
      framed(make_request("GET", "/a.js", "Accept-Encoding: br;q=0\r\nAccept-Encoding: gzip\r\n"));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, kGzip);
  EXPECT_EQ(response->header("Content-Encoding"), "gzip");
}

TEST_F(SemanticsTest, EachEncodingHasItsOwnStrongEtag_Rfc9110_8_8_3) {
  const std::string identity = etag_of("/a.js");
  const std::string brotli = etag_of("/a.js", "Accept-Encoding: br\r\n");
  const std::string gzip = etag_of("/a.js", "Accept-Encoding: gzip\r\n");
  for (const std::string* tag : {&identity, &brotli, &gzip})
    EXPECT_TRUE(is_strong_etag(*tag)) << *tag;
  EXPECT_EQ(std::set<std::string>({identity, brotli, gzip}).size(), 3u)
      << identity << " " << brotli << " " << gzip;

  // A client holding the brotli bytes revalidates them, not the gzip ones.
  const auto same = framed(
      make_request("GET", "/a.js", "Accept-Encoding: br\r\nIf-None-Match: " + brotli + "\r\n"));
  ASSERT_TRUE(same);
  EXPECT_EQ(same->status, 304);
  EXPECT_EQ(same->header("ETag"), brotli);
  EXPECT_EQ(same->header("Vary"), "Accept-Encoding");
  const auto other = framed(
      make_request("GET", "/a.js", "Accept-Encoding: gzip\r\nIf-None-Match: " + brotli + "\r\n"));
  ASSERT_TRUE(other);
  EXPECT_EQ(other->status, 200);
  EXPECT_EQ(other->body, kGzip);
}

TEST_F(SemanticsTest, VaryIsOnEveryResponseOfAResourceWithVariants_Rfc9110_12_5_5) {
  const std::string etag = etag_of("/a.js", "Accept-Encoding: gzip\r\n");
  const auto ok = request("/a.js");
  const auto partial = request("/a.js", "Range: bytes=0-3\r\n");
  const auto not_modified =
      request("/a.js", "Accept-Encoding: gzip\r\nIf-None-Match: " + etag + "\r\n");
  ASSERT_TRUE(ok && partial && not_modified);
  EXPECT_EQ(ok->status, 200);
  EXPECT_EQ(partial->status, 206);
  EXPECT_EQ(not_modified->status, 304);
  for (const Response* response : {&*ok, &*partial, &*not_modified}) {
    SCOPED_TRACE(response->status);
    EXPECT_EQ(response->header("Vary"), "Accept-Encoding");
  }
  // A resource without variants does not vary.
  const auto plain = request("/doc.txt", "Accept-Encoding: br, gzip\r\n");
  ASSERT_TRUE(plain);
  EXPECT_FALSE(plain->has_header("Vary"));
  EXPECT_FALSE(plain->has_header("Content-Encoding"));
}

TEST_F(SemanticsTest, RangeAppliesToTheEncodedRepresentation_Rfc9110_14_2) {
  const auto response =
      framed(make_request("GET", "/a.js", "Accept-Encoding: br\r\nRange: bytes=2-9\r\n"));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 206);
  EXPECT_EQ(response->header("Content-Encoding"), "br");
  EXPECT_EQ(response->header("Content-Range"), content_range(2, 9, kBrotli.size()));
  EXPECT_EQ(response->body, kBrotli.substr(2, 8));
}

TEST(SemanticsPrecompressedTest, SiblingsAreIgnoredWithoutTheFlag) {
  TempDir dir;
  dir.write("a.js", kScript);
  dir.write("a.js.br", kBrotli);
  dir.write("a.js.gz", kGzip);
  ServerProcess server(root_args(dir.path()));
  ASSERT_TRUE(server.running());
  for (const char* coding : {"br", "gzip", "br, gzip"}) {
    SCOPED_TRACE(coding);
    const auto response =
        fetch(server.port(),
              make_request("GET", "/a.js", "Accept-Encoding: " + std::string(coding) + "\r\n"));
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->body, kScript);
    EXPECT_FALSE(response->has_header("Content-Encoding"));
    EXPECT_FALSE(response->has_header("Vary"));
  }
}

// ---- OPTIONS -----------------------------------------------------------------------------------

TEST_F(SemanticsTest, OptionsIs204WithAllow_Rfc9110_9_3_7) {
  for (const char* target : {"*", "/x", "/doc.txt"}) {
    SCOPED_TRACE(target);
    const auto response = framed(make_request("OPTIONS", target));
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 204);
    EXPECT_EQ(response->header("Allow"), "GET, HEAD, OPTIONS");
    // RFC 9110 §8.6: no Content-Length in a 204.
    EXPECT_FALSE(response->has_header("Content-Length"));
  }
}

// ---- Dotfiles ----------------------------------------------------------------------------------

TEST_F(SemanticsTest, DotfilesAreHiddenExceptWellKnown_Rfc8615) {
  for (const char* target : {"/.env", "/a/.git/config", "/%2eenv", "/a/%2Egit/config"}) {
    SCOPED_TRACE(target);
    const auto response = request(target);
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 404);
    EXPECT_EQ(response->body.find("SECRET"), std::string::npos);
    EXPECT_EQ(response->body.find("[core]"), std::string::npos);
  }
  const auto well_known = request("/.well-known/x");
  ASSERT_TRUE(well_known);
  EXPECT_EQ(well_known->status, 200);
  EXPECT_EQ(well_known->body, "well known\n");
}

TEST(SemanticsDotfilesTest, ServeDotfilesServesThem) {
  TempDir dir;
  dir.write(".env", "SECRET=1\n");
  dir.write("a/.git/config", "[core]\n");
  dir.write(".well-known/x", "well known\n");
  ServerProcess server(root_args(dir.path(), {"--serve-dotfiles"}));
  ASSERT_TRUE(server.running());
  const std::pair<const char*, const char*> cases[] = {
      {"/.env", "SECRET=1\n"}, {"/a/.git/config", "[core]\n"}, {"/.well-known/x", "well known\n"}};
  for (const auto& [target, body] : cases) {
    SCOPED_TRACE(target);
    const auto response = get(server.port(), target);
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->body, body);
  }
}

// ---- Error pages -------------------------------------------------------------------------------

TEST(SemanticsErrorPageTest, ErrorPageReplacesTheDefaultBody) {
  TempDir root;
  TempDir pages;
  const std::string page = "<!DOCTYPE html><title>gone fishing</title>\n\xc3\xa9\n";
  const auto page_path = pages.write("404.html", page);
  root.write("index.html", "index");
  ServerProcess server(root_args(root.path(), {"--error-page", "404=" + page_path.string()}));
  ASSERT_TRUE(server.running());

  TestClient client(kLoopback, server.port());
  const auto missing = client.request(make_request("GET", "/missing"));
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(missing->body, page);
  EXPECT_EQ(missing->header("Content-Length"), std::to_string(page.size()));
  // The connection stays usable, and other statuses keep their default page.
  const auto not_allowed = client.request(make_request("DELETE", "/index.html"));
  ASSERT_TRUE(not_allowed);
  EXPECT_EQ(not_allowed->status, 405);
  EXPECT_NE(not_allowed->body, page);
  EXPECT_FALSE(not_allowed->body.empty());
}

TEST(SemanticsErrorPageTest, BadErrorPageValueFailsAtStartup) {
  TempDir root;
  const auto page = root.write("page.html", "page");
  const std::string missing = (root.path() / "no-such-page.html").string();
  const std::pair<std::string, std::string> cases[] = {
      // value, a part of it the message must name
      {"abc", "abc"},
      {"404", "404"},
      {"404=", "404="},
      {"=" + page.string(), "=" + page.string()},
      {"4o4=" + page.string(), "4o4"},
      {"200=" + page.string(), "200"},
      {"404=" + missing, missing},
  };
  for (const auto& [value, named] : cases) {
    SCOPED_TRACE(value);
    const RunResult result = run_hybridd({"--root", root.path().string(), "--port", "0", "--bind",
                                          "127.0.0.1", "--error-page", value},
                                         seconds(5));
    EXPECT_NE(result.exit_code, 0) << result.output;
    EXPECT_NE(result.exit_code, -1) << "hybridd started anyway:\n" << result.output;
    EXPECT_LT(result.exit_code, 128) << "hybridd died by a signal:\n" << result.output;
    EXPECT_EQ(result.output.find("listening"), std::string::npos) << result.output;
    EXPECT_NE(result.output.find(named), std::string::npos) << result.output;
  }
}

}  // namespace
}  // namespace hybrid::test
