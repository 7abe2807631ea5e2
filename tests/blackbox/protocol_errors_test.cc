// Black-box: malformed or unsupported requests get the right status, and a connection the server
// can no longer trust is closed.
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/blackbox/blackbox_support.h"
#include "tests/support/server_process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_client.h"

namespace hybrid::test {
namespace {

constexpr std::string_view kIndex = "<!DOCTYPE html><title>index</title>\n";

class ProtocolErrorsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_.write("index.html", kIndex);
    server_ = std::make_unique<ServerProcess>(root_args(dir_.path()));
    ASSERT_TRUE(server_->running());
  }

  std::uint16_t port() const { return server_->port(); }

  // Sends `raw` on a fresh connection; expects `status` and, when `closes`, that the server then
  // closes the connection.
  void expect_status(std::string_view raw, int status, bool closes) {
    TestClient client(kLoopback, port());
    ASSERT_TRUE(client.send(raw));
    const auto response = client.read_response(false, std::chrono::seconds(5));
    ASSERT_TRUE(response) << "no (well-formed) response";
    EXPECT_EQ(response->status, status);
    if (closes) {
      EXPECT_TRUE(client.wait_closed(std::chrono::seconds(3))) << "still open";
    }
  }

  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(ProtocolErrorsTest, MalformedRequestLineIs400AndCloses) {
  const std::vector<std::string> requests = {
      "GARBAGE\r\n\r\n",
      "GET\r\nHost: test\r\n\r\n",
      "GET /\r\nHost: test\r\n\r\n",
      "GET / HTTP/1.1 extra\r\nHost: test\r\n\r\n",
      "GET  / HTTP/1.1\r\nHost: test\r\n\r\n",
      "GET / HTTX/1.1\r\nHost: test\r\n\r\n",
      "GET / HTTP/1.x\r\nHost: test\r\n\r\n",
      "GET index.html HTTP/1.1\r\nHost: test\r\n\r\n",
      "GET / HTTP/1.1\nHost: test\n\n",
      "G(T / HTTP/1.1\r\nHost: test\r\n\r\n",
  };
  for (const std::string& request : requests) {
    SCOPED_TRACE(testing::PrintToString(request));
    expect_status(request, 400, /*closes=*/true);
  }
}

TEST_F(ProtocolErrorsTest, MalformedHeaderIs400AndCloses) {
  const std::vector<std::string> requests = {
      "GET / HTTP/1.1\r\nHost: test\r\nNo colon here\r\n\r\n",
      // RFC 9112 §5.1: whitespace between name and colon MUST be rejected with 400.
      "GET / HTTP/1.1\r\nHost : test\r\n\r\n",
      // RFC 9112 §5.2: obs-fold in a request may be rejected with 400.
      "GET / HTTP/1.1\r\nHost: test\r\nX-A: 1\r\n folded\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: test\r\n: empty-name\r\n\r\n",
  };
  for (const std::string& request : requests) {
    SCOPED_TRACE(testing::PrintToString(request));
    expect_status(request, 400, /*closes=*/true);
  }
}

TEST_F(ProtocolErrorsTest, Http11WithoutHostIs400) {
  expect_status("GET /index.html HTTP/1.1\r\n\r\n", 400, /*closes=*/true);
}

TEST_F(ProtocolErrorsTest, Http10WithoutHostIsServed) {
  const auto response = fetch(port(), "GET /index.html HTTP/1.0\r\n\r\n");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, kIndex);
}

TEST_F(ProtocolErrorsTest, DuplicateHostIs400) {
  expect_status("GET /index.html HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400, /*closes=*/true);
  expect_status("GET /index.html HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n", 400, /*closes=*/true);
}

TEST_F(ProtocolErrorsTest, OtherKnownMethodsAre405WithAllow) {
  for (const char* method : {"POST", "PUT", "DELETE", "PATCH"}) {
    SCOPED_TRACE(method);
    const auto response = fetch(port(), make_request(method, "/index.html"));
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 405);
    EXPECT_EQ(response->header("Allow"), "GET, HEAD, OPTIONS");
  }
}

// A body the server does not read must not be taken for the next request (request smuggling):
// either the connection closes after the 405, or the next request is answered correctly.
TEST_F(ProtocolErrorsTest, PostBodyIsNeverParsedAsARequest) {
  TestClient client(kLoopback, port());
  const std::string body = "GET /smuggled HTTP/1.1\r\nHost: test\r\n\r\n";
  ASSERT_TRUE(client.send("POST /index.html HTTP/1.1\r\nHost: test\r\nContent-Length: " +
                          std::to_string(body.size()) + "\r\n\r\n" + body));
  const auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 405);
  EXPECT_EQ(response->header("Allow"), "GET, HEAD, OPTIONS");
  if (client.send(make_request("GET", "/index.html"))) {
    const auto next = client.read_response(false, std::chrono::seconds(3));
    if (next) {
      EXPECT_EQ(next->status, 200) << "the POST body was parsed as a request";
      EXPECT_EQ(next->body, kIndex);
    }
  }
}

TEST_F(ProtocolErrorsTest, UnknownMethodIs501) {
  const auto response = fetch(port(), make_request("BREW", "/pot"));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 501);
}

TEST_F(ProtocolErrorsTest, HigherMinorVersionIsServedAsHttp11_Rfc9110_2_5) {
  const auto response = fetch(port(), "GET /index.html HTTP/1.2\r\nHost: test\r\n\r\n");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->version, "HTTP/1.1");
}

TEST_F(ProtocolErrorsTest, UnsupportedVersionIs505) {
  for (const char* version : {"HTTP/2.0", "HTTP/3.0", "HTTP/0.9"}) {
    SCOPED_TRACE(version);
    const auto response =
        fetch(port(), std::string("GET /index.html ") + version + "\r\nHost: test\r\n\r\n");
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 505);
    EXPECT_EQ(response->version, "HTTP/1.1");
  }
}

TEST_F(ProtocolErrorsTest, LongUriIs414) {
  expect_status(make_request("GET", "/" + std::string(9000, 'a')), 414, /*closes=*/true);
}

TEST_F(ProtocolErrorsTest, UriJustUnderTheLimitIsNot414) {
  const auto response = get(port(), "/" + std::string(8000, 'a'));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 404);
}

TEST_F(ProtocolErrorsTest, HugeHeaderBlockIs431) {
  expect_status(make_request("GET", "/index.html", "X-Big: " + std::string(20000, 'a') + "\r\n"),
                431, /*closes=*/true);
}

TEST_F(ProtocolErrorsTest, TooManyHeaderLinesIs431) {
  std::string headers;
  for (int i = 0; i < 120; ++i) headers += "X-Header-" + std::to_string(i) + ": v\r\n";
  expect_status(make_request("GET", "/index.html", headers), 431, /*closes=*/true);
}

TEST_F(ProtocolErrorsTest, ManyHeadersUnderTheLimitAreServed) {
  std::string headers;
  for (int i = 0; i < 40; ++i) headers += "X-Header-" + std::to_string(i) + ": v\r\n";
  headers += "X-Long: " + std::string(8000, 'b') + "\r\n";
  const auto response = fetch(port(), make_request("GET", "/index.html", headers));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, kIndex);
}

TEST_F(ProtocolErrorsTest, ErrorKeepsTheServerHealthy) {
  expect_status("GARBAGE\r\n\r\n", 400, /*closes=*/true);
  const auto response = get(port(), "/index.html");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, kIndex);
}

}  // namespace
}  // namespace hybrid::test
