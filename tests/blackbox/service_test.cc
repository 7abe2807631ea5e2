// Black-box: the real hybrid_example_service (examples/service) on an ephemeral loopback port —
// every endpoint byte-exact, routing errors, request bodies, handlers beside static files on one
// connection, blocking handlers beside fast requests, and the drain on SIGTERM.
#include <poll.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "tests/blackbox/blackbox_support.h"
#include "tests/support/server_process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_client.h"

namespace hybrid::test {
namespace {

using namespace std::chrono_literals;

constexpr const char* kService = HYBRID_EXAMPLE_SERVICE_PATH;
constexpr std::string_view kIndex = "<!doctype html><title>service</title>\n";
constexpr std::string_view kStatic = "a static file beside the service\n";
constexpr std::size_t kDefaultBodyLimit = 1 << 20;  // ServerOptions::max_body_bytes

// True when the server has sent something on `client` that was not read yet.
bool has_data(const TestClient& client) {
  pollfd pfd{client.fd(), POLLIN, 0};
  return ::poll(&pfd, 1, 0) == 1;
}

std::string post_echo(std::string_view framing_headers) {
  return "POST /api/echo HTTP/1.1\r\nHost: test\r\n" + std::string(framing_headers) + "\r\n";
}

class ServiceTest : public ::testing::Test {
 protected:
  ServiceTest() {
    root_.write("index.html", kIndex);
    root_.write("static.txt", kStatic);
  }

  // Starts the service on root_ with `extra` flags (once per test).
  void start(std::vector<std::string> extra = {}) {
    service_ = std::make_unique<ServerProcess>(kService, root_args(root_.path(), std::move(extra)));
    ASSERT_TRUE(service_->running());
  }
  void SetUp() override { start(); }

  std::uint16_t port() const { return service_->port(); }

  TempDir root_;
  std::unique_ptr<ServerProcess> service_;
};

// A test that chooses its own flags.
class ServiceFlagsTest : public ServiceTest {
 protected:
  void SetUp() override {}
};

void expect_json(const std::optional<Response>& response, int status, std::string_view body) {
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, status);
  EXPECT_EQ(media_type(response->header("Content-Type")), "application/json");
  EXPECT_EQ(response->body, body);
}

TEST_F(ServiceTest, PlaintextIsHelloWorld) {
  const auto response = get(port(), "/plaintext");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(media_type(response->header("Content-Type")), "text/plain");
  EXPECT_EQ(response->body, "Hello, World!");
}

TEST_F(ServiceTest, HelloIsJson) {
  expect_json(get(port(), "/api/hello"), 200, R"({"hello":"world"})");
}

TEST_F(ServiceTest, ItemIdIsPercentDecodedAndJsonEscaped) {
  expect_json(get(port(), "/api/items/42"), 200, R"({"id":"42"})");
  expect_json(get(port(), "/api/items/a%22b"), 200, R"({"id":"a\"b"})");
  expect_json(get(port(), "/api/items/back%5Cslash"), 200, R"({"id":"back\\slash"})");
  expect_json(get(port(), "/api/items/a%20b"), 200, R"({"id":"a b"})");
  expect_json(get(port(), "/api/items/tab%09x%01%1F"), 200, R"({"id":"tab\u0009x\u0001\u001f"})");
  expect_json(get(port(), "/api/items/caf%C3%A9"), 200, "{\"id\":\"caf\xC3\xA9\"}");
}

TEST_F(ServiceTest, WrongMethodIs405WithAllow) {
  const auto post = fetch(port(), make_request("POST", "/api/hello", "Content-Length: 0\r\n"));
  ASSERT_TRUE(post);
  EXPECT_EQ(post->status, 405);
  EXPECT_NE(post->header("Allow").find("GET"), std::string::npos) << post->header("Allow");
  EXPECT_NE(post->header("Allow").find("HEAD"), std::string::npos) << post->header("Allow");

  const auto del = fetch(port(), make_request("DELETE", "/plaintext"));
  ASSERT_TRUE(del);
  EXPECT_EQ(del->status, 405);
  EXPECT_NE(del->header("Allow").find("GET"), std::string::npos) << del->header("Allow");
}

TEST_F(ServiceTest, OptionsListsTheRoutesMethods) {
  const auto response = fetch(port(), make_request("OPTIONS", "/api/echo"));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status / 100, 2) << response->status;
  EXPECT_NE(response->header("Allow").find("POST"), std::string::npos) << response->header("Allow");
}

TEST_F(ServiceTest, HeadHasNoBodyButTheSameLength) {
  TestClient client(kLoopback, port());
  const auto got = client.request(make_request("GET", "/api/hello"));
  const auto head = client.request(make_request("HEAD", "/api/hello"), /*head_request=*/true);
  ASSERT_TRUE(got && head);
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->header("Content-Length"), got->header("Content-Length"));
  EXPECT_EQ(head->header("Content-Length"), std::to_string(got->body.size()));
  // No body bytes followed the HEAD response: the next response parses from its first byte.
  const auto next = client.request(make_request("GET", "/plaintext"));
  ASSERT_TRUE(next);
  EXPECT_EQ(next->body, "Hello, World!");
}

TEST_F(ServiceTest, EchoReturnsAContentLengthBodyByteExact) {
  const std::string body = random_bytes(100'000, 7) + std::string("\0\r\n\xff", 4);
  const auto response =
      fetch(port(), post_echo("Content-Type: application/x-test\r\nContent-Length: " +
                              std::to_string(body.size()) + "\r\n") +
                        body);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->header("Content-Type"), "application/x-test");
  EXPECT_TRUE(response->body == body) << "echoed " << response->body.size() << " bytes";
}

TEST_F(ServiceTest, EchoReturnsAChunkedBodyByteExact) {
  const std::string body = random_bytes(70'000, 11);
  // Chunks of 1, 999, 65536 and the rest bytes, one with an extension.
  std::string chunked;
  std::size_t at = 0;
  for (const std::size_t size : {std::size_t{1}, std::size_t{999}, std::size_t{65536}}) {
    char line[32];
    std::snprintf(line, sizeof line, "%zx%s\r\n", size, size == 999 ? ";ext=1" : "");
    chunked += line + body.substr(at, size) + "\r\n";
    at += size;
  }
  char line[32];
  std::snprintf(line, sizeof line, "%zX\r\n", body.size() - at);
  chunked += line + body.substr(at) + "\r\n0\r\n\r\n";

  TestClient client(kLoopback, port());
  const auto response = client.request(
      post_echo("Content-Type: image/x-raw\r\nTransfer-Encoding: chunked\r\n") + chunked);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->header("Content-Type"), "image/x-raw");
  EXPECT_TRUE(response->body == body) << "echoed " << response->body.size() << " bytes";
  // The connection goes on after a chunked request.
  const auto next = client.request(make_request("GET", "/plaintext"));
  ASSERT_TRUE(next);
  EXPECT_EQ(next->status, 200);
}

TEST_F(ServiceTest, EchoWithoutContentTypeIsOctetStream) {
  const auto response = fetch(port(), post_echo("Content-Length: 3\r\n") + "abc");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->header("Content-Type"), "application/octet-stream");
  EXPECT_EQ(response->body, "abc");
}

TEST_F(ServiceTest, EchoAnswers100ContinueBeforeTheBody) {
  TestClient client(kLoopback, port());
  ASSERT_TRUE(client.send(
      post_echo("Content-Type: text/plain\r\nContent-Length: 5\r\nExpect: 100-continue\r\n")));
  const auto interim = client.read_response();
  ASSERT_TRUE(interim);
  EXPECT_EQ(interim->status, 100);
  ASSERT_TRUE(client.send("hello"));
  const auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "hello");
}

TEST_F(ServiceTest, EchoBodyOverTheLimitIs413) {
  TestClient client(kLoopback, port());
  ASSERT_TRUE(
      client.send(post_echo("Content-Length: " + std::to_string(kDefaultBodyLimit + 1) + "\r\n")));
  // The server may answer at the head; it reads and drops what follows (lingering), so sending
  // the body either completes or fails on a closed connection: only the answer matters.
  client.send(std::string(kDefaultBodyLimit + 1, 'x'));
  const auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 413);
}

TEST_F(ServiceTest, EchoBodyAtTheLimitIsEchoed) {
  const std::string body(kDefaultBodyLimit, 'y');
  const auto response =
      fetch(port(), post_echo("Content-Length: " + std::to_string(body.size()) + "\r\n") + body);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body.size(), body.size());
}

TEST_F(ServiceTest, SleepAnswersAfterItsWait) {
  const auto response = get(port(), "/api/sleep?ms=50");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "slept");
}

TEST_F(ServiceTest, SleepAndDeferredRejectBadMilliseconds) {
  for (const char* target : {"/api/sleep?ms=10001", "/api/sleep?ms=-1", "/api/sleep?ms=abc",
                             "/api/sleep", "/api/deferred?ms=10001", "/api/deferred?ms=1x"}) {
    const auto response = get(port(), target);
    ASSERT_TRUE(response) << target;
    EXPECT_EQ(response->status, 400) << target;
    EXPECT_EQ(media_type(response->header("Content-Type")), "application/json") << target;
    EXPECT_TRUE(response->body.starts_with(R"({"error":400,)")) << target << ": " << response->body;
  }
}

TEST_F(ServiceTest, DeferredAnswersLater) {
  const auto response = get(port(), "/api/deferred?ms=50");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "deferred");
}

// Deferred requests wait on the example's timer thread, not on a worker: with far more of them
// pending than there are workers, /plaintext is still answered before any of them.
TEST_F(ServiceTest, DeferredRequestsHoldNoWorker) {
  std::vector<std::unique_ptr<TestClient>> waiting;
  for (int i = 0; i < 8; ++i) {
    waiting.push_back(std::make_unique<TestClient>(kLoopback, port()));
    ASSERT_TRUE(waiting.back()->send(make_request("GET", "/api/deferred?ms=3000")));
  }
  const auto plain = get(port(), "/plaintext");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->status, 200);
  for (const auto& client : waiting) EXPECT_FALSE(has_data(*client));
  for (const auto& client : waiting) {
    const auto response = client->read_response();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->body, "deferred");
  }
}

TEST_F(ServiceTest, StreamIsChunkedLines) {
  std::string expected;
  for (int k = 1; k <= 1000; ++k) expected += "line " + std::to_string(k) + "\n";
  TestClient client(kLoopback, port());
  const auto response = client.request(make_request("GET", "/api/stream?n=1000"));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->header("Transfer-Encoding"), "chunked");
  EXPECT_FALSE(response->has_header("Content-Length"));
  EXPECT_TRUE(response->body == expected) << "got " << response->body.size() << " bytes";

  const auto empty = client.request(make_request("GET", "/api/stream?n=0"));
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->status, 200);
  EXPECT_EQ(empty->body, "");

  const auto too_many = client.request(make_request("GET", "/api/stream?n=100001"));
  ASSERT_TRUE(too_many);
  EXPECT_EQ(too_many->status, 400);
}

// A large stream to a client that reads slowly goes through wait_for_room() and arrives whole.
TEST_F(ServiceTest, LongStreamToASlowReaderArrivesWhole) {
  std::string expected;
  for (int k = 1; k <= 100'000; ++k) expected += "line " + std::to_string(k) + "\n";
  TestClient client(kLoopback, port());
  ASSERT_TRUE(client.send(make_request("GET", "/api/stream?n=100000")));
  std::this_thread::sleep_for(300ms);  // the server fills the socket buffers meanwhile
  const auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_TRUE(response->body == expected) << "got " << response->body.size() << " bytes";
}

TEST_F(ServiceTest, ThrowingHandlerIs500AndTheConnectionServesOn) {
  TestClient client(kLoopback, port());
  expect_json(client.request(make_request("GET", "/api/throw")), 500, R"({"error":500})");
  const auto next = client.request(make_request("GET", "/plaintext"));
  ASSERT_TRUE(next);
  EXPECT_EQ(next->status, 200);
  EXPECT_EQ(next->body, "Hello, World!");
}

// The on_error formatter shapes the errors of handler routes.
TEST_F(ServiceTest, HandlerRouteErrorsAreJson) {
  expect_json(fetch(port(), make_request("DELETE", "/api/hello")), 405, R"({"error":405})");
}

TEST_F(ServiceTest, PipelinedHandlerAndStaticRequestsAnswerInOrder) {
  TestClient client(kLoopback, port());
  ASSERT_TRUE(client.send(make_request("GET", "/api/deferred?ms=50") +
                          make_request("GET", "/plaintext") + make_request("GET", "/static.txt") +
                          make_request("GET", "/api/items/x") + post_echo("Content-Length: 4\r\n") +
                          "last"));
  const std::vector<std::string> expected{"deferred", "Hello, World!", std::string(kStatic),
                                          R"({"id":"x"})", "last"};
  for (const std::string& body : expected) {
    const auto response = client.read_response();
    ASSERT_TRUE(response) << "waiting for " << body;
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->body, body);
  }
}

TEST_F(ServiceTest, StaticFilesComeFromTheRoot) {
  const auto file = get(port(), "/static.txt");
  ASSERT_TRUE(file);
  EXPECT_EQ(file->status, 200);
  EXPECT_EQ(media_type(file->header("Content-Type")), "text/plain");
  EXPECT_EQ(file->body, kStatic);

  const auto index = get(port(), "/");
  ASSERT_TRUE(index);
  EXPECT_EQ(index->status, 200);
  EXPECT_EQ(media_type(index->header("Content-Type")), "text/html");
  EXPECT_EQ(index->body, kIndex);

  const auto missing = get(port(), "/missing.txt");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
}

// Six blocking sleeps of 300 ms on two handler threads take about 900 ms; /plaintext and a static
// file are answered while they still run.
TEST_F(ServiceFlagsTest, BlockingHandlersDoNotDelayOtherRequests) {
  start({"--threads", "2"});
  std::vector<std::unique_ptr<TestClient>> sleepers;
  for (int i = 0; i < 6; ++i) {
    sleepers.push_back(std::make_unique<TestClient>(kLoopback, port()));
    ASSERT_TRUE(sleepers.back()->send(make_request("GET", "/api/sleep?ms=300")));
  }
  std::this_thread::sleep_for(50ms);  // let the sleeps reach the handler pool first

  const auto plain = get(port(), "/plaintext");
  const auto file = get(port(), "/static.txt");
  ASSERT_TRUE(plain && file);
  EXPECT_EQ(plain->body, "Hello, World!");
  EXPECT_EQ(file->body, kStatic);
  int still_sleeping = 0;
  for (const auto& client : sleepers) still_sleeping += has_data(*client) ? 0 : 1;
  EXPECT_GE(still_sleeping, 1) << "every sleep had finished before /plaintext was answered";

  for (const auto& client : sleepers) {
    const auto response = client->read_response();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->body, "slept");
  }
}

TEST_F(ServiceTest, SigtermLetsPendingDeferredResponsesFinish) {
  std::vector<std::unique_ptr<TestClient>> pending;
  for (int i = 0; i < 3; ++i) {
    pending.push_back(std::make_unique<TestClient>(kLoopback, port()));
    ASSERT_TRUE(pending.back()->send(make_request("GET", "/api/deferred?ms=500")));
  }
  // Once /plaintext came back on a fourth connection, the server has read the earlier ones too
  // (in practice: they were sent first); the sleep covers a slow host.
  ASSERT_TRUE(get(port(), "/plaintext"));
  std::this_thread::sleep_for(100ms);
  ASSERT_EQ(::kill(service_->pid(), SIGTERM), 0);

  for (const auto& client : pending) {
    const auto response = client->read_response();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->body, "deferred");
  }
  const int status = service_->stop(0, 12s);  // drain_timeout is 10 s
  EXPECT_TRUE(exited_zero(status)) << describe_exit(status) << "\n" << service_->output();
}

TEST(ServiceCliTest, HelpAndVersionExitZero) {
  const RunResult help = run_program(kService, {"--help"});
  EXPECT_EQ(help.exit_code, 0) << help.output;
  for (const char* flag : {"--port", "--bind", "--root", "--threads", "--version"}) {
    EXPECT_NE(help.output.find(flag), std::string::npos) << flag << "\n" << help.output;
  }
  const RunResult version = run_program(kService, {"--version"});
  EXPECT_EQ(version.exit_code, 0) << version.output;
  EXPECT_NE(version.output.find("hybrid_example_service 0."), std::string::npos) << version.output;
}

TEST(ServiceCliTest, BadFlagsExitTwo) {
  for (const std::vector<std::string>& args : {std::vector<std::string>{"--bogus"},
                                               {"--threads", "0"},
                                               {"--port", "70000"},
                                               {"--port", "x"}}) {
    const RunResult result = run_program(kService, args);
    EXPECT_EQ(result.exit_code, 2) << args[0] << "\n" << result.output;
    EXPECT_FALSE(result.output.empty());
  }
}

TEST(ServiceCliTest, MissingRootExitsOneWithOneLine) {
  TempDir scratch;
  const RunResult result =
      run_program(kService, {"--port", "0", "--root", (scratch.path() / "no-such-dir").string()});
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_NE(result.output.find("hybrid_example_service: error:"), std::string::npos)
      << result.output;
  EXPECT_EQ(std::count(result.output.begin(), result.output.end(), '\n'), 1) << result.output;
}

TEST(ServiceCliTest, BusyPortExitsOne) {
  TempDir root;
  ServerProcess first(kService, root_args(root.path()));
  ASSERT_TRUE(first.running());
  const RunResult second = run_program(kService, {"--port", std::to_string(first.port()), "--bind",
                                                  "127.0.0.1", "--root", root.path().string()});
  EXPECT_EQ(second.exit_code, 1) << second.output;
  EXPECT_NE(second.output.find("hybrid_example_service: error:"), std::string::npos)
      << second.output;
}

}  // namespace
}  // namespace hybrid::test
