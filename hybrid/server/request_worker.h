// The job a worker runs for a connection: answer every complete request buffered on it, in
// order, batching small responses into one send, and hand back whatever could not be written.
#pragma once

#include <atomic>
#include <cstddef>
#include <vector>

#include "hybrid/http/request_parser.h"
#include "hybrid/server/access_log.h"
#include "hybrid/server/connection.h"
#include "hybrid/server/file_responder.h"

namespace hybrid::server {

struct ResponseLimits {
  http::ParseLimits parse;
  // Files up to this size are read into the response batch and leave with their head in one
  // send; larger ones go out with sendfile (never read into memory).
  std::size_t small_file_limit = 32 * 1024;
  // Requests answered per job before the connection goes back to the reactor, so one pipelining
  // client cannot keep a worker to itself.
  int max_requests_per_job = 64;
};

class RequestWorker {
 public:
  // `draining` is read on every response: once set, responses close their connection.
  // `access_log_fd` is -1 when logging is off.
  RequestWorker(int root_fd, const ResponseLimits& limits, const std::atomic<bool>& draining,
                int access_log_fd);

  // Called with a connection whose frame_next() returned kRequest or kError. Sets its outcome.
  void serve(Connection& connection);

  // The worker is about to sleep: nothing buffered for the log may wait for the next request.
  void on_idle() { log_.flush(); }

 private:
  struct Answer {
    bool keep_alive = false;  // false: close the connection after this response
    http::Status status = http::Status::kOk;
    std::uint64_t body_bytes = 0;
  };

  // Appends one response to the batch (or sets the connection's file range).
  Answer respond(Connection& connection, Frame frame);
  Answer respond_error(http::Status status, bool keep_alive, bool head_only);
  // Sends the batch; anything unsent moves into the connection's pending output.
  FlushResult flush(Connection& connection);

  const ResponseLimits& limits_;
  const std::atomic<bool>& draining_;
  FileResponder files_;
  std::vector<char> batch_;
  std::size_t batch_size_ = 0;
  std::vector<char> location_;
  AccessLog log_;
};

}  // namespace hybrid::server
