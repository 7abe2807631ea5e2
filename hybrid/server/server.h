// hybrid's embedding API: an HTTP/1.1 server for a service's handlers and static files.
// Public, stable API (installed), with handler.h and server_stats.h.
//
//   hybrid::server::ServerOptions options;
//   options.root = "./html";                   // static files for whatever no route matches
//   options.port = 8080;
//   hybrid::server::Server server(options);    // binds and opens the root, or throws
//   server.handle("GET /api/hello", [](hybrid::server::Request&) {
//     return hybrid::server::Response::json(R"({"hello":"world"})");
//   });
//   server.run_until_signal();                 // serves until SIGINT/SIGTERM, then drains
//
// Which thread runs what: the thread in run() owns every socket through epoll — it accepts,
// reads, frames requests, collects request bodies, and finishes writes. A pool of workers
// (`threads`) behind a lock-free queue parses requests, routes them, serves static files and runs
// non-blocking handlers; a second pool (`handler_threads`) runs blocking handlers, so a slow
// database call never delays a static file. Deferred responses and streams are written by the
// reactor. The workers block SIGINT, SIGTERM, SIGHUP and the other asynchronous signals, so
// they reach the application's threads (a sigwait() thread, or run_until_signal()), never a
// worker that would not handle them.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hybrid/server/handler.h"
#include "hybrid/server/server_stats.h"

namespace hybrid::server {

// How much the server says on stderr (see diagnostic_log.h): each level includes those above it.
// info: start, drain and stop, log reopening, accepting paused; debug adds one line per
// connection that timed out or sent a request that could not be framed.
enum class LogLevel : unsigned char { kError, kWarn, kInfo, kDebug };

struct ServerOptions {
  std::string bind_address = "0.0.0.0";  // numeric IPv4 or IPv6 literal
  std::uint16_t port = 8080;             // 0: an ephemeral port (see Server::port())
  // SO_REUSEPORT: several processes (one per NUMA node, say) listen on the same port and the
  // kernel spreads connections among them. Off, a port already in use is a start-up error.
  bool reuse_port = false;
  std::filesystem::path root = "html";  // the document root; nothing outside it is served
  std::size_t threads = 0;              // workers; 0: one per hardware thread
  // Workers for blocking handlers (RouteOptions::blocking); 0: as many as `threads`. Started only
  // when such a route exists. Size it for the blocking calls in flight you want: a handler that
  // waits 10 ms on a database serves 100 requests a second per thread.
  std::size_t handler_threads = 0;
  // A request for a blocking handler that waited longer than this for a handler thread is
  // answered 503 with Retry-After instead of running late: an overloaded service says so instead
  // of queueing without bound. Requests past the queue's room (max_connections) are 503 at once.
  std::chrono::milliseconds max_queue_wait{1'000};

  std::size_t max_request_line = 8192;       // longer request line → 414
  std::size_t max_head_bytes = 16384;        // larger request head → 431
  std::size_t max_headers = 100;             // more header lines → 431 (at most 100)
  std::size_t max_connections = 10000;       // beyond it, accepting pauses until one closes
  std::size_t small_file_limit = 32 * 1024;  // larger files go out with sendfile
  // Largest request body: collected for handlers that read bodies (RouteOptions::max_body_bytes
  // overrides it per route), read and discarded elsewhere; larger: 413.
  std::uint64_t max_body_bytes = 1 << 20;

  std::chrono::milliseconds keepalive_timeout{75'000};  // idle between requests
  std::chrono::milliseconds header_timeout{30'000};     // to receive a complete request head
  std::chrono::milliseconds body_timeout{30'000};       // to receive a whole request body
  std::chrono::milliseconds send_timeout{60'000};       // without any progress writing
  // After a closing response while the client may still be sending (an unread body, a stream
  // that could not be framed): how long its bytes are read and dropped, so the close does not
  // reset the connection before the client has read the response. 0: close at once.
  std::chrono::milliseconds lingering_timeout{5'000};
  std::chrono::milliseconds drain_timeout{10'000};  // after stop(), for in-flight responses

  // Combined-format access log: empty for none, "-" for standard output, else a file appended to.
  std::filesystem::path access_log;

  // The metrics endpoint: GET of exactly this path (e.g. "/metrics") answers stats() in the
  // Prometheus text format, ahead of routes and files. Empty: none. Peers outside
  // `status_allow` (CIDR networks; empty: loopback only, 127.0.0.0/8 and ::1) get 403.
  std::string status_path;
  std::vector<std::string> status_allow;

  LogLevel log_level = LogLevel::kWarn;  // the diagnostic log on stderr

  std::string cache_control;    // Cache-Control on 200/206/304, e.g. "max-age=3600"
  bool serve_dotfiles = false;  // else paths with a ".name" segment are 404 (not .well-known)
  bool precompressed = false;   // serve file.br / file.gz to clients that accept them
  // A directory without index.html is listed (HTML; "?format=json" gives nginx's JSON): at most
  // 10 000 entries, only what a GET could fetch, dotfiles only with serve_dotfiles. Else 404.
  bool autoindex = false;
  // On-the-fly gzip of compressible files of 256 B - 1 MiB without precompressed siblings, with
  // up to this many bytes of compressed copies cached in memory (split among the workers).
  // 0: off.
  std::size_t gzip_cache_bytes = 0;
  // Small files (≤ small_file_limit) kept in memory, up to this many bytes (split among the
  // workers), validated by inotify and a stat at least once a second per file. 0: off.
  std::size_t file_cache_bytes = 32 << 20;
  std::map<int, std::filesystem::path> error_pages;  // status → HTML file (≤ 64 KiB), read once
  // Name-based virtual hosts: the site for Host h is vhosts/h/, else vhosts/default/, else 421.
  // Empty: `root` serves every host.
  std::filesystem::path vhosts;

  // HTTPS: a PEM certificate chain (the leaf first) and its unencrypted key make the listener
  // speak TLS 1.2 and 1.3 only (docs/tls.md has the policy); plain HTTP sent to it is answered
  // 400 and closed, as nginx does. With `vhosts`, a site directory holding cert.pem and key.pem
  // serves that certificate to clients naming the site (SNI); those two files are then never
  // served as content. Empty: plain HTTP. Unreadable or mismatched files fail the constructor.
  std::filesystem::path tls_certificate;
  std::filesystem::path tls_key;
  // The session-ticket key period: a ticket resumes a session for one to two periods, and keys
  // rotate in memory (tls/ticket_keys.h). An hour, as a compromise between resumption rate and
  // how long a stolen key decrypts recorded traffic.
  std::chrono::seconds tls_ticket_period{3600};
  // With TLS: a second, plain listener on this port (same address; 0: an ephemeral one, see
  // Server::redirect_port()) that answers every request 308 with its https:// URL.
  std::optional<std::uint16_t> redirect_http_port;
  // Run the workers under SCHED_BATCH (threads under the default policy only; no privilege
  // needed): a woken worker then does not preempt the reactor, so a round of requests reaches
  // it as one batch. The reactor keeps its own policy: under SCHED_BATCH it answered 1.4 ms
  // later at light load (p50 1.7 ms against 0.25 ms at 800 req/s) and made 0.64× the small-file
  // requests per second at 100 connections (benches/RESULTS.md, "Scheduling"). Turn it off when
  // the server shares its cores with latency-sensitive work.
  bool batch_scheduling = true;
};

class ServerCore;

class Server {
 public:
  // Opens the root and binds the listening socket; throws std::system_error (or
  // std::invalid_argument for bad options) with a message fit for a user.
  explicit Server(ServerOptions options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  std::uint16_t port() const;  // the bound port
  std::string url() const;     // e.g. "http://127.0.0.1:8080"
  std::size_t threads() const;
  const ServerOptions& options() const;

  // Routes, before run(). `pattern` is "METHOD /path" or "/path" (any method); a segment
  // "{name}" matches one segment and a final "{name...}" the rest. The most specific route wins
  // (left to right, a literal beats a parameter beats the rest; a method beats none); GET also
  // answers HEAD; a path that matches with another method is 405 with Allow; OPTIONS is answered
  // from the table. Throws std::invalid_argument for a malformed pattern or one that conflicts
  // with a route already registered (the same method and shape).
  void handle(std::string_view pattern, Handler handler, RouteOptions options = {});
  void handle(std::string_view pattern, SimpleHandler handler, RouteOptions options = {});
  // Serves `directory` below `prefix` (e.g. "/assets"): GET and HEAD of "/assets/x.css" send
  // directory/x.css with everything the static server does. `root` stays mounted at "/" for
  // paths no route or mount matches. Throws std::system_error when the directory cannot be opened.
  void mount(std::string_view prefix, const std::filesystem::path& directory);
  void before(BeforeHook hook);
  void after(AfterHook hook);
  void on_error(ErrorFormatter formatter);

  // Serves on the calling thread until stop(), then stops accepting, lets in-flight responses
  // and deferred handlers finish (at most drain_timeout), closes everything and joins the
  // workers. Call once.
  void run();

  // run() until SIGINT or SIGTERM arrives, then the same drain; returns the signal's number.
  // While it runs, a handler for both signals stops the server (the previous handlers and the
  // calling thread's signal mask come back afterwards); whichever thread of the process the
  // kernel picks, the server's own threads block them. One server at a time.
  int run_until_signal();

  // Any thread, and async-signal-safe: an atomic store and an eventfd write.
  void stop();

  // Any thread: opens the access log's path again, for logrotate's postrotate (hybridd does it
  // on SIGHUP). Lines written from then on go to the new file; none is lost, as the new file
  // takes the old one's descriptor. False (errno set) when the path cannot be opened: logging
  // goes on into the old file. True when there is no log file to reopen.
  bool reopen_logs();

  // Any thread: loads the TLS certificates again (hybridd does it on SIGHUP) for connections
  // accepted from then on; open connections keep theirs, and so do session tickets. False, with
  // the reason in the diagnostic log, when a file cannot be loaded: the old certificates stay.
  // True without TLS.
  bool reload_certificates();

  // The plain listener's port with redirect_http_port, else 0.
  std::uint16_t redirect_port() const;

  // What the server has done so far, summed from every thread's own counters (which cost the
  // hot path no lock and no syscall). Any thread; prometheus_text() writes it as the endpoint
  // does, for a service that serves its metrics on a route of its own.
  ServerStats stats() const;

 private:
  std::unique_ptr<ServerCore> core_;
};

}  // namespace hybrid::server
