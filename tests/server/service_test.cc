// The handler API in-process: mounts, hooks, the handler pool's limits, respond-later after the
// client left, and the server's threads leaving the shutdown signals to the application.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "hybrid/server/server.h"
#include "tests/support/running_server.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_client.h"

namespace hybrid::server {
namespace {

using namespace std::chrono_literals;

using test::Running;

std::optional<test::Response> get(std::uint16_t port, std::string_view target,
                                  std::string_view method = "GET", std::string_view headers = "") {
  test::TestClient client("127.0.0.1", port);
  return client.request(test::make_request(method, target, headers), method == "HEAD");
}

TEST(ServiceTest, MountServesADirectoryBelowItsPrefix) {
  test::TempDir root;
  test::TempDir assets;
  assets.write("site.css", "body{}");
  assets.mkdir("fonts");
  Server server(test::loopback_options(root.path()));
  server.mount("/assets/", assets.path());
  Running running(server);
  auto css = get(server.port(), "/assets/site.css");
  ASSERT_TRUE(css);
  EXPECT_EQ(css->status, 200);
  EXPECT_EQ(css->header("Content-Type"), "text/css; charset=utf-8");
  EXPECT_EQ(css->body, "body{}");
  auto directory = get(server.port(), "/assets/fonts?v=1");
  ASSERT_TRUE(directory);
  EXPECT_EQ(directory->status, 301);
  EXPECT_EQ(directory->header("Location"), "/assets/fonts/?v=1");
  auto post = get(server.port(), "/assets/site.css", "POST", "Content-Length: 0\r\n");
  ASSERT_TRUE(post);
  EXPECT_EQ(post->status, 405);
  EXPECT_EQ(post->header("Allow"), "GET, HEAD, OPTIONS");
  auto missing = get(server.port(), "/assets/none.css");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
}

TEST(ServiceTest, MountListsItsDirectoriesWithAutoindex) {
  test::TempDir root;
  test::TempDir assets;
  assets.write("site.css", "body{}");
  assets.write("fonts/a.woff2", "font");
  ServerOptions options = test::loopback_options(root.path());
  options.autoindex = true;
  Server server(options);
  server.mount("/assets", assets.path());
  Running running(server);
  auto top = get(server.port(), "/assets/");
  ASSERT_TRUE(top);
  EXPECT_EQ(top->status, 200);
  EXPECT_NE(top->body.find("<h1>Index of /assets/</h1>"), std::string::npos) << top->body;
  EXPECT_NE(top->body.find("<a href=\"../\">"), std::string::npos);
  EXPECT_LT(top->body.find("<a href=\"fonts/\">fonts/</a>"),
            top->body.find("<a href=\"site.css\">site.css</a>"));
  auto fonts = get(server.port(), "/assets/fonts/?format=json");
  ASSERT_TRUE(fonts);
  EXPECT_EQ(fonts->status, 200);
  EXPECT_EQ(fonts->header("Content-Type"), "application/json");
  EXPECT_NE(fonts->body.find(R"({"name":"a.woff2","type":"file",)"), std::string::npos);
  auto redirect = get(server.port(), "/assets/fonts");
  ASSERT_TRUE(redirect);
  EXPECT_EQ(redirect->header("Location"), "/assets/fonts/");
}

TEST(ServiceTest, MountPrefixMustBeAPath) {
  test::TempDir root;
  Server server(test::loopback_options(root.path()));
  EXPECT_THROW(server.mount("/", root.path()), std::invalid_argument);
  EXPECT_THROW(server.mount("assets", root.path()), std::invalid_argument);
  EXPECT_THROW(server.mount("/x", root.path() / "missing"), std::system_error);
}

TEST(ServiceTest, ConflictingRoutesAreRefusedAtRegistration) {
  test::TempDir root;
  Server server(test::loopback_options(root.path()));
  server.handle("GET /items/{id}", [](Request&) { return Response::text("a"); });
  EXPECT_THROW(server.handle("GET /items/{name}", [](Request&) { return Response::text("b"); }),
               std::invalid_argument);
  EXPECT_NO_THROW(server.handle("PUT /items/{id}", [](Request&) { return Response::text("c"); }));
}

TEST(ServiceTest, RoutesCannotChangeOnceRunning) {
  test::TempDir root;
  Server server(test::loopback_options(root.path()));
  server.handle("GET /a", [](Request&) { return Response::text("a"); });
  Running running(server);
  ASSERT_TRUE(get(server.port(), "/a"));  // run() has begun
  EXPECT_THROW(server.handle("GET /b", [](Request&) { return Response::text("b"); }),
               std::logic_error);
}

TEST(ServiceTest, BeforeHookMayAnswerAndAfterHookAddsFields) {
  test::TempDir root;
  Server server(test::loopback_options(root.path()));
  server.handle("GET /secret", [](Request&) { return Response::text("s3cr3t"); });
  server.before([](const Request& request) -> std::optional<Response> {
    if (request.header("authorization") == "Bearer ok") return std::nullopt;
    return Response::json(R"({"error":"unauthorized"})", 401);
  });
  server.after([](std::string_view method, std::string_view path, Response& response) {
    response.header("X-Seen", std::string(method) + " " + std::string(path));
  });
  Running running(server);
  auto refused = get(server.port(), "/secret");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 401);
  EXPECT_EQ(refused->body, R"({"error":"unauthorized"})");
  auto allowed = get(server.port(), "/secret", "GET", "Authorization: Bearer ok\r\n");
  ASSERT_TRUE(allowed);
  EXPECT_EQ(allowed->status, 200);
  EXPECT_EQ(allowed->body, "s3cr3t");
  EXPECT_EQ(allowed->header("X-Seen"), "GET /secret");
}

TEST(ServiceTest, UnsafeHandlerFieldBecomes500) {
  test::TempDir root;
  Server server(test::loopback_options(root.path()));
  server.handle("GET /bad", [](Request&) {
    return Response::text("x").header("X-Injected", "a\r\nSet-Cookie: evil=1");
  });
  Running running(server);
  auto response = get(server.port(), "/bad");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 500);
  EXPECT_FALSE(response->has_header("Set-Cookie"));
}

TEST(ServiceTest, DroppedResponderAnswers500) {
  test::TempDir root;
  Server server(test::loopback_options(root.path()));
  server.handle("GET /drop", [](Request&, Responder) {});
  Running running(server);
  auto response = get(server.port(), "/drop");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 500);
}

TEST(ServiceTest, ResponderForAGoneClientReportsItAndSendsNothing) {
  test::TempDir root;
  Server server(test::loopback_options(root.path()));
  std::promise<Responder> parked;
  server.handle(
      "GET /later",
      [&parked](Request&, Responder responder) { parked.set_value(std::move(responder)); },
      {.blocking = false});
  Running running(server);
  auto future = parked.get_future();
  {
    test::TestClient client("127.0.0.1", server.port());
    ASSERT_TRUE(client.send(test::make_request("GET", "/later")));
    ASSERT_EQ(future.wait_for(10s), std::future_status::ready);
  }  // the client closes before the answer
  Responder responder = future.get();
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (responder.connected() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(5ms);
  }
  EXPECT_FALSE(responder.connected());
  EXPECT_FALSE(responder.send(Response::text("too late")));
}

TEST(ServiceTest, WaitPastTheQueueLimitIs503WithRetryAfter) {
  test::TempDir root;
  ServerOptions options = test::loopback_options(root.path());
  options.handler_threads = 1;
  options.max_queue_wait = 50ms;
  Server server(options);
  server.handle("GET /slow", [](Request&) {
    std::this_thread::sleep_for(300ms);
    return Response::text("done");
  });
  Running running(server);
  std::vector<std::future<std::optional<test::Response>>> answers;
  for (int i = 0; i < 3; ++i) {
    answers.push_back(
        std::async(std::launch::async, [&server] { return get(server.port(), "/slow"); }));
  }
  int ok = 0;
  int unavailable = 0;
  for (auto& answer : answers) {
    std::optional<test::Response> response = answer.get();
    ASSERT_TRUE(response);
    if (response->status == 200) ++ok;
    if (response->status == 503) {
      ++unavailable;
      EXPECT_EQ(response->header("Retry-After"), "1");
    }
  }
  EXPECT_GE(ok, 1);
  EXPECT_GE(unavailable, 1);
  EXPECT_EQ(server.stats().overloaded, static_cast<std::uint64_t>(unavailable));
}

TEST(ServiceTest, HandlerFileGoesThroughTheStaticMachinery) {
  test::TempDir root;
  test::TempDir reports;
  const std::string content(100'000, 'r');
  const std::filesystem::path report = reports.write("report.csv", content);
  Server server(test::loopback_options(root.path()));
  server.handle("GET /report", [report](Request&) { return Response::send_file(report); });
  server.handle("GET /gone", [&reports](Request&) {
    return Response::send_file(reports.path() / "missing.csv");
  });
  Running running(server);
  auto whole = get(server.port(), "/report");
  ASSERT_TRUE(whole);
  EXPECT_EQ(whole->status, 200);
  EXPECT_EQ(whole->header("Content-Type"), "text/csv; charset=utf-8");
  EXPECT_EQ(whole->body, content);
  const std::string etag = whole->header("ETag");
  EXPECT_FALSE(etag.empty());
  auto part = get(server.port(), "/report", "GET", "Range: bytes=10-19\r\n");
  ASSERT_TRUE(part);
  EXPECT_EQ(part->status, 206);
  EXPECT_EQ(part->header("Content-Range"), "bytes 10-19/100000");
  EXPECT_EQ(part->body, content.substr(10, 10));
  auto unchanged = get(server.port(), "/report", "GET", "If-None-Match: " + etag + "\r\n");
  ASSERT_TRUE(unchanged);
  EXPECT_EQ(unchanged->status, 304);
  auto head = get(server.port(), "/report", "HEAD");
  ASSERT_TRUE(head);
  EXPECT_EQ(head->header("Content-Length"), "100000");
  EXPECT_TRUE(head->body.empty());
  auto missing = get(server.port(), "/gone");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
}

// The issue's reproduction: an application blocks SIGTERM in its own threads and sigwait()s for
// it after the Server (and its workers) exist. The kernel may pick any thread without the signal
// blocked; were a worker one of them, the process would die without draining.
TEST(ServiceSignalTest, SigtermReachesTheApplicationNotAWorker) {
  test::TempDir root;
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(ready[0]);
    ServerOptions options = test::loopback_options(root.path());
    options.threads = 4;
    Server server(options);  // the workers start here, before the application blocks anything
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    std::thread waiter([&] {
      int signal = 0;
      sigwait(&signals, &signal);
      server.stop();
    });
    const std::uint16_t port = server.port();
    if (::write(ready[1], &port, sizeof port) != sizeof port) ::_exit(3);
    server.run();
    waiter.join();
    ::_exit(0);
  }
  ::close(ready[1]);
  std::uint16_t port = 0;
  ASSERT_EQ(::read(ready[0], &port, sizeof port), static_cast<ssize_t>(sizeof port));
  ::close(ready[0]);
  // Requests keep the workers busy and awake while the signal arrives.
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(get(port, "/missing"));
  ASSERT_EQ(::kill(child, SIGTERM), 0);
  int status = 0;
  pid_t done = 0;
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while ((done = ::waitpid(child, &status, WNOHANG)) == 0 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
  }
  if (done == 0) {
    ::kill(child, SIGKILL);
    ::waitpid(child, &status, 0);
    FAIL() << "the child did not exit after SIGTERM";
  }
  ASSERT_TRUE(WIFEXITED(status)) << "killed by signal " << WTERMSIG(status);
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

}  // namespace
}  // namespace hybrid::server
