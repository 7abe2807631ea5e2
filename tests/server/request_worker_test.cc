#include "hybrid/server/request_worker.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
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
        switch (connection_.flush_output()) {
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

}  // namespace
}  // namespace hybrid::server
