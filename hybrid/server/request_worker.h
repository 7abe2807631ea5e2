// The job a worker runs for a connection: answer every complete request buffered on it, in
// order, batching small responses into one send, and hand back whatever could not be written.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hybrid/http/body_framing.h"
#include "hybrid/http/request.h"
#include "hybrid/http/request_parser.h"
#include "hybrid/server/access_log.h"
#include "hybrid/server/connection.h"
#include "hybrid/server/document_root.h"
#include "hybrid/server/file_responder.h"
#include "hybrid/server/gzip_cache.h"
#include "hybrid/server/small_file_cache.h"
#include "hybrid/server/virtual_hosts.h"

namespace hybrid::server {

// Everything about how responses are made; fixed at start-up, read by every worker.
struct ResponseSettings {
  http::ParseLimits parse;
  http::BodyLimits body;  // request bodies are read and discarded; larger ones are 413
  // Files (and single ranges) up to this size are read into the response batch and leave with
  // their head in one send; larger ones go out with sendfile (never read into memory).
  std::size_t small_file_limit = 32 * 1024;
  // Requests answered per job before the connection goes back to the reactor, so one pipelining
  // client cannot keep a worker to itself.
  int max_requests_per_job = 64;
  std::string cache_control;  // sent on 200, 206 and 304 when not empty
  bool serve_dotfiles = false;
  bool precompressed = false;  // serve file.br / file.gz siblings to clients that accept them
  // On-the-fly gzip of compressible files (256 B – 1 MiB) when not 0: each worker caches up to
  // this many bytes of compressed copies.
  std::size_t gzip_budget = 0;
  // Each worker keeps small files (≤ small_file_limit) in memory up to this many bytes; 0: off.
  std::size_t file_cache_budget = 0;
  std::map<int, std::string> error_pages;       // status code → HTML body replacing the default
  const VirtualHosts* virtual_hosts = nullptr;  // null: one root for every host
  FileChangeMonitor* file_monitor = nullptr;    // null: cache hits are validated by stat
};

class RequestWorker {
 public:
  // `root` is read on every request: the reactor replaces it when the document root is swapped
  // and publishes null while the root is missing (answered 500); this worker holds the root it
  // last used until it sees another. `draining` is read on every response: once set, responses
  // close their connection. `access_log_fd` is -1 when logging is off.
  RequestWorker(const SharedRoot& root, const ResponseSettings& settings,
                const std::atomic<bool>& draining, int access_log_fd);

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
  struct Representation;

  // Appends one response to the batch (or sets the connection's pending body).
  Answer respond(Connection& connection, Frame frame);
  Answer respond_file(Connection& connection, const http::Request& request, FileChoice& file,
                      int root_fd, bool keep_alive);
  Answer respond_error(http::Status status, bool keep_alive, bool head_only,
                       std::span<const http::Header> headers = {});
  // Sends the batch, then the pending output; what is unsent of the batch goes ahead of that
  // output (the batch always holds the earlier responses).
  FlushResult flush(Connection& connection);
  std::span<char> batch_room() {
    return {batch_.data() + batch_size_, batch_.size() - batch_size_};
  }

  const ResponseSettings& settings_;
  const std::atomic<bool>& draining_;
  RootView root_;
  FileResponder files_;
  http::Request request_;  // the request being answered; views into the connection's input
  std::vector<char> batch_;
  std::size_t batch_size_ = 0;
  std::size_t response_room_;  // the batch space one response may need
  std::vector<char> location_;
  std::uint64_t boundary_seed_;
  AccessLog log_;
  std::optional<GzipCache> gzip_;
  std::optional<SmallFileCache> file_cache_;
};

}  // namespace hybrid::server
