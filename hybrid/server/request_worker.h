// The job a worker runs for a connection: answer every complete request buffered on it, in
// order, batching small responses into one send, and hand back whatever could not be written.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hybrid/http/body_framing.h"
#include "hybrid/http/request.h"
#include "hybrid/http/request_parser.h"
#include "hybrid/http/response_head.h"
#include "hybrid/server/access_log.h"
#include "hybrid/server/address_range.h"
#include "hybrid/server/body_buffers.h"
#include "hybrid/server/connection.h"
#include "hybrid/server/diagnostic_log.h"
#include "hybrid/server/document_root.h"
#include "hybrid/server/file_responder.h"
#include "hybrid/server/gzip_cache.h"
#include "hybrid/server/handler.h"
#include "hybrid/server/response_exchange.h"
#include "hybrid/server/server_stats.h"
#include "hybrid/server/service.h"
#include "hybrid/server/small_file_cache.h"
#include "hybrid/server/thread_metrics.h"
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
  bool autoindex = false;  // list a directory without index.html (HTML, or JSON: ?format=json)
  bool hide_site_certificates = false;  // TLS with virtual hosts: sites' cert.pem/key.pem are 404
  // Connections of the redirect listener (Connection::redirect_to_https) are sent here.
  std::uint16_t https_port = 443;
  bool precompressed = false;  // serve file.br / file.gz siblings to clients that accept them
  // On-the-fly gzip of compressible files (256 B – 1 MiB) when not 0: each worker caches up to
  // this many bytes of compressed copies.
  std::size_t gzip_budget = 0;
  // Each worker keeps small files (≤ small_file_limit) in memory up to this many bytes; 0: off.
  std::size_t file_cache_budget = 0;
  std::map<int, std::string> error_pages;       // status code → HTML body replacing the default
  const VirtualHosts* virtual_hosts = nullptr;  // null: one root for every host
  FileChangeMonitor* file_monitor = nullptr;    // null: cache hits are validated by stat
  BodyBuffers* body_buffers = nullptr;          // null: every large body is a fresh allocation
  // The metrics endpoint: its exact path (empty: none), the peers it answers (others get 403),
  // and the numbers it reports (summed from every thread's counters when asked).
  std::string status_path;
  std::vector<AddressRange> status_allow;
  std::function<ServerStats()> stats;
  const DiagnosticLog* diagnostics = nullptr;  // null: say nothing
};

// Which pool a worker belongs to: the fast lane (static files, non-blocking handlers) passes a
// blocking handler's request on to the handler lane instead of running it.
enum class Lane : unsigned char { kFast, kHandlers };

class RequestWorker final : public InlineSink {
 public:
  // `root` is read on every request: the reactor replaces it when the document root is swapped
  // and publishes null while the root is missing (answered 500); this worker holds the root it
  // last used until it sees another. `draining` is read on every response: once set, responses
  // close their connection. `access_log_fd` is -1 when logging is off. `service` (routes,
  // read-only while serving) and `answers` (told of deferred answers) outlive the worker.
  RequestWorker(const SharedRoot& root, const ResponseSettings& settings,
                const std::atomic<bool>& draining, int access_log_fd, const Service& service,
                ExchangeListener& answers, Lane lane = Lane::kFast);

  // Called with a connection whose frame_next() returned kRequest or kError. Sets its outcome.
  void serve(Connection& connection);

  // The worker is about to sleep: nothing buffered for the log may wait for the next request.
  void on_idle() { log_.flush(); }

  // This worker's counters (it writes them; any thread may read them).
  ThreadMetrics& metrics() { return metrics_; }
  // Adds them into `stats`, and this worker into `pool`; by route only when
  // `stats.requests_by_route` already lists the routes.
  void add_to(ServerStats& stats, PoolStats& pool) const;

  // InlineSink: a handler on this worker waits for its stream to reach the client.
  bool send_now(std::string& bytes, std::chrono::steady_clock::time_point deadline) override;

 private:
  // What comes after one request.
  enum class Next : unsigned char {
    kContinue,  // answered (or its answer is under way): go on with the next request
    kHandOff,   // a blocking handler's, on the fast lane: unanswered, for the handler lane
    kCollect,   // its body is still arriving: unanswered, the reactor collects the rest
    kAwait,     // its handler answers later: the reactor waits for the answer
  };
  struct Answer {
    bool keep_alive = false;  // false: close the connection after this response
    http::Status status = http::Status::kOk;
    std::uint64_t body_bytes = 0;
    Next next = Next::kContinue;
  };
  struct Representation;
  struct FileBody;
  // One file response being written: its representation, its body, and the connection's fate.
  struct FileResponse {
    const Representation& chosen;
    const FileBody& body;
    bool keep_alive;
    int version_minor;
  };

  // Appends one response to the batch (or sets the connection's pending body).
  Answer respond(Connection& connection, Frame frame);
  // Routes the request through the service's table; nullopt: not a route's (the document root
  // answers it).
  std::optional<Answer> respond_routed(Connection& connection, bool keep_alive, bool head_only);
  Answer respond_handler(Connection& connection, const Route& route, std::string_view path,
                         std::string_view query, bool keep_alive, bool head_only);
  // Static files below `mount` (none: the document root or virtual host) for `target`, the
  // request-target less `mount_prefix`.
  Answer respond_static(Connection& connection, RootDir mount, std::string_view target,
                        std::string_view mount_prefix);
  // A directory chosen for a listing: its entries as HTML, or as JSON for "?format=json".
  Answer respond_listing(Connection& connection, FileChoice& directory, int root_fd,
                         std::string_view target, std::string_view mount_prefix, bool keep_alive);
  // A file chosen for a GET or HEAD: the representation, the preconditions (304, 412), the
  // ranges (206, 416), the head, then the body from memory, the file, or file parts.
  Answer respond_file(Connection& connection, const http::Request& request, FileChoice& file,
                      int root_fd, bool keep_alive);
  // Takes the file over: a precompressed sibling or a gzip copy when the client accepts one,
  // whether a cached head fits, and the validators.
  void represent(const http::Request& request, FileChoice& file, int root_fd,
                 Representation& chosen);
  // The Range field against the representation: false when unsatisfiable (416).
  bool plan_body(const http::Request& request, const Representation& chosen, FileBody& body);
  void add_validators(http::ResponseHeadWriter& head, const Representation& chosen);
  static void add_connection(http::ResponseHeadWriter& head, bool keep_alive, int version_minor);
  void add_file_fields(http::ResponseHeadWriter& head, const FileResponse& file,
                       std::uint64_t content_length);
  // The head for `content_length` bytes of body, at most kHeadRoom long; 0 when it does not fit.
  std::size_t write_file_head(std::span<char> out, const FileResponse& file,
                              std::uint64_t content_length);
  // The body after a head written at `start` (the batch's end): into the batch, the pending
  // output, or the connection's file ranges (which then own `fd`).
  Answer emit_file_body(Connection& connection, const FileResponse& file, UniqueFd& fd, char* start,
                        std::size_t head_length);
  std::size_t emit_memory_body(Connection& connection, const FileResponse& file);
  Answer emit_read_body(int fd, const FileResponse& file, char* start, std::size_t head_length);
  void log_handler_exception(std::string_view method, std::string_view path,
                             const char* what) const;
  // The metrics endpoint (settings_.status_path), in the Prometheus text format.
  Answer respond_status(Connection& connection, bool keep_alive, bool head_only);
  // 308 to the request's https:// URL (the redirect listener's only answer).
  Answer respond_https_redirect(Connection& connection, bool keep_alive, bool head_only);
  // One step of a TLS handshake: what the reactor does next.
  Completion step_handshake(Connection& connection);
  Answer respond_error(http::Status status, bool keep_alive, bool head_only,
                       std::span<const http::Header> headers = {});
  // A handler's response (or a service error) for the current request.
  Answer emit_response(Connection& connection, Response& response, const ExchangeRequest& request);
  Answer emit_file(Connection& connection, const Response& response,
                   const ExchangeRequest& request);
  Answer emit_service_error(Connection& connection, int status, bool keep_alive, bool head_only,
                            std::string_view allow = {}, std::string_view retry_after = {});
  // Appends bytes after everything already in the batch, keeping their order on the wire.
  void emit_bytes(Connection& connection, std::string_view bytes);
  // The same for a body the worker may take over (a handler's Response::body).
  void emit_body(Connection& connection, std::string&& body);
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

  const Service& service_;
  ExchangeListener& answers_;
  const Lane lane_;
  Connection* current_ = nullptr;  // the connection serve() works on (for send_now)
  // The client may still send bytes of the request answered last (a body that will not be read,
  // or a stream that could not be framed): closing after it must linger.
  bool client_may_send_ = false;
  http::RouteParams route_params_;
  std::vector<Field> fields_;  // the handler Request's headers and parameters, reused
  std::vector<Field> params_;
  std::string decoded_path_;
  // The metrics slot of the route answering the current request: 0 for the document root (and
  // what the routing table answers itself), 1 + route id for a route or mount.
  std::size_t answered_route_ = 0;
  ThreadMetrics metrics_;
  OwnedCounter handled_;
  OwnedCounter overloaded_;
};

}  // namespace hybrid::server
