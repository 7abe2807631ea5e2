#include "hybrid/server/server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "tests/support/running_server.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_client.h"

namespace hybrid::server {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kDeadline = std::chrono::seconds(20);

// Polls `condition` until it holds or the deadline passes. The sleep is only the polling interval.
bool eventually(const std::function<bool()>& condition) {
  const auto deadline = Clock::now() + kDeadline;
  while (!condition()) {
    if (Clock::now() > deadline) return condition();
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

// The file's content, or "" while it does not exist yet.
std::string fs_read(const std::filesystem::path& path) {
  std::error_code error;
  if (!std::filesystem::exists(path, error)) return {};
  return test::read_file(path);
}

std::string patterned(std::size_t size, unsigned seed) {
  std::string bytes(size, '\0');
  for (std::size_t i = 0; i < size; ++i) bytes[i] = static_cast<char>((i * 31 + seed) % 253);
  return bytes;
}

// A Server whose run() executes on its own thread. stop_and_join() bounds the wait: if run()
// does not return, the server and its thread are leaked (destroying a running Server would be
// undefined) and the test fails instead of hanging.
class RunningServer {
 public:
  explicit RunningServer(ServerOptions options)
      : server_(std::make_unique<Server>(std::move(options))) {
    // The promise is shared so that a leaked thread finishing late never touches freed memory.
    auto returned = std::make_shared<std::promise<void>>();
    finished_ = returned->get_future();
    thread_ = std::thread([server = server_.get(), returned] {
      server->run();
      returned->set_value();
    });
  }
  ~RunningServer() {
    if (server_) stop_and_join();
  }
  RunningServer(const RunningServer&) = delete;
  RunningServer& operator=(const RunningServer&) = delete;

  Server& server() { return *server_; }
  std::uint16_t port() const { return server_->port(); }

  // True when run() returned within the deadline after stop().
  bool stop_and_join() {
    server_->stop();
    return join();
  }

  // Waits (bounded) for run() to return without asking it to stop.
  bool join() {
    if (!server_) return true;
    if (finished_.wait_for(kDeadline) != std::future_status::ready) {
      ADD_FAILURE() << "run() did not return within the deadline";
      thread_.detach();
      static_cast<void>(server_.release());  // deliberately leaked: still in use by run()
      return false;
    }
    thread_.join();
    server_.reset();
    return true;
  }

 private:
  std::unique_ptr<Server> server_;
  std::future<void> finished_;
  std::thread thread_;
};

class ServerTest : public ::testing::Test {
 protected:
  test::TempDir root_;
};

TEST_F(ServerTest, ReportsItsBinding) {
  Server server(test::loopback_options(root_.path()));
  EXPECT_NE(server.port(), 0);
  EXPECT_EQ(server.url(), "http://127.0.0.1:" + std::to_string(server.port()));
  EXPECT_EQ(server.threads(), 2u);
  EXPECT_EQ(server.options().root, root_.path());
  ServerStats stats = server.stats();
  EXPECT_EQ(stats.connections_accepted, 0u);
  EXPECT_EQ(stats.connections_open, 0u);
  EXPECT_EQ(stats.jobs_dispatched, 0u);
}

TEST_F(ServerTest, ServesSmallAndLargeFilesByteForByte) {
  const std::string small = "<h1>hello</h1>\n";
  const std::string large = patterned(3 * 1024 * 1024 + 17, 5);  // past small_file_limit: sendfile
  root_.write("index.html", small);
  root_.write("big/data.bin", large);
  RunningServer running(test::loopback_options(root_.path()));

  test::TestClient client("127.0.0.1", running.port());
  ASSERT_TRUE(client.connected());
  auto response = client.request(test::make_request("GET", "/"));
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->header("content-type"), "text/html; charset=utf-8");
  EXPECT_EQ(response->header("content-length"), std::to_string(small.size()));
  EXPECT_EQ(response->body, small);

  response = client.request(test::make_request("GET", "/big/data.bin"));
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body.size(), large.size());
  EXPECT_TRUE(response->body == large) << "large body differs";

  response = client.request(test::make_request("HEAD", "/big/data.bin"), true);
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->header("content-length"), std::to_string(large.size()));
  EXPECT_TRUE(response->body.empty());

  EXPECT_TRUE(running.stop_and_join());
}

TEST_F(ServerTest, AnswersErrorsAndRedirects) {
  root_.write("dir/index.html", "x");
  RunningServer running(test::loopback_options(root_.path()));
  test::TestClient client("127.0.0.1", running.port());

  auto response = client.request(test::make_request("GET", "/missing.txt"));
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 404);

  response = client.request(test::make_request("GET", "/dir?x=1"));
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 301);
  EXPECT_EQ(response->header("location"), "/dir/?x=1");

  response = client.request(test::make_request("GET", "/../etc/passwd"));
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 400);
  EXPECT_TRUE(running.stop_and_join());
}

TEST_F(ServerTest, PipelinedRequestsAreAnsweredInOrder) {
  root_.write("a.txt", "first");
  root_.write("b.txt", "second");
  RunningServer running(test::loopback_options(root_.path()));
  test::TestClient client("127.0.0.1", running.port());
  ASSERT_TRUE(client.send(test::make_request("GET", "/a.txt") +
                          test::make_request("GET", "/b.txt") +
                          test::make_request("GET", "/a.txt")));
  for (const char* expected : {"first", "second", "first"}) {
    auto response = client.read_response();
    ASSERT_TRUE(response.has_value());
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->body, expected);
  }
  EXPECT_TRUE(running.stop_and_join());
}

TEST_F(ServerTest, StatsCountConnectionsAndJobs) {
  root_.write("f.txt", "f");
  RunningServer running(test::loopback_options(root_.path()));
  Server& server = running.server();
  {
    test::TestClient first("127.0.0.1", running.port());
    test::TestClient second("127.0.0.1", running.port());
    // One request at a time, each waited for: one job per request.
    for (int i = 0; i < 3; ++i) {
      auto response = first.request(test::make_request("GET", "/f.txt"));
      ASSERT_TRUE(response.has_value());
      EXPECT_EQ(response->status, 200);
    }
    auto response = second.request(test::make_request("GET", "/f.txt"));
    ASSERT_TRUE(response.has_value());
    EXPECT_EQ(response->status, 200);

    // Counters are relaxed and updated by the reactor; a response can overtake its increment.
    EXPECT_TRUE(eventually([&] { return server.stats().jobs_dispatched == 4; }))
        << server.stats().jobs_dispatched;
    ServerStats stats = server.stats();
    EXPECT_EQ(stats.connections_accepted, 2u);
    EXPECT_EQ(stats.connections_open, 2u);
  }
  // Both clients closed: the server notices and closes its ends.
  EXPECT_TRUE(eventually([&] { return server.stats().connections_open == 0; }))
      << server.stats().connections_open;
  EXPECT_EQ(server.stats().connections_accepted, 2u);
  EXPECT_EQ(server.stats().jobs_dispatched, 4u);
  EXPECT_TRUE(running.stop_and_join());
}

TEST_F(ServerTest, ConcurrentClientsAllGetTheirFiles) {
  constexpr int kClients = 6;
  constexpr int kRequests = 40;
  std::vector<std::string> contents;
  for (int i = 0; i < kClients; ++i) {
    // Alternate small (batched) and large (sendfile) files.
    contents.push_back(patterned(i % 2 == 0 ? 1000 + i : 100'000 + i, static_cast<unsigned>(i)));
    root_.write("file" + std::to_string(i) + ".bin", contents.back());
  }
  RunningServer running(test::loopback_options(root_.path()));
  std::vector<std::thread> clients;
  std::atomic<int> good{0};
  for (int i = 0; i < kClients; ++i) {
    clients.emplace_back([&, i] {
      test::TestClient client("127.0.0.1", running.port());
      const std::string request = test::make_request("GET", "/file" + std::to_string(i) + ".bin");
      for (int r = 0; r < kRequests; ++r) {
        auto response = client.request(request);
        if (!response || response->status != 200 || response->body != contents[i]) return;
        good.fetch_add(1);
      }
    });
  }
  for (auto& client : clients) client.join();
  EXPECT_EQ(good.load(), kClients * kRequests);
  EXPECT_TRUE(eventually([&] {
    return running.server().stats().jobs_dispatched >=
           static_cast<std::uint64_t>(kClients * kRequests);
  }));
  EXPECT_TRUE(running.stop_and_join());
}

// The policy of thread `tid` while run() serves, and of the same thread after run() returned.
std::pair<int, int> policies_around_run(ServerOptions options) {
  Server server(std::move(options));
  std::atomic<pid_t> tid{0};
  std::atomic<int> after{-2};
  std::thread runner([&] {
    tid.store(::gettid());
    server.run();
    after.store(::sched_getscheduler(0));
  });
  int during = -2;
  if (eventually([&] { return tid.load() != 0; })) {
    // A request answered: run() is past its set-up.
    test::TestClient client("127.0.0.1", server.port());
    if (client.request(test::make_request("GET", "/")).has_value()) {
      during = ::sched_getscheduler(tid.load());
    }
  }
  server.stop();
  runner.join();
  return {during, after.load()};
}

TEST_F(ServerTest, RunLeavesTheReactorThreadsPolicyAlone) {
  // Batch scheduling is for the workers only: the reactor under SCHED_BATCH answered 1.4 ms
  // late at light load (server.h).
  ASSERT_EQ(::sched_getscheduler(0), SCHED_OTHER) << "the test needs the default policy";
  auto [during, after] = policies_around_run(test::loopback_options(root_.path()));
  EXPECT_EQ(during, SCHED_OTHER);
  EXPECT_EQ(after, SCHED_OTHER);

  ServerOptions options = test::loopback_options(root_.path());
  options.batch_scheduling = false;
  std::tie(during, after) = policies_around_run(options);
  EXPECT_EQ(during, SCHED_OTHER);
  EXPECT_EQ(after, SCHED_OTHER);
}

TEST_F(ServerTest, StopReturnsWithNoConnections) {
  RunningServer running(test::loopback_options(root_.path()));
  // Make sure run() is serving before asking it to stop.
  test::TestClient client("127.0.0.1", running.port());
  ASSERT_TRUE(client.request(test::make_request("GET", "/")).has_value());
  client.close();
  EXPECT_TRUE(running.stop_and_join());
}

TEST_F(ServerTest, StopBeforeRunMakesRunReturn) {
  // A stop request (e.g. a signal) that arrives before run() started must not be lost.
  auto server = std::make_unique<Server>(test::loopback_options(root_.path()));
  server->stop();
  auto returned = std::async(std::launch::async, [&] { server->run(); });
  if (returned.wait_for(kDeadline) != std::future_status::ready) {
    ADD_FAILURE() << "run() ignored a stop() made before it started";
    static_cast<void>(server.release());  // still in use: leaked on purpose
    std::thread([fut = std::move(returned)]() mutable { fut.wait(); }).detach();
  }
}

TEST_F(ServerTest, StopReturnsWithAnIdleKeepAliveConnection) {
  root_.write("f.txt", "keep");
  ServerOptions options = test::loopback_options(root_.path());
  options.keepalive_timeout = std::chrono::minutes(10);  // never the reason the connection ends
  // An idle connection has no response in flight: stop() must not wait out the drain timeout.
  options.drain_timeout = std::chrono::minutes(10);
  RunningServer running(options);
  test::TestClient client("127.0.0.1", running.port());
  auto response = client.request(test::make_request("GET", "/f.txt"));
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->body, "keep");
  EXPECT_FALSE(response->header("connection") == "close");
  ASSERT_TRUE(eventually([&] { return running.server().stats().connections_open == 1; }));

  EXPECT_TRUE(running.stop_and_join());
  EXPECT_TRUE(client.wait_closed(std::chrono::seconds(10)));
}

TEST_F(ServerTest, StopReturnsWithAPartialRequestBuffered) {
  ServerOptions options = test::loopback_options(root_.path());
  options.header_timeout = std::chrono::minutes(10);
  options.drain_timeout = std::chrono::minutes(10);  // a half-sent head is no response in flight
  RunningServer running(options);
  test::TestClient client("127.0.0.1", running.port());
  ASSERT_TRUE(client.send("GET /slow HTTP/1.1\r\nHost: te"));
  ASSERT_TRUE(eventually([&] { return running.server().stats().connections_open == 1; }));
  EXPECT_TRUE(running.stop_and_join());
  EXPECT_TRUE(client.wait_closed(std::chrono::seconds(10)));
}

TEST_F(ServerTest, StopReturnsAfterTheDrainTimeoutWithAStalledReader) {
  // A client that requests a large file and never reads: the response cannot finish, so run()
  // must give up once the drain timeout has passed.
  root_.write("huge.bin", patterned(32 * 1024 * 1024, 1));
  ServerOptions options = test::loopback_options(root_.path());
  options.drain_timeout = std::chrono::milliseconds(200);
  options.send_timeout = std::chrono::minutes(10);
  RunningServer running(options);

  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  int small = 4096;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(running.port());
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  const std::string request = test::make_request("GET", "/huge.bin");
  ASSERT_EQ(::send(fd, request.data(), request.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(request.size()));
  // Wait until the response has started arriving, so the server is mid-write when stopped.
  pollfd pfd{fd, POLLIN, 0};
  ASSERT_EQ(::poll(&pfd, 1, 10'000), 1);

  EXPECT_TRUE(running.stop_and_join());
  ::close(fd);
}

TEST_F(ServerTest, IdleKeepAliveConnectionIsClosedAfterItsTimeout) {
  root_.write("f.txt", "f");
  ServerOptions options = test::loopback_options(root_.path());
  options.keepalive_timeout = std::chrono::milliseconds(100);
  RunningServer running(options);
  test::TestClient client("127.0.0.1", running.port());
  auto response = client.request(test::make_request("GET", "/f.txt"));
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 200);
  EXPECT_TRUE(client.wait_closed(std::chrono::seconds(10)));
  EXPECT_TRUE(eventually([&] { return running.server().stats().connections_open == 0; }));
  EXPECT_TRUE(running.stop_and_join());
}

TEST_F(ServerTest, IncompleteHeadIsClosedAfterTheHeaderTimeout) {
  ServerOptions options = test::loopback_options(root_.path());
  options.header_timeout = std::chrono::milliseconds(100);
  RunningServer running(options);
  test::TestClient client("127.0.0.1", running.port());
  ASSERT_TRUE(client.send("GET / HTTP/1.1\r\nHost: slow"));
  EXPECT_TRUE(client.wait_closed(std::chrono::seconds(10)));
  EXPECT_TRUE(running.stop_and_join());
}

// ---- lingering close ----

// A POST announcing a body over the 100-byte limit: answered 413, the body never read.
const std::string kRefusedUpload =
    "POST /f.txt HTTP/1.1\r\nHost: test\r\nContent-Length: 10000000\r\n\r\n";

ServerOptions lingering_options(const test::TempDir& root, std::chrono::milliseconds linger) {
  ServerOptions options = test::loopback_options(root.path());
  options.max_body_bytes = 100;
  options.lingering_timeout = linger;
  options.drain_timeout = std::chrono::minutes(10);  // never what ends a test
  return options;
}

// Sends kRefusedUpload and reads its closing 413; the server then lingers on the connection.
void refuse_upload(test::TestClient& client) {
  ASSERT_TRUE(client.send(kRefusedUpload));
  auto response = client.read_response(false, std::chrono::seconds(10));
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 413);
  EXPECT_EQ(response->header("connection"), "close");
}

// Reads and drops until the server ends the stream: true for a clean end (FIN), false for a
// reset or nothing within the deadline.
bool ends_cleanly(int fd) {
  const auto deadline = Clock::now() + kDeadline;
  char buffer[16384];
  while (Clock::now() < deadline) {
    struct pollfd readable {
      fd, POLLIN, 0
    };
    if (::poll(&readable, 1, 100) <= 0) continue;
    ssize_t got = ::recv(fd, buffer, sizeof buffer, 0);
    if (got == 0) return true;
    if (got < 0) return false;
  }
  return false;
}

TEST_F(ServerTest, RefusedUploadIsReadOnUntilTheClientClosesSoNoResetFollowsThe413) {
  root_.write("f.txt", "f");
  RunningServer running(lingering_options(root_, std::chrono::minutes(10)));
  test::TestClient client("127.0.0.1", running.port());
  ASSERT_NO_FATAL_FAILURE(refuse_upload(client));
  // The client goes on uploading, as browsers do. A close with these bytes unread would answer
  // them with a reset (and a failed send here); the server reads and drops them instead.
  const std::string chunk(64 * 1024, 'u');
  for (int i = 0; i < 64; ++i) ASSERT_TRUE(client.send(chunk)) << "send " << i << ": reset";
  EXPECT_EQ(running.server().stats().connections_open, 1u);
  ASSERT_EQ(::shutdown(client.fd(), SHUT_WR), 0);
  EXPECT_TRUE(ends_cleanly(client.fd()));
  EXPECT_TRUE(eventually([&] { return running.server().stats().connections_open == 0; }));
  EXPECT_TRUE(running.stop_and_join());
}

TEST_F(ServerTest, LingeringEndsAtTheLingeringTimeout) {
  root_.write("f.txt", "f");
  RunningServer running(lingering_options(root_, std::chrono::milliseconds(1000)));
  test::TestClient client("127.0.0.1", running.port());
  ASSERT_NO_FATAL_FAILURE(refuse_upload(client));
  // The client neither sends nor closes: the server still holds the connection for a while...
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(running.server().stats().connections_open, 1u);
  // ...and not for longer than its lingering timeout.
  EXPECT_TRUE(eventually([&] { return running.server().stats().connections_open == 0; }));
  EXPECT_TRUE(running.stop_and_join());
}

TEST_F(ServerTest, AClosingResponseWithNothingUnreadClosesAtOnce) {
  // Lingering costs a syscall and an event per connection: only when the client may send more.
  root_.write("f.txt", "f");
  RunningServer running(lingering_options(root_, std::chrono::minutes(10)));
  test::TestClient client("127.0.0.1", running.port());
  auto response = client.request(test::make_request("GET", "/f.txt", "Connection: close\r\n"));
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 200);
  // The client keeps its side open: the server must not wait for it.
  EXPECT_TRUE(eventually([&] { return running.server().stats().connections_open == 0; }));
  EXPECT_TRUE(running.stop_and_join());
}

TEST_F(ServerTest, StopClosesALingeringConnectionWithoutWaitingForIt) {
  root_.write("f.txt", "f");
  RunningServer running(lingering_options(root_, std::chrono::minutes(10)));
  test::TestClient client("127.0.0.1", running.port());
  ASSERT_NO_FATAL_FAILURE(refuse_upload(client));
  EXPECT_EQ(running.server().stats().connections_open, 1u);
  // Both the lingering and the drain timeout are minutes; stop_and_join() allows 20 s.
  EXPECT_TRUE(running.stop_and_join());
}

TEST_F(ServerTest, AcceptingPausesAtMaxConnectionsAndResumes) {
  root_.write("f.txt", "f");
  ServerOptions options = test::loopback_options(root_.path());
  options.max_connections = 1;
  RunningServer running(options);
  Server& server = running.server();

  test::TestClient first("127.0.0.1", running.port());
  ASSERT_TRUE(first.request(test::make_request("GET", "/f.txt")).has_value());
  // The kernel completes the second handshake, but the server must not accept it yet.
  test::TestClient second("127.0.0.1", running.port());
  ASSERT_TRUE(second.send(test::make_request("GET", "/f.txt")));
  // One more round trip on the first connection lets the reactor run a few iterations.
  ASSERT_TRUE(first.request(test::make_request("GET", "/f.txt")).has_value());
  EXPECT_EQ(server.stats().connections_accepted, 1u);
  EXPECT_EQ(server.stats().connections_open, 1u);

  first.close();  // frees the slot: the waiting client is accepted and answered
  auto response = second.read_response();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(server.stats().connections_accepted, 2u);
  EXPECT_TRUE(running.stop_and_join());
}

TEST_F(ServerTest, AccessLogLinesAreWrittenWhenTheWorkerGoesIdle) {
  test::TempDir logs;
  root_.write("f.txt", "four");
  ServerOptions options = test::loopback_options(root_.path());
  options.access_log = logs.path() / "access.log";
  RunningServer running(options);
  test::TestClient client("127.0.0.1", running.port());
  auto response = client.request(test::make_request("GET", "/f.txt", "User-Agent: unit \"q\"\r\n"));
  ASSERT_TRUE(response.has_value());
  response = client.request(test::make_request("GET", "/missing"));
  ASSERT_TRUE(response.has_value());

  // Both lines must reach the file while the server keeps running: an idle worker flushes.
  auto log_text = [&] { return fs_read(options.access_log); };
  // The two requests may have gone to different workers, each flushing its own buffer.
  EXPECT_TRUE(eventually([&] {
    const std::string text = log_text();
    return text.find("/missing") != std::string::npos && text.find("/f.txt") != std::string::npos;
  })) << log_text();
  const std::string log = log_text();
  EXPECT_NE(log.find("127.0.0.1 - - ["), std::string::npos) << log;
  EXPECT_NE(log.find("\"GET /f.txt HTTP/1.1\" 200 4 \"-\" \"unit \\\"q\\\"\"\n"), std::string::npos)
      << log;
  EXPECT_NE(log.find("\"GET /missing HTTP/1.1\" 404 "), std::string::npos) << log;
  EXPECT_TRUE(running.stop_and_join());
}

TEST_F(ServerTest, UnwritableAccessLogThrowsNamingThePath) {
  ServerOptions options = test::loopback_options(root_.path());
  options.access_log = root_.path() / "no-such-dir" / "access.log";
  try {
    Server server(options);
    FAIL() << "an access log in a missing directory was accepted";
  } catch (const std::system_error& error) {
    EXPECT_NE(std::string(error.what()).find(options.access_log.string()), std::string::npos)
        << error.what();
  }
}

TEST_F(ServerTest, MissingRootThrowsNamingThePath) {
  ServerOptions options = test::loopback_options(root_.path());
  options.root = root_.path() / "does-not-exist";
  try {
    Server server(options);
    FAIL() << "a missing root was accepted";
  } catch (const std::system_error& error) {
    EXPECT_EQ(error.code().value(), ENOENT);
    EXPECT_NE(std::string(error.what()).find(options.root.string()), std::string::npos)
        << error.what();
  }
}

TEST_F(ServerTest, RootThatIsAFileThrows) {
  ServerOptions options = test::loopback_options(root_.path());
  options.root = root_.write("plain.txt", "not a directory");
  EXPECT_THROW(Server server(options), std::system_error);
}

TEST_F(ServerTest, BusyPortThrows) {
  Server first(test::loopback_options(root_.path()));
  ServerOptions options = test::loopback_options(root_.path());
  options.port = first.port();
  try {
    Server second(options);
    FAIL() << "a second server bound port " << first.port();
  } catch (const std::system_error& error) {
    EXPECT_EQ(error.code().value(), EADDRINUSE);
    EXPECT_NE(std::string(error.what()).find(std::to_string(first.port())), std::string::npos)
        << error.what();
  }
}

TEST_F(ServerTest, InvalidOptionsThrowInvalidArgument) {
  ServerOptions options = test::loopback_options(root_.path());
  options.max_request_line = 10;
  EXPECT_THROW(Server server(options), std::invalid_argument);
  options = test::loopback_options(root_.path());
  options.threads = 5000;
  EXPECT_THROW(Server server(options), std::invalid_argument);
  options = test::loopback_options(root_.path());
  options.max_connections = 0;
  EXPECT_THROW(Server server(options), std::invalid_argument);
}

TEST_F(ServerTest, NonNumericBindAddressThrows) {
  ServerOptions options = test::loopback_options(root_.path());
  options.bind_address = "localhost";
  EXPECT_THROW(Server server(options), std::system_error);
}

}  // namespace
}  // namespace hybrid::server
