// Black-box: request bodies and their framing (RFC 9112 §6-7). A static server reads no body, but
// it must find where each one ends, so that no byte of a body is ever taken for a request
// (request smuggling), and refuse every framing two parsers could disagree about.
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "tests/blackbox/blackbox_support.h"
#include "tests/support/server_process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_client.h"

namespace hybrid::test {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using namespace std::string_literals;

constexpr std::string_view kIndex = "<!DOCTYPE html><title>index</title>\n";
constexpr std::string_view kSecret =
    "SMUGGLED: this file is only reachable by a smuggled request\n";

// A complete request for /secret, to hide in bodies: if it is ever answered, a body was parsed.
constexpr std::string_view kSmuggled = "GET /secret HTTP/1.1\r\nHost: test\r\n\r\n";

// The request that follows a body on the same connection; it asks the server to close afterwards,
// so reading "until closed" ends as soon as everything owed has been sent.
const std::string kNext = make_request("GET", "/index.html", "Connection: close\r\n");

struct Exchange {
  std::vector<Response> responses;
  bool closed = false;

  std::vector<int> statuses() const {
    std::vector<int> codes;
    for (const Response& response : responses) codes.push_back(response.status);
    return codes;
  }
};

// Sends `pieces` on one connection, pausing between them so that each arrives in its own read,
// then reads responses until the server closes the connection or stays silent for `quiet`.
Exchange exchange(std::uint16_t port, const std::vector<std::string>& pieces,
                  milliseconds quiet = seconds(3)) {
  Exchange result;
  TestClient client(kLoopback, port);
  for (std::size_t i = 0; i < pieces.size(); ++i) {
    if (i > 0) std::this_thread::sleep_for(milliseconds(30));
    if (!client.send(pieces[i])) break;  // the server may close early; what it sent still counts
  }
  while (auto response = client.read_response(false, quiet)) {
    result.responses.push_back(std::move(*response));
  }
  result.closed = client.wait_closed(seconds(1));
  return result;
}

// `first`, then the index page for kNext, and nothing else: the body was skipped, never parsed.
void expect_first_then_index(const Exchange& result, int first) {
  EXPECT_EQ(result.statuses(), (std::vector<int>{first, 200}));
  for (const Response& response : result.responses) {
    EXPECT_NE(response.body, kSecret) << "a request inside a body was answered";
  }
  if (result.responses.size() == 2) {
    EXPECT_EQ(result.responses[1].body, kIndex);
  }
  EXPECT_TRUE(result.closed);
}

// Exactly `statuses`, then the connection closes: nothing sent after the failure is answered.
void expect_closed_after(const Exchange& result, const std::vector<int>& statuses) {
  EXPECT_EQ(result.statuses(), statuses);
  for (const Response& response : result.responses) {
    EXPECT_NE(response.body, kSecret) << "a request after the failure was answered";
  }
  EXPECT_TRUE(result.closed) << "the connection stayed open";
}

std::string to_hex(std::size_t value) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  do {
    hex.insert(hex.begin(), kDigits[value % 16]);
    value /= 16;
  } while (value != 0);
  return hex;
}

std::string post_head(std::string_view framing, std::string_view target = "/index.html") {
  return "POST "s.append(target) + " HTTP/1.1\r\nHost: test\r\n" + std::string(framing) + "\r\n";
}

class BodiesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_.write("index.html", kIndex);
    dir_.write("secret", kSecret);
    server_ = std::make_unique<ServerProcess>(root_args(dir_.path()));
    ASSERT_TRUE(server_->running());
  }

  std::uint16_t port() const { return server_->port(); }

  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
};

// ---- Bodies are skipped ------------------------------------------------------------------------

TEST_F(BodiesTest, ContentLengthBodyIsSkippedNotParsed_Rfc9112_6_2) {
  const std::string body = std::string(kSmuggled);
  const std::string post = post_head("Content-Length: " + std::to_string(body.size()) + "\r\n");
  expect_first_then_index(exchange(port(), {post + body + kNext}), 405);
}

TEST_F(BodiesTest, ContentLengthBodyOnGetIsSkippedNotParsed_Rfc9112_6_2) {
  const std::string body = std::string(kSmuggled);
  const std::string get =
      make_request("GET", "/index.html", "Content-Length: " + std::to_string(body.size()) + "\r\n");
  const Exchange result = exchange(port(), {get + body + kNext});
  expect_first_then_index(result, 200);
  if (!result.responses.empty()) {
    EXPECT_EQ(result.responses[0].body, kIndex);
  }
}

TEST_F(BodiesTest, ChunkedBodyWithExtensionsAndTrailersIsSkipped_Rfc9112_7_1) {
  // kSmuggled split over two chunks with extensions (token and quoted values), then a last-chunk
  // with an extension and two trailer fields.
  const std::string body =
      "16;a=b ; quoted=\"x;y \\\" z\"\r\n"
      "GET /secret HTTP/1.1\r\n\r\n"
      "E;ext\r\n"
      "Host: test\r\n\r\n\r\n"
      "000;last=1\r\n"
      "X-Trailer: GET /secret HTTP/1.1\r\n"
      "Another-Trailer: t\r\n"
      "\r\n";
  expect_first_then_index(
      exchange(port(), {post_head("Transfer-Encoding: chunked\r\n") + body + kNext}), 405);
}

TEST_F(BodiesTest, BodySplitAcrossWritesIsSkipped_Rfc9112_6_2) {
  const std::string body = std::string(kSmuggled) + std::string(kSmuggled);
  const std::string post = post_head("Content-Length: " + std::to_string(body.size()) + "\r\n");
  // The head alone, then the body in pieces (the last one carrying the next request too).
  expect_first_then_index(
      exchange(port(), {post, body.substr(0, 5), body.substr(5, 30), body.substr(35) + kNext}),
      405);
}

TEST_F(BodiesTest, ChunkedBodySplitAcrossWritesIsSkipped_Rfc9112_7_1) {
  const std::string post = post_head("Transfer-Encoding: chunked\r\n");
  // Cuts inside a chunk-size, between CR and LF, inside chunk data, inside the trailer section.
  expect_first_then_index(
      exchange(port(), {post + "2", "4\r", "\nGET /secret HTTP/1.1\r\nHost:",
                        " test\r\n\r\n\r\n0\r\nX-T", "railer: 1\r\n\r", "\n" + kNext}),
      405);
}

// Bodies larger than the server's 16 KiB input buffer, already queued in the socket in full when
// the server starts skipping them: it has to keep reading without waiting for another readiness
// edge (the kernel sends none for bytes it already reported).
TEST_F(BodiesTest, LargeContentLengthBodyIsSkipped_Rfc9112_6_2) {
  std::string body;
  while (body.size() < 100'000) body += kSmuggled;
  const std::string post = post_head("Content-Length: " + std::to_string(body.size()) + "\r\n");
  expect_first_then_index(exchange(port(), {post + body + kNext}, seconds(2)), 405);
}

TEST_F(BodiesTest, LargeChunkedBodyIsSkipped_Rfc9112_7_1) {
  std::string data;
  while (data.size() < 40'000) data += kSmuggled;
  std::string body;
  for (int i = 0; i < 3; ++i) body += to_hex(data.size()) + "\r\n" + data + "\r\n";
  body += "0\r\n\r\n";
  expect_first_then_index(
      exchange(
          port(),
          {make_request("GET", "/index.html", "Transfer-Encoding: chunked\r\n") + body + kNext},
          seconds(2)),
      200);
}

TEST_F(BodiesTest, ManyPipelinedBodiesAreEachSkipped_Rfc9112_6_2) {
  const std::string one =
      post_head("Content-Length: " + std::to_string(kSmuggled.size()) + "\r\n") +
      std::string(kSmuggled);
  const std::string chunked = make_request("GET", "/index.html", "Transfer-Encoding: chunked\r\n") +
                              to_hex(kSmuggled.size()) + "\r\n" + std::string(kSmuggled) +
                              "\r\n0\r\n\r\n";
  std::string all;
  std::vector<int> expected;
  for (int i = 0; i < 20; ++i) {
    all += one + chunked;
    expected.push_back(405);
    expected.push_back(200);
  }
  expected.push_back(200);
  const Exchange result = exchange(port(), {all + kNext});
  EXPECT_EQ(result.statuses(), expected);
  for (const Response& response : result.responses) EXPECT_NE(response.body, kSecret);
  EXPECT_TRUE(result.closed);
}

TEST_F(BodiesTest, StrayCrlfAfterABodyIsIgnored_Rfc9112_2_2) {
  const std::string post = post_head("Content-Length: 5\r\n") + "hello\r\n";
  expect_first_then_index(exchange(port(), {post + kNext}), 405);
}

// ---- Ambiguous framing (RFC 9112 §6.3) ---------------------------------------------------------

TEST_F(BodiesTest, ContentLengthWithTransferEncodingIs400AndCloses_Rfc9112_6_3) {
  for (const std::string& framing : {"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n"s,
                                     "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n"s}) {
    SCOPED_TRACE(framing);
    expect_closed_after(exchange(port(), {post_head(framing) + "0\r\n\r\n" + kNext}), {400});
    expect_closed_after(
        exchange(port(), {make_request("GET", "/index.html", framing) + "0\r\n\r\n" + kNext}),
        {400});
  }
}

TEST_F(BodiesTest, DifferingContentLengthsAre400AndClose_Rfc9112_6_3) {
  expect_closed_after(exchange(port(), {post_head("Content-Length: 5\r\nContent-Length: 6\r\n") +
                                        "hello!" + kNext}),
                      {400});
}

TEST_F(BodiesTest, InvalidContentLengthIs400AndCloses_Rfc9110_8_6) {
  // Content-Length = 1*DIGIT; hybrid refuses lists (even of equal values) and > 18 digits.
  for (const char* value :
       {"-1", "+5", "0x5", "99999999999999999999", "5, 6", "5,5", "5 5", "five", ""}) {
    SCOPED_TRACE(value);
    expect_closed_after(
        exchange(port(), {post_head("Content-Length: "s + value + "\r\n") + "hello" + kNext}),
        {400});
  }
}

TEST_F(BodiesTest, TransferCodingBeforeChunkedIs501_Rfc9112_6_1) {
  const auto response =
      fetch(port(), post_head("Transfer-Encoding: gzip, chunked\r\n") + "0\r\n\r\n");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 501);
}

TEST_F(BodiesTest, ChunkedNotLastIs400AndCloses_Rfc9112_6_3) {
  for (const char* codings : {"chunked, gzip", "chunked, chunked", "gzip", "identity"}) {
    SCOPED_TRACE(codings);
    expect_closed_after(exchange(port(), {post_head("Transfer-Encoding: "s + codings + "\r\n") +
                                          "0\r\n\r\n" + kNext}),
                        {400});
  }
}

TEST_F(BodiesTest, TransferEncodingInHttp10Is400AndCloses_Rfc9112_6_1) {
  for (const char* method : {"POST", "GET"}) {
    SCOPED_TRACE(method);
    const std::string request = std::string(method) +
                                " /index.html HTTP/1.0\r\nTransfer-Encoding: chunked\r\n"
                                "Connection: keep-alive\r\n\r\n0\r\n\r\n";
    expect_closed_after(exchange(port(), {request + kNext}), {400});
  }
}

// ---- Broken chunked bodies ---------------------------------------------------------------------
// The head is fine, so the request itself is answered (405) before the body turns out broken.

TEST_F(BodiesTest, ChunkSizeOverflowIs400AndCloses_Rfc9112_7_1) {
  // 19 and 17 hex digits, and 2^63 in 16: none fits the decoder's signed 64-bit bound.
  for (const char* size : {"fffffffffffffffffff", "10000000000000000", "8000000000000000"}) {
    SCOPED_TRACE(size);
    const std::string body = std::string(size) + "\r\nabc\r\n0\r\n\r\n";
    expect_closed_after(
        exchange(port(), {post_head("Transfer-Encoding: chunked\r\n") + body + kNext}), {405, 400});
  }
}

TEST_F(BodiesTest, BareLfInChunkedBodyIs400AndCloses_Rfc9112_7_1) {
  for (const char* body :
       {"5\nhello\r\n0\r\n\r\n", "5;ext\nhello\r\n0\r\n\r\n", "5\r\nhello\n0\r\n\r\n",
        "5\r\nhello\r\n0\n\r\n", "5\r\nhello\r\n0\r\n\n"}) {
    SCOPED_TRACE(testing::PrintToString(std::string(body)));
    expect_closed_after(
        exchange(port(), {post_head("Transfer-Encoding: chunked\r\n") + body + kNext}), {405, 400});
  }
}

TEST_F(BodiesTest, MalformedChunksAre400AndClose_Rfc9112_7_1) {
  for (const char* body :
       {"-1\r\nx\r\n0\r\n\r\n", "0x5\r\nhello\r\n0\r\n\r\n", "5 \r\nhello\r\n0\r\n\r\n",
        "3\r\nhello\r\n0\r\n\r\n", "\r\n0\r\n\r\n", "0\r\n bad: trailer\r\n\r\n"}) {
    SCOPED_TRACE(testing::PrintToString(std::string(body)));
    expect_closed_after(
        exchange(port(), {post_head("Transfer-Encoding: chunked\r\n") + body + kNext}), {405, 400});
  }
}

TEST_F(BodiesTest, HugeTrailerSectionIs400AndCloses_Rfc9112_7_1_2) {
  const std::string body = "0\r\nX-Trailer: " + std::string(10'000, 't') + "\r\n\r\n";
  expect_closed_after(
      exchange(port(), {post_head("Transfer-Encoding: chunked\r\n") + body + kNext}), {405, 400});
}

TEST_F(BodiesTest, HugeChunkExtensionIs400AndCloses_Rfc9112_7_1_1) {
  const std::string huge = "1;" + std::string(5000, 'e') + "\r\nx\r\n0\r\n\r\n";
  expect_closed_after(
      exchange(port(), {post_head("Transfer-Encoding: chunked\r\n") + huge + kNext}), {405, 400});
  // The limit is about length, not about extensions: a 1000-byte one is skipped like any other.
  const std::string long_ok = "1;" + std::string(1000, 'e') + "\r\nx\r\n0\r\n\r\n";
  expect_first_then_index(
      exchange(port(), {post_head("Transfer-Encoding: chunked\r\n") + long_ok + kNext}), 405);
}

// ---- Malformed heads ---------------------------------------------------------------------------

TEST_F(BodiesTest, MalformedHeaderIs400AndNothingAfterIsAnswered_Rfc9112_5) {
  const std::string cases[] = {
      "X-A: 1\r\n folded\r\n",   // obs-fold (§5.2)
      "X-A: 1\r\n\tfolded\r\n",  // obs-fold with HTAB
      "X-A : 1\r\n",             // whitespace before the colon (§5.1)
      "X-A\t: 1\r\n",
      "X-A: a\0b\r\n"s,  // NUL in a value (RFC 9110 §5.5)
      "X-A: a\rb\r\n",   // bare CR in a value
      "X(A): 1\r\n",     // not a token (RFC 9110 §5.1)
      "X@A: 1\r\n",
      "X A: 1\r\n",
      "X\"A: 1\r\n",
      "X\x7f"
      "A: 1\r\n",
      "\xc3\xa4: 1\r\n",
  };
  for (const std::string& header : cases) {
    SCOPED_TRACE(testing::PrintToString(header));
    const std::string bad = "GET /index.html HTTP/1.1\r\nHost: test\r\n" + header + "\r\n";
    expect_closed_after(exchange(port(), {bad + make_request("GET", "/secret")}), {400});
  }
}

// ---- Limits and expectations -------------------------------------------------------------------

TEST(BodiesLimitTest, BodyOverMaxBodyBytesIs413AndCloses_Rfc9110_15_5_14) {
  TempDir dir;
  dir.write("index.html", kIndex);
  dir.write("secret", kSecret);
  ServerProcess server(root_args(dir.path(), {"--max-body-bytes", "100"}));
  ASSERT_TRUE(server.running());
  // Refused from the announced length, before the body is sent at all.
  for (const char* method : {"POST", "GET"}) {
    SCOPED_TRACE(method);
    const std::string head =
        std::string(method) + " /index.html HTTP/1.1\r\nHost: test\r\nContent-Length: 1000\r\n\r\n";
    expect_closed_after(exchange(server.port(), {head}), {413});
  }
  // Exactly the limit is fine.
  const std::string body(100, 'b');
  expect_first_then_index(
      exchange(server.port(), {post_head("Content-Length: 100\r\n") + body + kNext}), 405);
  // A chunked body is counted as it arrives: 100 bytes pass, 50 more are too many.
  const std::string chunks =
      "64\r\n" + body + "\r\n32\r\n" + std::string(50, 'c') + "\r\n0\r\n\r\n";
  expect_closed_after(
      exchange(
          server.port(),
          {make_request("GET", "/index.html", "Transfer-Encoding: chunked\r\n") + chunks + kNext}),
      {200, 413});
  expect_closed_after(
      exchange(server.port(), {post_head("Transfer-Encoding: chunked\r\n") + chunks + kNext}),
      {405, 413});
  // 413 is decided from the announced length: no 100 Continue is sent for it.
  TestClient client(kLoopback, server.port());
  ASSERT_TRUE(client.send(
      make_request("GET", "/index.html", "Content-Length: 1000\r\nExpect: 100-continue\r\n")));
  const auto response = client.read_response(false, seconds(5));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 413);
  EXPECT_TRUE(client.wait_closed(seconds(3)));
}

TEST_F(BodiesTest, ExpectContinueOnGetWithBodyGets100Then200_Rfc9110_10_1_1) {
  TestClient client(kLoopback, port());
  const std::string body = std::string(kSmuggled);
  ASSERT_TRUE(client.send(make_request(
      "GET", "/index.html",
      "Content-Length: " + std::to_string(body.size()) + "\r\nExpect: 100-continue\r\n")));
  const auto interim = client.read_response(false, seconds(5));
  ASSERT_TRUE(interim);
  EXPECT_EQ(interim->status, 100);
  EXPECT_EQ(interim->version, "HTTP/1.1");
  EXPECT_EQ(interim->reason, "Continue");
  const auto final_response = client.read_response(false, seconds(5));
  ASSERT_TRUE(final_response);
  EXPECT_EQ(final_response->status, 200);
  EXPECT_EQ(final_response->body, kIndex);
  // The body the 100 invited is then skipped like any other.
  ASSERT_TRUE(client.send(body + kNext));
  const auto next = client.read_response(false, seconds(5));
  ASSERT_TRUE(next);
  EXPECT_EQ(next->status, 200);
  EXPECT_EQ(next->body, kIndex);
  EXPECT_TRUE(client.wait_closed(seconds(3)));
}

TEST_F(BodiesTest, ExpectContinueOnPostIs405AndCloses_Rfc9110_10_1_1) {
  TestClient client(kLoopback, port());
  ASSERT_TRUE(client.send(post_head("Content-Length: 5\r\nExpect: 100-continue\r\n")));
  const auto response = client.read_response(false, seconds(5));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 405) << "a 100 Continue for a request that will be refused";
  EXPECT_EQ(response->header("Connection"), "close");
  EXPECT_TRUE(client.wait_closed(seconds(3)));
}

TEST_F(BodiesTest, UnknownExpectationIs417_Rfc9110_10_1_1) {
  for (const char* expect : {"something-else", "100-continue; x=1", "100-continue, foo"}) {
    SCOPED_TRACE(expect);
    const auto response =
        fetch(port(), make_request("GET", "/index.html", "Expect: "s + expect + "\r\n"));
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 417);
  }
}

TEST_F(BodiesTest, ExpectationFromHttp10IsIgnored_Rfc9110_10_1_1) {
  const auto response = fetch(port(), "GET /index.html HTTP/1.0\r\nExpect: something-else\r\n\r\n");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, kIndex);
}

TEST_F(BodiesTest, AbsoluteFormTargetIsServed_Rfc9112_3_2_2) {
  for (const char* target : {"http://test/index.html", "http://other.example:8080/index.html"}) {
    SCOPED_TRACE(target);
    const auto response = fetch(port(), make_request("GET", target));
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->body, kIndex);
  }
}

}  // namespace
}  // namespace hybrid::test
