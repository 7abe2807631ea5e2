// hybrid's embedding API: a static HTTP/1.1 server in a few lines.
//
//   hybrid::server::ServerOptions options;
//   options.root = "./html";
//   options.port = 8080;
//   hybrid::server::Server server(options);   // binds and opens the root, or throws
//   std::jthread stopper([&] { wait_for_shutdown(); server.stop(); });
//   server.run();                              // serves until stop(), then drains
//
// One thread (the one calling run()) owns every socket through epoll; a fixed pool of workers
// behind a lock-free queue resolves files and writes responses.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>

namespace hybrid::server {

struct ServerOptions {
  std::string bind_address = "0.0.0.0";  // numeric IPv4 or IPv6 literal
  std::uint16_t port = 8080;             // 0: an ephemeral port (see Server::port())
  std::filesystem::path root = "html";   // the document root; nothing outside it is served
  std::size_t threads = 0;               // workers; 0: one per hardware thread

  std::size_t max_request_line = 8192;       // longer request line → 414
  std::size_t max_head_bytes = 16384;        // larger request head → 431
  std::size_t max_headers = 100;             // more header lines → 431 (at most 100)
  std::size_t max_connections = 10000;       // beyond it, accepting pauses until one closes
  std::size_t small_file_limit = 32 * 1024;  // larger files go out with sendfile
  std::uint64_t max_body_bytes = 1 << 20;    // request bodies are read and discarded; larger: 413

  std::chrono::milliseconds keepalive_timeout{75'000};  // idle between requests
  std::chrono::milliseconds header_timeout{30'000};     // to receive a complete request head
  std::chrono::milliseconds body_timeout{30'000};       // to receive a request body we skip
  std::chrono::milliseconds send_timeout{60'000};       // without any progress writing
  // After a closing response while the client may still be sending (an unread body, a stream
  // that could not be framed): how long its bytes are read and dropped, so the close does not
  // reset the connection before the client has read the response. 0: close at once.
  std::chrono::milliseconds lingering_timeout{5'000};
  std::chrono::milliseconds drain_timeout{10'000};  // after stop(), for in-flight responses

  // Combined-format access log: empty for none, "-" for standard output, else a file appended to.
  std::filesystem::path access_log;

  std::string cache_control;    // Cache-Control on 200/206/304, e.g. "max-age=3600"
  bool serve_dotfiles = false;  // else paths with a ".name" segment are 404 (not .well-known)
  bool precompressed = false;   // serve file.br / file.gz to clients that accept them
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
  // Run the workers, and the thread inside run() while it runs, under SCHED_BATCH (threads under
  // the default policy only; no privilege needed): the reactor and its workers then stop
  // preempting each other on every wake-up, and a round of requests reaches a worker as one
  // batch. Worth 25-35 % more small-file requests per second with reactor and worker on one core
  // (benches/RESULTS.md). Turn it off when the server shares its cores with latency-sensitive
  // work, which these threads would then no longer make way for at once.
  bool batch_scheduling = true;
};

// Counters, readable from any thread (relaxed: a snapshot, not a transaction).
struct ServerStats {
  std::uint64_t connections_accepted = 0;
  std::uint64_t connections_open = 0;
  std::uint64_t jobs_dispatched = 0;
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

  // Serves on the calling thread until stop(), then stops accepting, lets in-flight responses
  // finish (at most drain_timeout), closes everything and joins the workers. Call once.
  void run();

  // Any thread, and async-signal-safe: an atomic store and an eventfd write.
  void stop();

  ServerStats stats() const;

 private:
  std::unique_ptr<ServerCore> core_;
};

}  // namespace hybrid::server
