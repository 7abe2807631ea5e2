#include "hybrid/server/request_worker.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "hybrid/http/gzip.h"
#include "hybrid/server/server_core.h"
#include "tests/support/temp_dir.h"

namespace hybrid::server {
namespace {

// A real ServerCore only to satisfy Connection's constructor; the worker never touches it.
ServerOptions core_options(const test::TempDir& root) {
  ServerOptions options;
  options.root = root.path();
  options.bind_address = "127.0.0.1";
  options.port = 0;
  options.threads = 1;
  return options;
}

std::string patterned(std::size_t size, unsigned seed) {
  std::string bytes(size, '\0');
  for (std::size_t i = 0; i < size; ++i) bytes[i] = static_cast<char>((i * 31 + seed) % 253);
  return bytes;
}

std::string request_for(std::string_view target, std::string_view extra_headers = "") {
  return "GET " + std::string(target) + " HTTP/1.1\r\nHost: test\r\n" + std::string(extra_headers) +
         "\r\n";
}

struct Reply {
  std::string head;
  std::string body;
};

// Splits a stream of responses framed by Content-Length; stops at the first bytes that are not a
// complete response, so a stream out of order yields fewer replies than were sent.
std::vector<Reply> split_replies(std::string_view stream) {
  std::vector<Reply> replies;
  while (stream.starts_with("HTTP/1.1 ")) {
    const std::size_t head_end = stream.find("\r\n\r\n");
    if (head_end == std::string_view::npos) break;
    const std::string_view head = stream.substr(0, head_end + 4);
    const std::size_t field = head.find("\r\nContent-Length: ");
    if (field == std::string_view::npos) break;
    const std::size_t length = std::stoul(std::string(head.substr(field + 18)));
    if (head.size() + length > stream.size()) break;
    replies.push_back({std::string(head), std::string(stream.substr(head.size(), length))});
    stream.remove_prefix(head.size() + length);
  }
  return replies;
}

// Every response of `stream` with its Date value and multipart boundaries blanked: the bytes two
// workers must agree on.
std::string without_dates_and_boundaries(std::string stream) {
  for (std::size_t at = 0; (at = stream.find("\r\nDate: ", at)) != std::string::npos;) {
    at += 8;
    stream.replace(at, stream.find('\r', at) - at, "-");
  }
  constexpr std::string_view kBoundary = "boundary=";
  for (std::size_t at = 0; (at = stream.find(kBoundary, at)) != std::string::npos;) {
    at += kBoundary.size();
    const std::string boundary = stream.substr(at, stream.find('\r', at) - at);
    const std::string blank(boundary.size(), 'B');
    for (std::size_t use = 0; (use = stream.find(boundary, use)) != std::string::npos;) {
      stream.replace(use, boundary.size(), blank);
    }
  }
  return stream;
}

// A RequestWorker answering a Connection whose socket is one end of a Unix stream pair; the test
// reads the other end and plays the reactor (finishing pending output, serving again).
class RequestWorkerTest : public ::testing::Test {
 protected:
  ~RequestWorkerTest() override {
    connection_.clear_output();
    if (connection_.fd >= 0) ::close(connection_.fd);
    if (peer_ >= 0) ::close(peer_);
  }

  void SetUp() override {
    int fds[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
    connection_.fd = fds[0];
    peer_ = fds[1];
    ASSERT_EQ(::fcntl(connection_.fd, F_SETFL, ::fcntl(connection_.fd, F_GETFL) | O_NONBLOCK), 0);
  }

  // A send buffer so small that any batch blocks part-way until the peer reads.
  void shrink_send_buffer() {
    int small = 4096;
    ASSERT_EQ(::setsockopt(connection_.fd, SOL_SOCKET, SO_SNDBUF, &small, sizeof small), 0);
    ASSERT_EQ(::setsockopt(peer_, SOL_SOCKET, SO_RCVBUF, &small, sizeof small), 0);
  }

  std::string drain_peer() {
    std::string got;
    char chunk[65536];
    while (true) {
      ssize_t n = ::recv(peer_, chunk, sizeof chunk, MSG_DONTWAIT);
      if (n <= 0) break;
      got.append(chunk, static_cast<std::size_t>(n));
    }
    return got;
  }

  // Buffers `requests` (pipelined) on the connection and plays the reactor until every one is
  // answered or the connection is to close; returns every byte the client received.
  std::string exchange(std::string_view requests) {
    const std::size_t capacity = connection_input_capacity(settings_.parse);
    if (connection_.input == nullptr) {
      connection_.input = std::make_unique<char[]>(capacity);
      connection_.input_capacity = capacity;
    }
    EXPECT_LE(connection_.input_size + requests.size(), capacity);
    std::memcpy(connection_.input.get() + connection_.input_size, requests.data(), requests.size());
    connection_.input_size += requests.size();

    if (!worker_) worker_.emplace(root_, settings_, draining_, -1, service_, core_);
    std::string received;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline) {
      worker_->serve(connection_);
      Completion& completion = connection_.completion;
      while (completion.outcome == Outcome::kWantWrite ||
             completion.outcome == Outcome::kWriteMore) {
        if (std::chrono::steady_clock::now() > deadline) break;
        received += drain_peer();
        switch (connection_.flush_output(reactor_sent_)) {
          case FlushResult::kDone:
            completion.outcome = Outcome::kDone;
            break;
          case FlushResult::kFailed:
            completion.outcome = Outcome::kAbort;
            break;
          case FlushResult::kBlocked:
          case FlushResult::kYielded:
            break;
        }
      }
      if (completion.outcome != Outcome::kDone || completion.after != AfterOutput::kKeepOpen) {
        break;
      }
      http::Request scratch;
      if (connection_.frame_next(settings_.parse, scratch, HeadParse::kBoundsOnly) !=
          Frame::kRequest) {
        break;
      }
    }
    received += drain_peer();
    return received;
  }

  test::TempDir root_dir_;
  ServerCore core_{core_options(root_dir_)};
  Connection connection_{core_};
  int peer_ = -1;
  SharedRoot root_;
  std::atomic<bool> draining_{false};
  ResponseSettings settings_;
  Service service_;  // no routes: the whole site is the root
  std::optional<RequestWorker> worker_;
  OwnedCounter reactor_sent_;  // what this test, standing in for the reactor, wrote

  void use_root() { root_.publish(DocumentRoot::open(root_dir_.path())); }
};

TEST_F(RequestWorkerTest, AnInMemoryBodyThatMissesTheBatchStillFollowsIt) {
  // Three small files fill most of the batch; the fourth response is a gzip copy held in memory,
  // larger than what is left of it. Sending the batch blocks part-way: its rest must still
  // precede the gzip body on the wire.
  std::vector<std::string> small;
  std::string requests;
  for (unsigned i = 0; i < 3; ++i) {
    small.push_back(patterned(30'000, i + 1));
    root_dir_.write("s" + std::to_string(i) + ".bin", small.back());
    requests += request_for("/s" + std::to_string(i) + ".bin");
  }
  std::string text;
  std::mt19937_64 engine(7);
  while (text.size() < 300'000) text += std::to_string(engine()) + '\n';
  root_dir_.write("big.txt", text);
  requests += request_for("/big.txt", "Accept-Encoding: gzip\r\n");
  const std::optional<std::string> gzipped = http::gzip_compress(text);
  ASSERT_TRUE(gzipped.has_value());

  settings_.gzip_budget = 8 << 20;
  use_root();
  shrink_send_buffer();
  const std::string received = exchange(requests);
  const std::vector<Reply> replies = split_replies(received);

  ASSERT_EQ(replies.size(), 4u) << "the response stream is out of order: the gzip body starts at "
                                << received.find(gzipped->substr(0, 64)) << " of "
                                << received.size() << " bytes";
  for (unsigned i = 0; i < 3; ++i) EXPECT_TRUE(replies[i].body == small[i]) << "body " << i;
  EXPECT_NE(replies[3].head.find("Content-Encoding: gzip"), std::string::npos) << replies[3].head;
  EXPECT_TRUE(replies[3].body == *gzipped) << "gzip body differs";
}

TEST_F(RequestWorkerTest, ARedirectWhoseLocationOutgrowsTheBatchRoomStillGoesOut) {
  // A small-file limit of 1 KiB keeps the batch small (4 × 2.6 KiB); a directory whose
  // percent-encoded path is ~5.5 KiB makes each 301 larger than half of it. The first 301 fits
  // the empty batch, the second does not fit what is left — yet must be sent, and the
  // connection must go on answering.
  std::string target;
  for (int level = 0; level < 12; ++level) {
    target += "/d";
    for (int i = 0; i < 150; ++i) target += "%20";
  }
  std::filesystem::path directory = root_dir_.path();
  for (int level = 0; level < 12; ++level) directory /= "d" + std::string(150, ' ');
  std::filesystem::create_directories(directory);
  root_dir_.write("f.txt", "after");

  settings_.small_file_limit = 1024;
  use_root();
  const std::string received =
      exchange(request_for(target) + request_for(target) + request_for("/f.txt"));
  const std::vector<Reply> replies = split_replies(received);

  std::string status_lines;
  for (const Reply& reply : replies)
    status_lines += reply.head.substr(0, reply.head.find('\r')) + "; ";
  ASSERT_EQ(replies.size(), 3u) << status_lines;
  for (int i = 0; i < 2; ++i) {
    EXPECT_TRUE(replies[i].head.starts_with("HTTP/1.1 301 ")) << replies[i].head.substr(0, 40);
    EXPECT_NE(replies[i].head.find("\r\nLocation: " + target + "/\r\n"), std::string::npos);
  }
  EXPECT_TRUE(replies[2].head.starts_with("HTTP/1.1 200 "));
  EXPECT_EQ(replies[2].body, "after");
}

TEST_F(RequestWorkerTest, ACachedFileAnswersRangesAsTheFileOnDiskDoes) {
  // The small-file cache serves from memory: its single ranges, multipart/byteranges bodies
  // (built in memory, not by the connection from the file), 416s and HEADs must be the bytes the
  // same file gets from disk.
  const std::string content = patterned(3000, 5);
  const auto path = root_dir_.write("page.txt", content);
  const timespec old_enough[2] = {{::time(nullptr) - 3600, 0}, {::time(nullptr) - 3600, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), old_enough, 0), 0);  // else too new to cache
  const std::string requests =
      request_for("/page.txt", "Range: bytes=1-3\r\n") +
      request_for("/page.txt", "Range: bytes=0-9,100-199,-5\r\n") +
      "HEAD /page.txt HTTP/1.1\r\nHost: test\r\nRange: bytes=0-9,100-199\r\n\r\n" +
      request_for("/page.txt", "Range: bytes=5000-\r\n") + request_for("/page.txt") +
      request_for("/page.txt");  // the second whole 200 reuses the head fields the first rendered
  use_root();
  const std::string from_disk = without_dates_and_boundaries(exchange(requests));
  std::size_t responses = 0;  // split_replies() cannot frame a HEAD's head
  for (std::size_t at = 0; (at = from_disk.find("HTTP/1.1 ", at)) != std::string::npos; ++at) {
    ++responses;
  }
  ASSERT_EQ(responses, 6u) << from_disk.substr(0, 2000);
  EXPECT_NE(from_disk.find("HTTP/1.1 206 "), std::string::npos);
  EXPECT_NE(from_disk.find("multipart/byteranges"), std::string::npos);
  EXPECT_NE(from_disk.find("HTTP/1.1 416 "), std::string::npos);

  worker_.reset();
  settings_.file_cache_budget = 1 << 20;
  const std::string from_memory = without_dates_and_boundaries(exchange(requests));
  const auto differ =
      std::mismatch(from_memory.begin(), from_memory.end(), from_disk.begin(), from_disk.end());
  EXPECT_TRUE(from_memory == from_disk)
      << "from byte " << (differ.first - from_memory.begin()) << ":\n"
      << from_memory.substr(static_cast<std::size_t>(differ.first - from_memory.begin()), 300);
}

TEST_F(RequestWorkerTest, RangesOfAnOnTheFlyGzipCopyAreRangesOfTheCompressedBytes) {
  // RFC 9110 §14.2: ranges apply to the selected representation, here a gzip copy in memory.
  std::string text;
  for (int i = 0; i < 2000; ++i) text += "line " + std::to_string(i) + "\n";
  root_dir_.write("doc.txt", text);
  const std::optional<std::string> gzipped = http::gzip_compress(text);
  ASSERT_TRUE(gzipped.has_value());
  ASSERT_GT(gzipped->size(), 300u);
  const std::string size = std::to_string(gzipped->size());
  settings_.gzip_budget = 8 << 20;
  use_root();
  const std::string received =
      exchange(request_for("/doc.txt", "Accept-Encoding: gzip\r\nRange: bytes=10-19,200-299\r\n") +
               request_for("/doc.txt", "Accept-Encoding: gzip\r\nRange: bytes=5-9\r\n") +
               request_for("/doc.txt", "Accept-Encoding: gzip\r\nRange: bytes=" + size + "-\r\n"));
  const std::vector<Reply> replies = split_replies(received);
  ASSERT_EQ(replies.size(), 3u) << received.substr(0, 2000);

  EXPECT_TRUE(replies[0].head.starts_with("HTTP/1.1 206 ")) << replies[0].head;
  EXPECT_NE(replies[0].head.find("Content-Type: multipart/byteranges; boundary="),
            std::string::npos);
  EXPECT_NE(replies[0].head.find("Content-Encoding: gzip"), std::string::npos);
  EXPECT_NE(replies[0].body.find("Content-Range: bytes 10-19/" + size + "\r\n\r\n" +
                                 gzipped->substr(10, 10) + "\r\n--"),
            std::string::npos);
  EXPECT_NE(replies[0].body.find("Content-Range: bytes 200-299/" + size + "\r\n\r\n" +
                                 gzipped->substr(200, 100) + "\r\n--"),
            std::string::npos);
  EXPECT_TRUE(replies[0].body.ends_with("--\r\n"));

  EXPECT_TRUE(replies[1].head.starts_with("HTTP/1.1 206 ")) << replies[1].head;
  EXPECT_NE(replies[1].head.find("\r\nContent-Range: bytes 5-9/" + size + "\r\n"),
            std::string::npos);
  EXPECT_TRUE(replies[1].body == gzipped->substr(5, 5));

  EXPECT_TRUE(replies[2].head.starts_with("HTTP/1.1 416 ")) << replies[2].head;
  EXPECT_NE(replies[2].head.find("\r\nContent-Range: bytes */" + size + "\r\n"), std::string::npos);
}

// A sysfs attribute is a regular file whose stat promises 4096 bytes and whose read gives a few:
// the same as a file that shrank between fstat and read, without a race to win.
constexpr const char* kShortFile = "/sys/devices/system/cpu/online";

TEST_F(RequestWorkerTest, ASmallFileThatShrankBeforeItsReadIsSentAsRead) {
  struct stat st {};
  const std::string actual = [] {
    std::string bytes(8192, '\0');
    const int fd = ::open(kShortFile, O_RDONLY | O_CLOEXEC);
    const ssize_t got = fd >= 0 ? ::read(fd, bytes.data(), bytes.size()) : -1;
    if (fd >= 0) ::close(fd);
    bytes.resize(got > 0 ? static_cast<std::size_t>(got) : 0);
    return bytes;
  }();
  if (::stat(kShortFile, &st) != 0 || !S_ISREG(st.st_mode) || actual.empty() ||
      static_cast<std::size_t>(st.st_size) <= actual.size() + 100 ||
      static_cast<std::size_t>(st.st_size) > settings_.small_file_limit) {
    GTEST_SKIP() << kShortFile << " is not a short sysfs file here";
  }
  RouteOptions options;
  options.blocking = false;
  service_.add_route(
      "GET /short", [](Request&) { return Response::send_file(kShortFile); }, options);
  service_.add_route(
      "GET /after", [](Request&) { return Response::text("after"); }, options);

  // Whole: the head is rewritten for what was read, and the connection goes on.
  std::string received = exchange(request_for("/short") + request_for("/after"));
  std::vector<Reply> replies = split_replies(received);
  ASSERT_EQ(replies.size(), 2u) << received;
  EXPECT_TRUE(replies[0].head.starts_with("HTTP/1.1 200 ")) << replies[0].head;
  EXPECT_NE(replies[0].head.find("\r\nContent-Length: " + std::to_string(actual.size()) + "\r\n"),
            std::string::npos)
      << replies[0].head;
  EXPECT_EQ(replies[0].body, actual);
  EXPECT_EQ(replies[1].body, "after");

  // A range whose bytes are gone cannot keep its Content-Range: 500, and the connection closes.
  received = exchange(request_for("/short", "Range: bytes=0-99\r\n") + request_for("/after"));
  replies = split_replies(received);
  ASSERT_EQ(replies.size(), 1u) << received;
  EXPECT_TRUE(replies[0].head.starts_with("HTTP/1.1 500 ")) << replies[0].head;
  EXPECT_NE(replies[0].head.find("\r\nConnection: close\r\n"), std::string::npos);
  EXPECT_EQ(connection_.completion.after, AfterOutput::kClose);
}

}  // namespace
}  // namespace hybrid::server
