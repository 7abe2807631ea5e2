// hybridd: the command-line server. It only turns flags (and a config file) into ServerOptions,
// wires signals to Server::stop() and Server::reopen_logs(), drops root to --user once the
// Server has bound, and reports start-up failures once.
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>
#include <optional>
#include <sstream>
#include <string>
#include <thread>

#include "hybrid/server/diagnostic_log.h"
#include "hybrid/server/privileges.h"
#include "hybrid/server/server.h"
#include "hybrid/version.h"

namespace {

using hybrid::server::ServerOptions;

void add_seconds_option(CLI::App& app, const char* name, std::chrono::milliseconds& target,
                        const char* help, double minimum = 0.001) {
  app.add_option_function<double>(
         name,
         [&target](double seconds) {
           target = std::chrono::milliseconds(static_cast<long long>(seconds * 1000));
         },
         help)
      ->check(CLI::Range(minimum, 86400.0))
      ->default_str(std::to_string(target.count() / 1000));
}

// Who serves, decided before binding so a mistake costs no port: root drops to `user` after
// binding; root on a privileged port without it is refused, since that is how every request ends
// up served as root by accident. Returns 0 to go on, with `drop_to` set when there is a user to
// drop to, else the exit code (the message is printed).
int decide_who_serves(const std::string& user, bool allow_root, std::uint16_t port,
                      std::optional<hybrid::server::UserAccount>& drop_to) {
  const bool as_root = ::geteuid() == 0;
  if (user.empty()) {
    if (!as_root || allow_root) return 0;
    if (hybrid::server::is_privileged_port(port)) {
      std::fprintf(stderr,
                   "hybridd: refusing to serve as root on port %u: pass --user NAME to drop to "
                   "that user after binding, or --allow-root to serve as root anyway\n",
                   static_cast<unsigned>(port));
      return 2;
    }
    std::fprintf(stderr,
                 "hybridd: warning: serving as root; --user NAME drops to that user after "
                 "binding (--allow-root silences this)\n");
    return 0;
  }
  try {
    drop_to = hybrid::server::find_user(user);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "hybridd: error: %s\n", error.what());
    return 1;
  }
  if (!drop_to) {
    std::fprintf(stderr, "hybridd: no such user '%s'\n", user.c_str());
    return 2;
  }
  if (drop_to->uid == 0) {
    std::fprintf(stderr, "hybridd: --user '%s' is root; name an unprivileged user\n", user.c_str());
    return 2;
  }
  if (as_root) return 0;
  // Already that user (a unit's User= sharing the config file): nothing to drop.
  if (::getuid() == drop_to->uid && ::geteuid() == drop_to->uid) {
    drop_to.reset();
    return 0;
  }
  std::fprintf(stderr, "hybridd: --user needs root to switch users (running as uid %u)\n",
               static_cast<unsigned>(::geteuid()));
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  ServerOptions options;
  std::size_t threads = 0;

  CLI::App app{
      "hybridd: a static HTTP/1.1 server. One epoll thread owns the sockets; a pool of\n"
      "worker threads behind a lock-free queue resolves files and writes responses.",
      "hybridd"};
  app.get_formatter()->column_width(34);
  app.set_version_flag("-V,--version", std::string("hybridd ") + hybrid::kVersion);
  app.add_option("-r,--root", options.root, "Directory to serve")->capture_default_str();
  app.add_option("-p,--port", options.port, "TCP port; 0 picks a free one")->capture_default_str();
  app.add_option("-b,--bind", options.bind_address, "Numeric IPv4 or IPv6 address to listen on")
      ->capture_default_str();
  app.add_option("-t,--threads", threads, "Worker threads (default: one per hardware thread)")
      ->check(CLI::Range(1, 1024));
  app.add_option("--max-connections", options.max_connections,
                 "Open connections at most; beyond it accepting pauses")
      ->check(CLI::Range(1, 10'000'000))
      ->capture_default_str();
  app.add_option("--max-request-line", options.max_request_line,
                 "Longest request line in bytes (longer: 414)")
      ->check(CLI::Range(64, 1 << 20))
      ->capture_default_str();
  app.add_option("--max-head-bytes", options.max_head_bytes,
                 "Largest request head in bytes (larger: 431)")
      ->check(CLI::Range(64, 1 << 20))
      ->capture_default_str();
  app.add_option("--max-headers", options.max_headers, "Most header lines in a request (more: 431)")
      ->check(CLI::Range(1, 100))
      ->capture_default_str();
  app.add_option("--cache-control", options.cache_control,
                 "Cache-Control value for files, e.g. 'max-age=3600' (default: none)");
  app.add_flag("--precompressed", options.precompressed,
               "Serve file.br / file.gz next to file to clients that accept them");
  bool gzip = false;
  std::size_t gzip_cache_mib = 64;
  app.add_flag("--gzip", gzip,
               "Compress text, JS, JSON, SVG, ... (256 B - 1 MiB) on the fly for clients that "
               "accept gzip, once per file version");
  app.add_option("--gzip-cache-mib", gzip_cache_mib, "Memory for compressed copies with --gzip")
      ->check(CLI::Range(1, 65536))
      ->capture_default_str();
  std::size_t file_cache_mib = 32;
  app.add_option("--file-cache-mib", file_cache_mib,
                 "Memory for small files kept in memory (validated by inotify); 0: off")
      ->check(CLI::Range(0, 65536))
      ->capture_default_str();
  app.add_flag("--batch-scheduling,!--no-batch-scheduling", options.batch_scheduling,
               "Run the workers under SCHED_BATCH, so a woken worker does not preempt the "
               "reactor on every hand-off (default: on)")
      ->default_str(options.batch_scheduling ? "true" : "false");  // flags capture no default
  app.add_flag("--reuseport", options.reuse_port,
               "Share the port with other processes that set it too (SO_REUSEPORT)");
  app.add_flag("--serve-dotfiles", options.serve_dotfiles,
               "Serve paths with '.name' segments (default: 404 except /.well-known/)");
  app.add_flag("--autoindex", options.autoindex,
               "List a directory without index.html (HTML; '?format=json': JSON like nginx)");
  app.add_option("--vhosts", options.vhosts,
                 "Directory of sites: Host h is served from DIR/h/, else DIR/default/, else 421")
      ->check(CLI::ExistingDirectory);
  auto* tls_cert = app.add_option("--tls-cert", options.tls_certificate,
                                  "PEM certificate chain (leaf first): the port speaks HTTPS "
                                  "only, TLS 1.2 and 1.3 (needs --tls-key)");
  auto* tls_key =
      app.add_option("--tls-key", options.tls_key, "PEM private key of --tls-cert, unencrypted");
  tls_cert->needs(tls_key);
  tls_key->needs(tls_cert);
  std::uint16_t redirect_http = 0;
  app.add_option("--redirect-http", redirect_http,
                 "Also listen for plain HTTP on this port (same address) and answer every request "
                 "308 with its https:// URL (needs --tls-cert; 0 picks a free port)")
      ->needs(tls_cert);
  std::vector<std::string> error_pages;
  app.add_option("--error-page", error_pages,
                 "CODE=FILE: an HTML file (<= 64 KiB) to send instead of the default page for a "
                 "4xx/5xx status; repeatable");
  app.add_option("--access-log", options.access_log,
                 "Combined-format access log file, '-' for standard output (default: none)");
  app.add_option("--status-path", options.status_path,
                 "Answer GET of this path (e.g. /metrics) with the server's metrics in the "
                 "Prometheus text format (default: none)");
  app.add_option("--status-allow", options.status_allow,
                 "CIDR network whose peers may read --status-path (repeatable; default: "
                 "loopback only; others get 403)");
  std::string log_level = "info";
  app.add_option("--log-level", log_level,
                 "Diagnostics on stderr: error, warn, info (start, stop, log reopening; never a "
                 "line per request) or debug (adds timeouts and malformed requests)")
      ->check(CLI::IsMember({"error", "warn", "info", "debug"}))
      ->capture_default_str();
  std::string user;
  app.add_option("--user", user,
                 "Bind and open files as root, then run as this user and its groups before "
                 "serving (needs root)");
  bool allow_root = false;
  app.add_flag("--allow-root", allow_root,
               "Serve as root without --user, even on a port below 1024")
      ->default_str("false");  // flags capture no default
  app.add_option("--max-body-bytes", options.max_body_bytes,
                 "Largest request body in bytes (bodies are read and discarded; larger: 413)")
      ->capture_default_str();
  add_seconds_option(app, "--keepalive-timeout", options.keepalive_timeout,
                     "Seconds an idle keep-alive connection stays open");
  add_seconds_option(app, "--header-timeout", options.header_timeout,
                     "Seconds to receive a whole request head");
  add_seconds_option(app, "--body-timeout", options.body_timeout,
                     "Seconds to receive a whole request body (bodies are read and discarded)");
  add_seconds_option(app, "--send-timeout", options.send_timeout,
                     "Seconds a response may make no progress before the connection closes");
  add_seconds_option(app, "--lingering-timeout", options.lingering_timeout,
                     "Seconds a closing connection keeps reading what the client still sends, "
                     "so a reset does not destroy the response (0: close at once)",
                     0.0);
  add_seconds_option(app, "--drain-timeout", options.drain_timeout,
                     "Seconds in-flight responses get after SIGINT/SIGTERM");

  // Every flag may live in a TOML (or INI) file as `name = value`; the command line wins.
  app.set_config("--config", "", "Read flags from this TOML/INI file (command-line flags win)");
  app.allow_config_extras(CLI::config_extras_mode::error);
  bool print_config = false;
  app.add_flag("--print-config", print_config,
               "Print the effective configuration as a config file and exit")
      ->configurable(false);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    return app.exit(error) == 0 ? 0 : 2;
  }
  if (print_config) {
    // Every option with its value from the command line, the file, or its default; options
    // that are unset and have no default (threads: one per hardware thread) are left out, so
    // the output reads back as a config file.
    std::istringstream lines(app.config_to_str(true, false));
    for (std::string line; std::getline(lines, line);) {
      if (!line.ends_with("=\"\"")) std::printf("%s\n", line.c_str());
    }
    return 0;
  }
  options.threads = threads;
  if (app.count("--redirect-http") > 0) options.redirect_http_port = redirect_http;
  options.log_level = *hybrid::server::parse_log_level(log_level);
  if (gzip) options.gzip_cache_bytes = gzip_cache_mib << 20;
  options.file_cache_bytes = file_cache_mib << 20;
  for (const std::string& page : error_pages) {
    if (page.empty()) continue;  // an empty list in a config file
    std::size_t equals = page.find('=');
    int status = 0;
    auto [end, error] =
        std::from_chars(page.data(), page.data() + std::min(equals, page.size()), status);
    if (equals == std::string::npos || error != std::errc() || end != page.data() + equals ||
        equals + 1 == page.size()) {
      std::fprintf(stderr, "hybridd: --error-page expects CODE=FILE, got '%s'\n", page.c_str());
      return 2;
    }
    options.error_pages[status] = page.substr(equals + 1);
  }

  std::optional<hybrid::server::UserAccount> drop_to;
  if (int exit_code = decide_who_serves(user, allow_root, options.port, drop_to); exit_code != 0) {
    return exit_code;
  }

  // Block the signals hybridd acts on before any thread exists, so every thread inherits the
  // mask and only the waiter below ever sees them: SIGINT and SIGTERM drain and stop, SIGHUP
  // reopens the access log (logrotate's postrotate) and reloads the TLS certificates.
  sigset_t handled_signals;
  sigemptyset(&handled_signals);
  sigaddset(&handled_signals, SIGINT);
  sigaddset(&handled_signals, SIGTERM);
  sigaddset(&handled_signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &handled_signals, nullptr);

  try {
    hybrid::server::Server server(options);
    // After binding and opening, before the first request: the workers already exist, and glibc
    // changes their credentials with the main thread's (see privileges.h). Dropping before
    // they start would split the Server's construction in two for no safer result, as no
    // worker has a job before run().
    if (drop_to) hybrid::server::drop_privileges(*drop_to);
    std::error_code ignored;
    auto root = std::filesystem::canonical(options.root, ignored);
    std::printf("hybridd %s listening on %s (root %s, %zu threads)\n", hybrid::kVersion,
                server.url().c_str(), root.c_str(), server.threads());
    if (server.redirect_port() != 0) {
      std::printf("hybridd redirecting plain HTTP on port %u to %s\n",
                  static_cast<unsigned>(server.redirect_port()), server.url().c_str());
    }
    std::fflush(stdout);

    std::thread signal_waiter([&server, handled_signals] {
      int signal = 0;
      while (sigwait(&handled_signals, &signal) == 0 && signal == SIGHUP) {
        // The server's diagnostic log says how each went.
        server.reopen_logs();
        server.reload_certificates();
      }
      server.stop();
    });
    try {
      server.run();
    } catch (...) {
      pthread_kill(signal_waiter.native_handle(), SIGTERM);
      signal_waiter.join();
      throw;
    }
    signal_waiter.join();
    std::printf("hybridd stopped\n");
    return 0;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "hybridd: error: %s\n", error.what());
    return 1;
  }
}
