// Black-box: every concurrency model of bench_models (benches/models/) serves a file byte for
// byte (a small one inline, a 2 MiB one that fills the socket), 404 for a missing file, two
// requests on one connection where its model keeps connections (one after the other, and
// pipelined), /sleep?ms=N after N ms, and stops on SIGTERM with exit 0 and no child left.
// `fixed` is the text's first server: the same page for every request, so it has tests of its own.
#include <dirent.h>
#include <signal.h>
#include <sys/socket.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <ostream>
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

using Clock = std::chrono::steady_clock;

constexpr std::string_view kIndex = "<!DOCTYPE html><title>models</title>\n";
// More than the server's socket buffer (tcp_wmem's 4 MiB at most) and the client's small one
// (kClientReceiveBuffer) take while the client does not read.
constexpr int kClientReceiveBuffer = 64 * 1024;
constexpr std::size_t kLargeSize = 6 * 1024 * 1024;

struct Model {
  std::string_view name;
  bool keeps_connections;  // serves several requests on one connection
};

// Every model but `fixed`, in the text's order.
constexpr Model kFileModels[] = {
    {"iterative", false},       {"process", true},  {"thread", true},   {"coroutine", true},
    {"poll-nonblocking", true}, {"epoll-lt", true}, {"epoll-et", true}, {"hybrid", true},
};

void PrintTo(const Model& model, std::ostream* out) {
  *out << model.name;
}

std::string test_name(const ::testing::TestParamInfo<Model>& info) {
  std::string name(info.param.name);
  for (char& c : name) {
    if (c == '-') c = '_';
  }
  return name;
}

// The pids whose parent is `parent` and whose command is `command` (from /proc/*/stat); the
// command leaves out helpers a sanitizer runtime may start (llvm-symbolizer).
std::vector<pid_t> children_of(pid_t parent, std::string_view command) {
  std::vector<pid_t> children;
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) return children;
  while (const dirent* entry = ::readdir(proc)) {
    const std::string name = entry->d_name;
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream stat("/proc/" + name + "/stat");
    std::string line;
    if (!std::getline(stat, line)) continue;
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses; the last ')' ends it.
    const std::size_t close = line.rfind(')');
    if (close == std::string::npos) continue;
    const std::size_t open = line.find('(');
    if (open == std::string::npos || line.compare(open + 1, close - open - 1, command) != 0) {
      continue;
    }
    char state = 0;
    int ppid = 0;
    if (std::sscanf(line.c_str() + close + 1, " %c %d", &state, &ppid) == 2 && ppid == parent) {
      children.push_back(std::stoi(name));
    }
  }
  ::closedir(proc);
  return children;
}

class ModelsTest : public ::testing::TestWithParam<Model> {
 protected:
  static void SetUpTestSuite() {
    root_ = new TempDir();
    root_->write("index.html", kIndex);
    root_->write("small.txt", random_bytes(1024, 1));
  }
  static void TearDownTestSuite() {
    delete root_;
    root_ = nullptr;
  }

  void SetUp() override {
    server_ = std::make_unique<ServerProcess>(
        BENCH_MODELS_PATH,
        std::vector<std::string>{"--model", std::string(GetParam().name), "--root",
                                 root_->path().string(), "--threads", "2"});
    ASSERT_TRUE(server_->running());
  }

  std::uint16_t port() const { return server_->port(); }

  static TempDir* root_;
  std::unique_ptr<ServerProcess> server_;
};

TempDir* ModelsTest::root_ = nullptr;

TEST_P(ModelsTest, ServesSmallFileByteExact) {
  const auto response = get(port(), "/small.txt");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(media_type(response->header("Content-Type")), "text/plain");
  EXPECT_TRUE(response->body == read_file(root_->path() / "small.txt"));
}

TEST_P(ModelsTest, ServesIndexForTheRoot) {
  const auto response = get(port(), "/");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, kIndex);
}

// The client reads only after a pause, so the server's writes fill the socket and a
// non-blocking model must resume the rest when it drains.
TEST_P(ModelsTest, ServesLargeFileByteExactThroughAFullSocket) {
  const std::string content = random_bytes(kLargeSize, 2);  // here only: it takes a while
  root_->write("large.bin", content);
  TestClient client(kLoopback, port());
  // Fixed, so autotuning cannot grow it to take the whole file.
  ::setsockopt(client.fd(), SOL_SOCKET, SO_RCVBUF, &kClientReceiveBuffer,
               sizeof kClientReceiveBuffer);
  ASSERT_TRUE(client.send(make_request("GET", "/large.bin")));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const auto response = client.read_response(false, std::chrono::seconds(20));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->header("Content-Length"), std::to_string(kLargeSize));
  ASSERT_EQ(response->body.size(), kLargeSize);
  EXPECT_TRUE(response->body == content);
}

TEST_P(ModelsTest, MissingFileIs404) {
  const auto response = get(port(), "/missing.txt");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 404);
}

TEST_P(ModelsTest, PathOutsideTheRootIsRefused) {
  const auto response = get(port(), "/../../etc/passwd");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 400);
}

TEST_P(ModelsTest, KeepsTheConnectionForTwoRequestsOrSaysItCloses) {
  TestClient client(kLoopback, port());
  const auto first = client.request(make_request("GET", "/small.txt"));
  ASSERT_TRUE(first);
  EXPECT_EQ(first->status, 200);
  if (!GetParam().keeps_connections) {
    EXPECT_EQ(first->header("Connection"), "close");
    EXPECT_TRUE(client.wait_closed());
    return;
  }
  EXPECT_NE(first->header("Connection"), "close");  // HTTP/1.1 keeps it without saying so
  const auto second = client.request(make_request("GET", "/index.html"));
  ASSERT_TRUE(second);
  EXPECT_EQ(second->status, 200);
  EXPECT_EQ(second->body, kIndex);
}

TEST_P(ModelsTest, AnswersPipelinedRequestsInOrder) {
  if (!GetParam().keeps_connections) GTEST_SKIP() << "one request per connection";
  TestClient client(kLoopback, port());
  ASSERT_TRUE(client.send(make_request("GET", "/index.html") + make_request("GET", "/missing") +
                          make_request("GET", "/small.txt")));
  const auto first = client.read_response();
  const auto second = client.read_response();
  const auto third = client.read_response();
  ASSERT_TRUE(first && second && third);
  EXPECT_EQ(first->body, kIndex);
  EXPECT_EQ(second->status, 404);
  EXPECT_EQ(third->body.size(), 1024u);
}

TEST_P(ModelsTest, SleepAnswersAfterItsWork) {
  const auto start = Clock::now();
  const auto response = get(port(), "/sleep?ms=50");
  const auto elapsed = Clock::now() - start;
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "slept 50 ms\n");
  EXPECT_GE(elapsed, std::chrono::milliseconds(50));
  const auto bad = get(port(), "/sleep?ms=lots");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
}

// A connection still open (a child or a thread serving it, or a coroutine waiting) must not keep
// the model from stopping, nor leave a process behind.
TEST_P(ModelsTest, StopsOnSigtermWithAConnectionOpenAndNoChildLeft) {
  TestClient client(kLoopback, port());
  ASSERT_TRUE(client.request(make_request("GET", "/small.txt")));
  const std::vector<pid_t> children = children_of(server_->pid(), "bench_models");
  if (GetParam().name == "process") {
    EXPECT_EQ(children.size(), 1u) << "the child serving the open connection";
  }
  const int status = server_->stop(SIGTERM, std::chrono::seconds(5));
  EXPECT_TRUE(exited_zero(status)) << describe_exit(status) << "\n" << server_->output();
  for (const pid_t child : children) {
    EXPECT_NE(::kill(child, 0), 0) << "child " << child << " outlived the server";
  }
}

INSTANTIATE_TEST_SUITE_P(Models, ModelsTest, ::testing::ValuesIn(kFileModels), test_name);

class FixedModelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_.write("index.html", kIndex);
    server_ = std::make_unique<ServerProcess>(
        BENCH_MODELS_PATH,
        std::vector<std::string>{"--model", "fixed", "--root", root_.path().string()});
    ASSERT_TRUE(server_->running());
  }

  TempDir root_;
  std::unique_ptr<ServerProcess> server_;
};

// The text's first server: the same page whatever is asked, and one request per connection.
TEST_F(FixedModelTest, AnswersTheSamePageToEveryRequestAndCloses) {
  TestClient client(kLoopback, server_->port());
  const auto page = client.request(make_request("GET", "/index.html"));
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_EQ(page->header("Connection"), "close");
  EXPECT_NE(page->body, kIndex);
  EXPECT_TRUE(client.wait_closed());

  for (const char* target : {"/missing.txt", "/", "/../../etc/passwd"}) {
    const auto same = get(server_->port(), target);
    ASSERT_TRUE(same) << target;
    EXPECT_EQ(same->status, 200) << target;
    EXPECT_EQ(same->body, page->body) << target;
  }
}

TEST_F(FixedModelTest, DoesTheSleepWorkBeforeThePage) {
  const auto start = Clock::now();
  const auto response = get(server_->port(), "/sleep?ms=50");
  ASSERT_TRUE(response);
  EXPECT_GE(Clock::now() - start, std::chrono::milliseconds(50));
  EXPECT_EQ(response->status, 200);
  const int status = server_->stop(SIGTERM, std::chrono::seconds(5));
  EXPECT_TRUE(exited_zero(status)) << describe_exit(status);
}

TEST(ModelsCli, UnknownModelIsAUsageError) {
  const RunResult result = run_program(BENCH_MODELS_PATH, {"--model", "fork-bomb"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.output.find("fork-bomb"), std::string::npos) << result.output;
}

TEST(ModelsCli, MissingRootIsAStartUpError) {
  const RunResult result = run_program(BENCH_MODELS_PATH, {"--model", "epoll-et", "--port", "0",
                                                           "--root", "/nonexistent/models-root"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.output.find("/nonexistent/models-root"), std::string::npos) << result.output;
}

}  // namespace
}  // namespace hybrid::test
