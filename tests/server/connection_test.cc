#include "hybrid/server/connection.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include "hybrid/server/server_core.h"
#include "tests/support/temp_dir.h"

namespace hybrid::server {
namespace {

using namespace std::string_view_literals;

// A real ServerCore only to satisfy Connection's constructor: the methods tested here (framing,
// flushing, stashing) never touch it. Its construction also sets SIGPIPE to ignored, which the
// sendfile path relies on.
ServerOptions core_options(const test::TempDir& root) {
  ServerOptions options;
  options.root = root.path();
  options.bind_address = "127.0.0.1";
  options.port = 0;
  options.threads = 1;
  return options;
}

std::string request_for(std::string_view target) {
  return "GET " + std::string(target) + " HTTP/1.1\r\nHost: test\r\n\r\n";
}

class ConnectionTest : public ::testing::Test {
 protected:
  ConnectionTest() {
    limits_.max_request_line = 128;
    limits_.max_head_bytes = 256;
    connection_.input_capacity = connection_input_capacity(limits_);
    connection_.input = std::make_unique<char[]>(connection_.input_capacity);
  }

  ~ConnectionTest() override {
    connection_.clear_output();
    if (connection_.fd >= 0) ::close(connection_.fd);
    if (peer_ >= 0) ::close(peer_);
  }

  // What a read from the socket would do: append to the input buffer.
  void receive(std::string_view bytes) {
    ASSERT_LE(connection_.input_size + bytes.size(), connection_.input_capacity);
    std::memcpy(connection_.input.get() + connection_.input_size, bytes.data(), bytes.size());
    connection_.input_size += bytes.size();
  }

  std::string_view buffered() const {
    return {connection_.input.get() + connection_.input_consumed,
            connection_.input_size - connection_.input_consumed};
  }

  // Connects connection_.fd (non-blocking) to peer_ (blocking) over a Unix stream pair.
  void connect_pair() {
    int fds[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
    connection_.fd = fds[0];
    peer_ = fds[1];
    ASSERT_EQ(::fcntl(connection_.fd, F_SETFL, ::fcntl(connection_.fd, F_GETFL) | O_NONBLOCK), 0);
  }

  // Everything the peer can read right now (a Unix socket's sent bytes are queued at the peer
  // by the time send() or sendfile() returns).
  std::string drain_peer() {
    std::string got;
    char chunk[65536];
    while (true) {
      pollfd pfd{peer_, POLLIN, 0};
      if (::poll(&pfd, 1, 0) != 1) break;
      ssize_t n = ::recv(peer_, chunk, sizeof chunk, MSG_DONTWAIT);
      if (n <= 0) break;
      got.append(chunk, static_cast<std::size_t>(n));
    }
    return got;
  }

  // Opens `path` for reading as the file range source.
  void set_file(const std::filesystem::path& path, off_t offset, std::uint64_t remaining) {
    connection_.file_fd.reset(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    ASSERT_GE(connection_.file_fd.get(), 0);
    connection_.file_offset = offset;
    connection_.file_remaining = remaining;
  }

  test::TempDir root_;
  ServerCore core_{core_options(root_)};
  Connection connection_{core_};
  http::ParseLimits limits_;
  http::Request request_;
  int peer_ = -1;
  OwnedCounter sent_;  // what flush_output() wrote
};

// ---- framing ----

TEST_F(ConnectionTest, EmptyBufferNeedsMore) {
  EXPECT_EQ(connection_.frame_next(limits_, request_), Frame::kNeedMore);
  EXPECT_FALSE(connection_.has_unanswered_input());
}

TEST_F(ConnectionTest, BoundsOnlyFramingFindsTheHeadWithoutParsingIt) {
  // The reactor's mode: the same bounds as a full parse, errors left to the worker's parse.
  const std::string good = request_for("/a");
  const std::string bad = "GET /b HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n";
  receive(good + bad);

  request_.target = "untouched";
  ASSERT_EQ(connection_.frame_next(limits_, request_, HeadParse::kBoundsOnly), Frame::kRequest);
  EXPECT_EQ(request_.target, "untouched");
  EXPECT_EQ(connection_.request_head_length, good.size());
  ASSERT_EQ(connection_.frame_next(limits_, request_), Frame::kRequest);  // the worker's parse
  EXPECT_EQ(request_.target, "/a");
  EXPECT_EQ(connection_.request_head_length, good.size());
  connection_.consume_request();

  ASSERT_EQ(connection_.frame_next(limits_, request_, HeadParse::kBoundsOnly), Frame::kRequest);
  EXPECT_EQ(connection_.request_head_length, bad.size());
  ASSERT_EQ(connection_.frame_next(limits_, request_), Frame::kError);
  EXPECT_EQ(connection_.frame_error, http::Status::kBadRequest);
}

TEST_F(ConnectionTest, BoundsOnlyFramingStillRefusesGarbageAtOnce) {
  receive("\x16\x03\x01\x02\x00\x01");  // a TLS ClientHello's first bytes: no head end
  EXPECT_EQ(connection_.frame_next(limits_, request_, HeadParse::kBoundsOnly), Frame::kError);
}

TEST_F(ConnectionTest, FramesPipelinedRequestsInOrder) {
  const std::string first = request_for("/a");
  const std::string second = request_for("/bb");
  receive(first + second);

  ASSERT_EQ(connection_.frame_next(limits_, request_), Frame::kRequest);
  EXPECT_EQ(request_.target, "/a");
  EXPECT_EQ(connection_.request_head_length, first.size());
  connection_.consume_request();
  EXPECT_TRUE(connection_.has_unanswered_input());

  ASSERT_EQ(connection_.frame_next(limits_, request_), Frame::kRequest);
  EXPECT_EQ(request_.target, "/bb");
  EXPECT_EQ(connection_.request_head_length, second.size());
  connection_.consume_request();
  EXPECT_FALSE(connection_.has_unanswered_input());

  EXPECT_EQ(connection_.frame_next(limits_, request_), Frame::kNeedMore);
  EXPECT_EQ(connection_.input_size, 0u);
  EXPECT_EQ(connection_.input_consumed, 0u);
}

TEST_F(ConnectionTest, FramingWithoutConsumeReturnsTheSameRequest) {
  receive(request_for("/a") + request_for("/b"));
  ASSERT_EQ(connection_.frame_next(limits_, request_), Frame::kRequest);
  ASSERT_EQ(connection_.frame_next(limits_, request_), Frame::kRequest);
  EXPECT_EQ(request_.target, "/a");
}

TEST_F(ConnectionTest, PartialHeadNeedsMoreUntilComplete) {
  const std::string request = request_for("/partial");
  receive(std::string_view(request).substr(0, 20));
  EXPECT_EQ(connection_.frame_next(limits_, request_), Frame::kNeedMore);
  receive(std::string_view(request).substr(20));
  ASSERT_EQ(connection_.frame_next(limits_, request_), Frame::kRequest);
  EXPECT_EQ(request_.target, "/partial");
  EXPECT_EQ(connection_.request_head_length, request.size());
}

TEST_F(ConnectionTest, HeadDeliveredOneByteAtATime) {
  const std::string request = request_for("/slow") + "GET /next";
  const std::size_t head = request.find("\r\n\r\n") + 4;
  for (std::size_t i = 0; i < request.size(); ++i) {
    receive(std::string_view(request).substr(i, 1));
    Frame frame = connection_.frame_next(limits_, request_);
    if (i + 1 < head) {
      ASSERT_EQ(frame, Frame::kNeedMore) << "after " << i + 1 << " bytes";
    } else {
      ASSERT_EQ(frame, Frame::kRequest) << "after " << i + 1 << " bytes";
      EXPECT_EQ(request_.target, "/slow");
      EXPECT_EQ(connection_.request_head_length, head);
    }
  }
}

TEST_F(ConnectionTest, ConsumeCompactsLeftoversToTheFront) {
  const std::string first = request_for("/a");
  receive(first + "GET /b HT");
  ASSERT_EQ(connection_.frame_next(limits_, request_), Frame::kRequest);
  connection_.consume_request();
  EXPECT_EQ(connection_.input_consumed, first.size());

  EXPECT_EQ(connection_.frame_next(limits_, request_), Frame::kNeedMore);
  EXPECT_EQ(connection_.input_consumed, 0u);
  EXPECT_EQ(connection_.input_size, 9u);
  EXPECT_EQ(buffered(), "GET /b HT");

  receive("TP/1.1\r\nHost: test\r\n\r\n");
  ASSERT_EQ(connection_.frame_next(limits_, request_), Frame::kRequest);
  EXPECT_EQ(request_.target, "/b");
  EXPECT_EQ(connection_.request_head_length, connection_.input_size);
}

TEST_F(ConnectionTest, ScanProgressRestartsAfterCompaction) {
  // A dribbled first request leaves the incremental scan far into the buffer; a complete shorter
  // request pipelined behind it, compacted to the front, must be scanned from its own start.
  const std::string first = request_for("/a-long-enough-target-to-matter");
  const std::string second = request_for("/b");
  ASSERT_LT(second.size() + 3, first.size());
  for (std::size_t i = 0; i + 1 < first.size(); ++i) {
    receive(std::string_view(first).substr(i, 1));
    ASSERT_EQ(connection_.frame_next(limits_, request_), Frame::kNeedMore);
  }
  receive(first.substr(first.size() - 1) + second);
  ASSERT_EQ(connection_.frame_next(limits_, request_), Frame::kRequest);
  EXPECT_EQ(request_.target, "/a-long-enough-target-to-matter");
  connection_.consume_request();

  ASSERT_EQ(connection_.frame_next(limits_, request_), Frame::kRequest);
  EXPECT_EQ(request_.target, "/b");
  EXPECT_EQ(connection_.request_head_length, second.size());
}

TEST_F(ConnectionTest, CompactionLetsTheBufferBeReusedBeyondItsCapacity) {
  // Many requests in sequence through one small buffer: each answered head makes room.
  for (int i = 0; i < 50; ++i) {
    const std::string target = "/file" + std::to_string(i);
    receive(request_for(target));
    ASSERT_EQ(connection_.frame_next(limits_, request_), Frame::kRequest) << i;
    EXPECT_EQ(request_.target, target);
    connection_.consume_request();
  }
  EXPECT_EQ(connection_.frame_next(limits_, request_), Frame::kNeedMore);
  EXPECT_EQ(connection_.input_size, 0u);
}

TEST_F(ConnectionTest, GarbageIsAnErrorAtOnce) {
  // The first bytes of a TLS ClientHello: refused on first sight, not after a timeout.
  receive("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"sv);
  ASSERT_EQ(connection_.frame_next(limits_, request_), Frame::kError);
  EXPECT_EQ(connection_.frame_error, http::Status::kBadRequest);
}

TEST_F(ConnectionTest, MalformedCompleteHeadIsAnError) {
  receive("GET / HTTP/1.1\r\nHost: test\r\nNo colon here\r\n\r\n");
  ASSERT_EQ(connection_.frame_next(limits_, request_), Frame::kError);
  EXPECT_EQ(connection_.frame_error, http::Status::kBadRequest);
}

TEST_F(ConnectionTest, MalformedPipelinedRequestAfterAGoodOneIsAnError) {
  receive(request_for("/ok") + "GET / HTTP/1.1\nHost: bare-lf\r\n\r\n");
  ASSERT_EQ(connection_.frame_next(limits_, request_), Frame::kRequest);
  connection_.consume_request();
  ASSERT_EQ(connection_.frame_next(limits_, request_), Frame::kError);
  EXPECT_EQ(connection_.frame_error, http::Status::kBadRequest);
}

TEST_F(ConnectionTest, FullBufferWithoutEndOfHeadIs431) {
  std::string head = "GET / HTTP/1.1\r\nHost: test\r\nX-Filler: ";
  head.append(connection_.input_capacity - head.size(), 'a');
  receive(head);
  ASSERT_EQ(connection_.input_size, connection_.input_capacity);
  ASSERT_EQ(connection_.frame_next(limits_, request_), Frame::kError);
  EXPECT_EQ(connection_.frame_error, http::Status::kRequestHeaderFieldsTooLarge);
}

TEST_F(ConnectionTest, FullBufferReachedByDribblingIs431) {
  std::string head = "GET / HTTP/1.1\r\nHost: test\r\nX-Filler: ";
  head.append(connection_.input_capacity - head.size(), 'a');
  Frame frame = Frame::kNeedMore;
  for (std::size_t i = 0; i < head.size(); i += 10) {
    receive(std::string_view(head).substr(i, 10));
    frame = connection_.frame_next(limits_, request_);
    if (connection_.input_size < connection_.input_capacity) {
      ASSERT_EQ(frame, Frame::kNeedMore) << connection_.input_size;
    }
  }
  ASSERT_EQ(frame, Frame::kError);
  EXPECT_EQ(connection_.frame_error, http::Status::kRequestHeaderFieldsTooLarge);
}

TEST_F(ConnectionTest, HeadOfExactlyTheLimitIsAccepted) {
  std::string head = "GET / HTTP/1.1\r\nHost: test\r\nX-Filler: ";
  head.append(limits_.max_head_bytes - head.size() - 4, 'a');
  head += "\r\n\r\n";
  ASSERT_EQ(head.size(), limits_.max_head_bytes);
  receive(head);
  ASSERT_EQ(connection_.frame_next(limits_, request_), Frame::kRequest);
  EXPECT_EQ(connection_.request_head_length, limits_.max_head_bytes);
}

TEST_F(ConnectionTest, HeadOneByteOverTheLimitIs431) {
  std::string head = "GET / HTTP/1.1\r\nHost: test\r\nX-Filler: ";
  head.append(limits_.max_head_bytes + 1 - head.size() - 4, 'a');
  head += "\r\n\r\n";
  receive(head);
  ASSERT_EQ(connection_.frame_next(limits_, request_), Frame::kError);
  EXPECT_EQ(connection_.frame_error, http::Status::kRequestHeaderFieldsTooLarge);
}

// ---- output ----

TEST_F(ConnectionTest, StashOutputAppendsToWhatIsPending) {
  connection_.stash_output("abc", 3);
  connection_.stash_output("def", 3);
  ASSERT_TRUE(connection_.has_pending_output());
  EXPECT_EQ(connection_.pending_bytes(), "abcdef");
  connection_.output_begin = 2;  // as if "ab" had been sent
  connection_.stash_output("g", 1);
  EXPECT_EQ(connection_.output_begin, 0u);
  EXPECT_EQ(connection_.pending_bytes(), "cdefg");
  connection_.clear_output();
  EXPECT_FALSE(connection_.has_pending_output());
  EXPECT_EQ(connection_.output.capacity(), std::string().capacity());
}

TEST_F(ConnectionTest, AStashedStringIsTakenOverWhenNothingIsPending) {
  std::string body(100'000, 'b');
  const char* storage = body.data();
  connection_.stash_output(std::move(body));
  EXPECT_EQ(connection_.output.data(), storage);  // no copy
  EXPECT_EQ(connection_.pending_bytes().size(), 100'000u);
  connection_.stash_output(std::string("tail"));  // something is pending: appended
  EXPECT_EQ(connection_.pending_bytes().size(), 100'004u);
  EXPECT_EQ(connection_.pending_bytes().substr(100'000), "tail");
}

TEST_F(ConnectionTest, StashOutputFirstGoesAheadOfWhatIsPending) {
  connection_.stash_output("body", 4);
  connection_.output_begin = 1;  // as if "b" had been sent
  connection_.stash_output_first("batch-", 6);
  EXPECT_EQ(connection_.output_begin, 0u);
  EXPECT_EQ(connection_.pending_bytes(), "batch-ody");
  connection_.clear_output();
  connection_.stash_output_first("only", 4);
  EXPECT_EQ(connection_.pending_bytes(), "only");
}

TEST_F(ConnectionTest, FlushSendsBytesThenTheFileRange) {
  connect_pair();
  std::string content;
  for (int i = 0; i < 4000; ++i) content += static_cast<char>('a' + i % 26);
  const auto path = root_.write("body.txt", content);
  const std::string head = "HTTP/1.1 200 OK\r\nContent-Length: 3990\r\n\r\n";
  connection_.stash_output(head.data(), head.size());
  set_file(path, 10, content.size() - 10);
  const int file_fd = connection_.file_fd.get();

  ASSERT_EQ(connection_.flush_output(sent_), FlushResult::kDone);
  EXPECT_FALSE(connection_.has_pending_output());
  EXPECT_EQ(connection_.file_fd.get(), -1);
  EXPECT_EQ(connection_.file_remaining, 0u);
  EXPECT_TRUE(connection_.output.empty());
  EXPECT_EQ(::fcntl(file_fd, F_GETFD), -1) << "the file was not closed";
  EXPECT_EQ(drain_peer(), head + content.substr(10));
  EXPECT_EQ(sent_.read(), head.size() + content.size() - 10) << "bytes counted as sent";
}

TEST_F(ConnectionTest, FlushStopsAtTheTurnBudgetAndResumesWhereItStopped) {
  connect_pair();
  std::string content;
  for (int i = 0; i < 3000; ++i) content += static_cast<char>('a' + i % 26);
  const auto path = root_.write("body.txt", content);
  const std::string head = "HTTP/1.1 200 OK\r\nContent-Length: 3000\r\n\r\n";
  connection_.stash_output(head.data(), head.size());
  set_file(path, 0, content.size());

  // The budget counts every byte: the head goes out whole and the file gets what is left.
  ASSERT_EQ(connection_.flush_output(sent_, 1000), FlushResult::kYielded);
  const std::size_t first_file_bytes = 1000 - head.size();
  EXPECT_EQ(connection_.file_remaining, 3000u - first_file_bytes);
  EXPECT_TRUE(connection_.has_pending_output());
  EXPECT_EQ(drain_peer(), head + content.substr(0, first_file_bytes));
  ASSERT_EQ(connection_.flush_output(sent_, 1500), FlushResult::kYielded);
  EXPECT_EQ(drain_peer(), content.substr(first_file_bytes, 1500));
  const std::size_t left = 3000 - first_file_bytes - 1500;
  ASSERT_EQ(connection_.flush_output(sent_, left + 1), FlushResult::kDone);  // done, not yielded
  EXPECT_EQ(drain_peer(), content.substr(first_file_bytes + 1500));
  EXPECT_FALSE(connection_.has_pending_output());
}

TEST_F(ConnectionTest, FlushSendsAHeadLargerThanTheBudgetWholeAndYieldsBeforeTheFile) {
  connect_pair();
  const std::string content(100, 'b');
  const auto path = root_.write("body.txt", content);
  const std::string head = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n";
  connection_.stash_output(head.data(), head.size());
  set_file(path, 0, content.size());

  ASSERT_EQ(connection_.flush_output(sent_, 10), FlushResult::kYielded);
  EXPECT_EQ(drain_peer(), head);
  EXPECT_EQ(connection_.file_remaining, 100u);
  ASSERT_EQ(connection_.flush_output(sent_, 10), FlushResult::kYielded);
  EXPECT_EQ(drain_peer(), content.substr(0, 10));
  ASSERT_EQ(connection_.flush_output(sent_), FlushResult::kDone);
  EXPECT_EQ(drain_peer(), content.substr(10));
}

TEST_F(ConnectionTest, FlushWithNothingPendingIsDone) {
  connect_pair();
  EXPECT_EQ(connection_.flush_output(sent_), FlushResult::kDone);
  EXPECT_EQ(drain_peer(), "");
}

TEST_F(ConnectionTest, FlushBlocksWhenThePeerDoesNotReadAndResumes) {
  connect_pair();
  int small = 4096;
  ASSERT_EQ(::setsockopt(connection_.fd, SOL_SOCKET, SO_SNDBUF, &small, sizeof small), 0);
  ASSERT_EQ(::setsockopt(peer_, SOL_SOCKET, SO_RCVBUF, &small, sizeof small), 0);

  std::string bytes(256 * 1024, '\0');
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>(i * 7 % 251);
  std::string content(512 * 1024, '\0');
  for (std::size_t i = 0; i < content.size(); ++i) content[i] = static_cast<char>(i * 13 % 241);
  const auto path = root_.write("large.bin", content);
  connection_.stash_output(bytes.data(), bytes.size());
  set_file(path, 0, content.size());

  ASSERT_EQ(connection_.flush_output(sent_), FlushResult::kBlocked);
  EXPECT_TRUE(connection_.has_pending_output());
  EXPECT_EQ(connection_.file_remaining, content.size());  // still on the bytes

  // The reactor's EPOLLOUT loop: read some, flush again, until done.
  std::string received;
  FlushResult result = FlushResult::kBlocked;
  bool saw_file_blocked = false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (result == FlushResult::kBlocked && std::chrono::steady_clock::now() < deadline) {
    received += drain_peer();
    result = connection_.flush_output(sent_);
    if (result == FlushResult::kBlocked && connection_.output.empty() &&
        connection_.file_remaining < content.size() && connection_.file_remaining > 0) {
      saw_file_blocked = true;
      EXPECT_EQ(static_cast<std::uint64_t>(connection_.file_offset) + connection_.file_remaining,
                content.size());
    }
  }
  ASSERT_EQ(result, FlushResult::kDone);
  EXPECT_TRUE(saw_file_blocked) << "sendfile never blocked part-way through the file";
  received += drain_peer();
  ASSERT_EQ(received.size(), bytes.size() + content.size());
  EXPECT_TRUE(received == bytes + content) << "bytes arrived out of order or corrupted";
  EXPECT_FALSE(connection_.has_pending_output());
}

TEST_F(ConnectionTest, FlushFailsWhenTheFileShrank) {
  connect_pair();
  const std::string content(100, 'z');
  const auto path = root_.write("short.txt", content);
  set_file(path, 0, 200);  // the length announced was 200
  EXPECT_EQ(connection_.flush_output(sent_), FlushResult::kFailed);
  EXPECT_EQ(drain_peer(), content);  // what existed was sent; the caller then closes
}

TEST_F(ConnectionTest, FlushFailsWhenThePeerIsGone) {
  connect_pair();
  ::close(peer_);
  peer_ = -1;
  connection_.stash_output("hello", 5);
  EXPECT_EQ(connection_.flush_output(sent_), FlushResult::kFailed);
}

TEST_F(ConnectionTest, FlushOfAFileToAGonePeerFailsWithoutSigpipe) {
  connect_pair();
  ::close(peer_);
  peer_ = -1;
  const auto path = root_.write("file.txt", std::string(1000, 'q'));
  set_file(path, 0, 1000);
  EXPECT_EQ(connection_.flush_output(sent_), FlushResult::kFailed);  // and the process is alive
}

}  // namespace
}  // namespace hybrid::server
