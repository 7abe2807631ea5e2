// Black-box: what hybridd serves for files and directories under its root.
#include <sys/socket.h>
#include <sys/stat.h>

#include <ctime>
#include <memory>
#include <regex>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "tests/blackbox/blackbox_support.h"
#include "tests/blackbox/process_probe.h"
#include "tests/support/server_process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_client.h"

namespace hybrid::test {
namespace {

constexpr std::string_view kIndex = "<!DOCTYPE html><title>root index</title>\n";
constexpr std::string_view kDocsIndex = "<!DOCTYPE html><title>docs index</title>\n";
constexpr std::string_view kCss = "body { color: #333; }\n";

class StaticFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_.write("index.html", kIndex);
    dir_.write("style.css", kCss);
    dir_.write("docs/index.html", kDocsIndex);
    dir_.write("listing/secret-file-name.txt", "not to be listed");
    dir_.write("empty.txt", "");
    server_ = std::make_unique<ServerProcess>(root_args(dir_.path()));
    ASSERT_TRUE(server_->running());
  }

  std::uint16_t port() const { return server_->port(); }

  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(StaticFilesTest, GetReturnsExactBodyAndStandardHeaders) {
  const auto response = get(port(), "/index.html");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->version, "HTTP/1.1");
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->reason, "OK");
  EXPECT_EQ(response->body, kIndex);
  EXPECT_EQ(response->header("Content-Length"), std::to_string(kIndex.size()));
  EXPECT_EQ(media_type(response->header("Content-Type")), "text/html");
  EXPECT_EQ(response->header("X-Content-Type-Options"), "nosniff");
  EXPECT_FALSE(response->header("Server").empty());
  // IMF-fixdate, RFC 9110 §5.6.7
  const std::regex imf_fixdate(
      R"((Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) )"
      R"(\d{4} \d\d:\d\d:\d\d GMT)");
  EXPECT_TRUE(std::regex_match(response->header("Date"), imf_fixdate))
      << "Date: " << response->header("Date");
  EXPECT_EQ(response->headers.count("content-length"), 1u);
  EXPECT_EQ(response->headers.count("content-type"), 1u);
}

TEST_F(StaticFilesTest, ContentTypeFollowsExtension) {
  const std::vector<std::pair<std::string, std::vector<std::string>>> cases = {
      {"page.html", {"text/html"}},
      {"site.css", {"text/css"}},
      {"app.js", {"text/javascript", "application/javascript"}},
      {"module.mjs", {"text/javascript", "application/javascript"}},
      {"image.png", {"image/png"}},
      {"icon.svg", {"image/svg+xml"}},
      {"code.wasm", {"application/wasm"}},
  };
  for (const auto& [name, accepted] : cases) {
    dir_.write(name, "content of " + name);
  }
  TestClient client(kLoopback, port());
  for (const auto& [name, accepted] : cases) {
    SCOPED_TRACE(name);
    const auto response = client.request(make_request("GET", "/" + name));
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->body, "content of " + name);
    const std::string type = media_type(response->header("Content-Type"));
    EXPECT_NE(std::find(accepted.begin(), accepted.end(), type), accepted.end())
        << "Content-Type: " << response->header("Content-Type");
  }
}

TEST_F(StaticFilesTest, HeadSendsTheSameHeadersAndNoBody) {
  TestClient client(kLoopback, port());
  const auto got = client.request(make_request("GET", "/style.css"));
  ASSERT_TRUE(got);
  const auto head = client.request(make_request("HEAD", "/style.css"), /*head_request=*/true);
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->header("Content-Length"), std::to_string(kCss.size()));
  auto without_date = [](std::multimap<std::string, std::string> headers) {
    headers.erase("date");
    return headers;
  };
  EXPECT_EQ(without_date(head->headers), without_date(got->headers));
  // Had the HEAD response carried body bytes, they would be parsed as the next status line.
  const auto next = client.request(make_request("GET", "/index.html"));
  ASSERT_TRUE(next) << "the connection is out of step after HEAD";
  EXPECT_EQ(next->status, 200);
  EXPECT_EQ(next->body, kIndex);
}

TEST_F(StaticFilesTest, HeadOfMissingFileHasNoBody) {
  TestClient client(kLoopback, port());
  const auto head = client.request(make_request("HEAD", "/missing.html"), /*head_request=*/true);
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 404);
  // Either the server keeps the connection and the next response parses, or it closes it.
  if (client.send(make_request("GET", "/index.html"))) {
    const auto next = client.read_response(false, std::chrono::seconds(5));
    if (next) {
      EXPECT_EQ(next->status, 200);
      EXPECT_EQ(next->body, kIndex);
    }
  }
}

TEST_F(StaticFilesTest, RootServesIndexHtml) {
  const auto response = get(port(), "/");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, kIndex);
  EXPECT_EQ(media_type(response->header("Content-Type")), "text/html");
}

TEST_F(StaticFilesTest, DirectoryWithSlashServesItsIndex) {
  const auto response = get(port(), "/docs/");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, kDocsIndex);
}

TEST_F(StaticFilesTest, DirectoryWithoutSlashRedirects) {
  const auto response = get(port(), "/docs");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 301);
  EXPECT_EQ(response->header("Location"), "/docs/");
}

TEST_F(StaticFilesTest, RedirectKeepsTheQuery) {
  const auto response = get(port(), "/docs?x=1");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 301);
  EXPECT_EQ(response->header("Location"), "/docs/?x=1");
}

TEST_F(StaticFilesTest, MissingFileIs404) {
  for (const char* target : {"/missing.html", "/docs/missing", "/no/such/dir/", "/index.html/x"}) {
    SCOPED_TRACE(target);
    const auto response = get(port(), target);
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 404);
  }
}

TEST_F(StaticFilesTest, DirectoryWithoutIndexIsAnErrorNotAListing) {
  for (const char* target : {"/listing/", "/listing"}) {
    SCOPED_TRACE(target);
    const auto response = get(port(), target);
    ASSERT_TRUE(response);
    if (response->status == 301) {
      EXPECT_EQ(response->header("Location"), "/listing/");
    } else {
      EXPECT_TRUE(response->status == 403 || response->status == 404) << response->status;
    }
    EXPECT_EQ(response->body.find("secret-file-name"), std::string::npos);
  }
}

TEST_F(StaticFilesTest, EmptyFileHasZeroContentLength) {
  const auto response = get(port(), "/empty.txt");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->header("Content-Length"), "0");
  EXPECT_EQ(response->body, "");
}

TEST_F(StaticFilesTest, EveryByteValueSurvives) {
  std::string all_bytes;
  for (int round = 0; round < 4; ++round) {
    for (int byte = 0; byte < 256; ++byte) all_bytes.push_back(static_cast<char>(byte));
  }
  dir_.write("bytes.bin", all_bytes);
  const auto response = get(port(), "/bytes.bin");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_TRUE(response->body == all_bytes);
}

TEST_F(StaticFilesTest, PathIsPercentDecodedExactlyOnce) {
  dir_.write("with space.txt", "spaced");
  dir_.write("%41.txt", "literal percent");
  auto response = get(port(), "/with%20space.txt");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "spaced");

  response = get(port(), "/%2541.txt");  // the file "%41.txt"
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "literal percent");

  response = get(port(), "/%41.txt");  // the file "A.txt", which does not exist
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 404);
}

TEST_F(StaticFilesTest, QueryDoesNotChangeTheFile) {
  const auto response = get(port(), "/index.html?v=2&x=%20");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, kIndex);
}

TEST_F(StaticFilesTest, AbsoluteFormTargetIsAccepted) {
  // RFC 9112 §3.2.2: a server MUST accept the absolute-form in requests.
  const auto response = fetch(port(), "GET http://test/index.html HTTP/1.1\r\nHost: test\r\n\r\n");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, kIndex);
}

TEST_F(StaticFilesTest, UnknownExtensionIsNeverServedAsActiveContent) {
  dir_.write("upload.xyzunknown",
             "<!DOCTYPE html><html><body><script>alert(1)</script></body></html>\n");
  const auto response = get(port(), "/upload.xyzunknown");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  const std::string type = media_type(response->header("Content-Type"));
  EXPECT_FALSE(type.empty());
  for (const char* active :
       {"text/html", "image/svg+xml", "application/xhtml+xml", "text/xml", "application/xml"}) {
    EXPECT_NE(type, active);
  }
  EXPECT_EQ(response->header("X-Content-Type-Options"), "nosniff");
}

TEST_F(StaticFilesTest, LargeFileIsByteExact) {
  constexpr std::size_t kSize = 20 * 1024 * 1024;
  const std::string content = random_bytes(kSize, 20);
  dir_.write("big.bin", content);

  TestClient client(kLoopback, port());
  ASSERT_TRUE(client.send(make_request("GET", "/big.bin")));
  const auto response = client.read_response(false, std::chrono::seconds(20));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->header("Content-Length"), std::to_string(kSize));
  ASSERT_EQ(response->body.size(), kSize);
  EXPECT_TRUE(response->body == content) << "20 MiB body differs from the file";

  const auto head = client.request(make_request("HEAD", "/big.bin"), /*head_request=*/true);
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->header("Content-Length"), std::to_string(kSize));
  const auto next = client.request(make_request("GET", "/style.css"));
  ASSERT_TRUE(next);
  EXPECT_EQ(next->body, kCss);
}

// Sends `requests` (the last one closing) on one connection and returns every byte the server
// sent until it closed, with each Date line blanked (the clock is the only expected difference).
std::string exchange_without_dates(std::uint16_t port, const std::string& requests) {
  TestClient client(kLoopback, port);
  if (!client.connected()) return "(no connection)";
  if (!client.send(requests)) return "(send failed)";
  const std::optional<std::string> received = client.read_until_closed();
  if (!received) return "(no close)";
  return std::regex_replace(*received, std::regex("\r\nDate: [^\r]*\r\n"), "\r\nDate: -\r\n");
}

TEST(CachedHeadsTest, ACachedFileGetsTheSameHeadsAsAnUncachedOne) {
  // The small-file cache renders a plain 200's header lines once and reuses them; this holds
  // those bytes to what the full head builder writes, for HTTP/1.1 keep-alive, HTTP/1.0
  // keep-alive and a closing request, and for a 304 and a range in between.
  TempDir dir;
  const auto path = dir.write("page.html", "<p>cached page</p>\n");
  const timespec old_enough[2] = {{std::time(nullptr) - 3600, 0}, {std::time(nullptr) - 3600, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), old_enough, 0), 0);  // else too new to cache

  ServerProcess uncached(root_args(dir.path(), {"--file-cache-mib", "0"}));
  ServerProcess cached(root_args(dir.path()));
  ASSERT_TRUE(uncached.running() && cached.running());
  const std::string first = get(uncached.port(), "/page.html")->header("ETag");
  ASSERT_FALSE(first.empty());
  const std::string requests =
      make_request("GET", "/page.html") + make_request("GET", "/page.html") +
      "GET /page.html HTTP/1.0\r\nConnection: keep-alive\r\n\r\n" +
      make_request("GET", "/page.html", "If-None-Match: " + first + "\r\n") +
      make_request("GET", "/page.html", "Range: bytes=1-3\r\n") +
      make_request("HEAD", "/page.html") +
      make_request("GET", "/page.html", "Connection: close\r\n");
  const std::string expected = exchange_without_dates(uncached.port(), requests);
  EXPECT_NE(expected.find("HTTP/1.1 304"), std::string::npos) << expected;
  EXPECT_NE(expected.find("Connection: keep-alive"), std::string::npos) << expected;
  EXPECT_NE(expected.find("Connection: close"), std::string::npos) << expected;
  EXPECT_EQ(exchange_without_dates(cached.port(), requests), expected);
  EXPECT_EQ(exchange_without_dates(cached.port(), requests), expected);  // all from the cache
}

}  // namespace
}  // namespace hybrid::test
