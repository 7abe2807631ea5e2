#include "hybrid/server/request_worker.h"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

#include "hybrid/http/http_date.h"
#include "hybrid/http/request_rules.h"
#include "hybrid/http/response_head.h"

namespace hybrid::server {
namespace {

constexpr std::size_t kHeadRoom = 1024;       // the largest head a 200 can have
constexpr std::size_t kErrorRoom = 2048;      // an error response with its default body
constexpr std::size_t kBatchedResponses = 4;  // small responses one batch holds at least

}  // namespace

RequestWorker::RequestWorker(int root_fd, const ResponseLimits& limits,
                             const std::atomic<bool>& draining, int access_log_fd)
    : limits_(limits),
      draining_(draining),
      files_(root_fd, limits.parse.max_request_line),
      batch_(kBatchedResponses * (kHeadRoom + limits.small_file_limit) + kErrorRoom),
      location_(3 * limits.parse.max_request_line + 16),
      log_(access_log_fd) {}

void RequestWorker::serve(Connection& connection) {
  const std::size_t room = std::max(kErrorRoom, kHeadRoom + limits_.small_file_limit);
  Frame frame = connection.frame;
  bool keep_open = true;
  FlushResult flushed = FlushResult::kDone;
  for (int answered = 1;; ++answered) {
    if (batch_.size() - batch_size_ < room) {
      flushed = flush(connection);
      if (flushed != FlushResult::kDone) break;  // this request stays buffered, unanswered
    }
    Answer answer = respond(connection, frame);
    keep_open = answer.keep_alive;
    if (log_.enabled()) {
      log_.record(connection.peer, frame == Frame::kRequest ? &connection.request : nullptr,
                  answer.status, answer.body_bytes);
    }
    if (connection.file_remaining > 0) {
      flushed = flush(connection);
      if (flushed != FlushResult::kDone) break;
    }
    if (!keep_open || answered >= limits_.max_requests_per_job) break;
    frame = connection.frame_next(limits_.parse);
    if (frame == Frame::kNeedMore) break;
  }
  if (flushed == FlushResult::kDone) flushed = flush(connection);

  switch (flushed) {
    case FlushResult::kFailed:
      connection.outcome = Outcome::kClose;
      break;
    case FlushResult::kBlocked:
      connection.close_after_output = !keep_open;
      connection.outcome = Outcome::kWantWrite;
      break;
    case FlushResult::kDone:
      connection.outcome = keep_open ? Outcome::kIdle : Outcome::kClose;
      break;
  }
}

RequestWorker::Answer RequestWorker::respond(Connection& connection, Frame frame) {
  if (frame == Frame::kError) {
    // A request we could not frame leaves the stream in an unknown state: answer and close.
    return respond_error(connection.frame_error, false, false);
  }
  const http::Request& request = connection.request;
  connection.consume_request();  // the views stay valid until the next frame_next()
  const bool head_only = request.method == http::Method::kHead;
  bool keep_alive = http::wants_keep_alive(request) && !http::has_body(request) &&
                    !draining_.load(std::memory_order_relaxed);

  if (http::Status verdict = http::check_request(request); verdict != http::Status::kOk) {
    bool framing_known =
        verdict == http::Status::kMethodNotAllowed || verdict == http::Status::kNotImplemented;
    return respond_error(verdict, keep_alive && framing_known, head_only);
  }

  FileChoice file = files_.choose(request.target, location_);
  if (file.status == http::Status::kMovedPermanently) {
    http::ErrorResponseOptions options{.keep_alive = keep_alive,
                                       .head_only = head_only,
                                       .location = {location_.data(), file.location_length},
                                       .date = http::http_date_now()};
    batch_size_ += http::build_error_response(
        std::span(batch_.data() + batch_size_, batch_.size() - batch_size_), file.status, options);
    return {keep_alive, file.status, 0};
  }
  if (file.status != http::Status::kOk) {
    return respond_error(file.status, keep_alive && file.status != http::Status::kBadRequest,
                         head_only);
  }

  auto write_head = [&](char* out, std::uint64_t length) {
    http::ResponseHeadWriter head(std::span(out, kHeadRoom), http::Status::kOk,
                                  http::http_date_now());
    head.header("Content-Type", file.content_type)
        .header("Content-Length", length)
        .header("X-Content-Type-Options", "nosniff");
    if (!keep_alive) {
      head.header("Connection", "close");
    } else if (request.version_minor == 0) {
      head.header("Connection", "keep-alive");
    }
    return head.finish();
  };

  const auto size = static_cast<std::uint64_t>(file.st.st_size);
  char* start = batch_.data() + batch_size_;
  std::size_t head_length = write_head(start, size);
  if (head_length == 0) {
    ::close(file.fd);
    return respond_error(http::Status::kInternalServerError, false, head_only);
  }
  if (head_only) {
    ::close(file.fd);
    batch_size_ += head_length;
    return {keep_alive, http::Status::kOk, 0};
  }
  if (size > limits_.small_file_limit) {
    batch_size_ += head_length;
    connection.file_fd = file.fd;  // the connection owns it now; flush_output() closes it
    connection.file_offset = 0;
    connection.file_remaining = size;
    return {keep_alive, http::Status::kOk, size};
  }

  std::size_t got = 0;
  while (got < size) {
    ssize_t n = ::pread(file.fd, start + head_length + got, size - got, static_cast<off_t>(got));
    if (n > 0) {
      got += static_cast<std::size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      break;
    }
  }
  ::close(file.fd);
  if (got < size) {
    // The file shrank between fstat and read: describe what was actually read.
    std::array<char, kHeadRoom> fixed;
    std::size_t fixed_length = write_head(fixed.data(), got);
    std::memmove(start + fixed_length, start + head_length, got);
    std::memcpy(start, fixed.data(), fixed_length);
    head_length = fixed_length;
  }
  batch_size_ += head_length + got;
  return {keep_alive, http::Status::kOk, got};
}

RequestWorker::Answer RequestWorker::respond_error(http::Status status, bool keep_alive,
                                                   bool head_only) {
  http::ErrorResponseOptions options{
      .keep_alive = keep_alive,
      .head_only = head_only,
      .allow = status == http::Status::kMethodNotAllowed ? http::kAllowedMethods : "",
      .date = http::http_date_now()};
  std::size_t length = http::build_error_response(
      std::span(batch_.data() + batch_size_, batch_.size() - batch_size_), status, options);
  batch_size_ += length;
  return {keep_alive, status, head_only ? 0 : http::default_body(status).size()};
}

FlushResult RequestWorker::flush(Connection& connection) {
  std::size_t sent_total = 0;
  while (sent_total < batch_size_) {
    int flags = MSG_NOSIGNAL | (connection.file_remaining > 0 ? MSG_MORE : 0);
    ssize_t sent =
        ::send(connection.fd, batch_.data() + sent_total, batch_size_ - sent_total, flags);
    if (sent > 0) {
      sent_total += static_cast<std::size_t>(sent);
    } else if (sent < 0 && errno == EINTR) {
      continue;
    } else if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      connection.stash_output(batch_.data() + sent_total, batch_size_ - sent_total);
      batch_size_ = 0;
      return FlushResult::kBlocked;
    } else {
      batch_size_ = 0;
      return FlushResult::kFailed;
    }
  }
  batch_size_ = 0;
  return connection.flush_output();
}

}  // namespace hybrid::server
