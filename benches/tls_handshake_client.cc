// benches/tls_handshake_client.cc: the client of benches/compare's TLS handshake scenarios and of
// the storm in --tls-storm. wrk 4.1 and h2load 1.52 both resume the TLS session when they
// reconnect (wrk clears and reuses its SSL object, which keeps the session): against nginx over
// TLS 1.3 with "Connection: close", 532 of 542 wrk handshakes and 7153 of 7163 h2load ones were
// resumed (over TLS 1.2 alike). So neither measures a full handshake per request. This does:
// CONNS connections, each in a loop of connect, a handshake on a fresh SSL object that offers no
// session (a full handshake, checked after each with SSL_session_reused), one "GET PATH" with
// "Connection: close", the whole response (by its Content-Length, or to the end of the stream),
// close. With --resume a connection offers instead the newest session the server gave it, so the
// loop measures resumption as each server does it by default (tickets or its session cache).
//
// One thread, epoll, non-blocking sockets. The certificate is not verified (wrk and h2load do not
// verify it either; compare checks it once with curl --cacert); the handshake's own signature is,
// as always. No close_notify is sent: the server closes first ("Connection: close"), and
// browsers skip it too. The report is in wrk's format, which compare's parse_wrk reads, plus
// "Handshakes: N full, M resumed" and the protocol and cipher of the first handshake.
//
//   g++ -O2 -std=c++20 benches/tls_handshake_client.cc -o tls_handshake_client -lssl -lcrypto
//   ./tls_handshake_client --port P --path /1k.txt --connections 100 --seconds 4 [--resume]
//                          [--max-requests N] [--timeout SECONDS]
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace {

double now_s() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

struct Options {
  int port = 0;
  std::string path = "/";
  int connections = 100;
  double seconds = 0;
  long max_requests = 0;  // 0: bounded by --seconds alone
  double timeout = 5;     // per connection, from connect to the end of the response (wrk's 5 s)
  bool resume = false;
};

// kIdle: waiting for the next tick to connect again (after a connect that failed at once, so a
// refused port does not spin).
enum class Phase { kIdle, kConnecting, kHandshake, kWriting, kReading };

constexpr long kUntilEof = -2;  // a response without Content-Length ends with the stream
constexpr long kNoHead = -1;

struct Conn {
  int fd = -1;
  SSL* ssl = nullptr;
  Phase phase = Phase::kIdle;
  double started = 0;
  std::string head;  // response bytes up to the end of its head
  long body_left = kNoHead;
  int status = 0;
  SSL_SESSION* session = nullptr;  // --resume: the newest session the server gave this slot
};

struct Counters {
  long done = 0, non2xx = 0, full = 0, resumed = 0;
  long connect = 0, read = 0, write = 0, timeout = 0;
  double bytes = 0;
  std::vector<uint32_t> latency_us;
  std::string negotiated;  // "TLSv1.3 TLS_AES_256_GCM_SHA384" of the first handshake
};

// Sessions arrive with the handshake (TLS 1.2) or after it, as NewSessionTicket messages read
// with the response (TLS 1.3, usually two): the newest replaces the slot's older one.
int on_new_session(SSL* ssl, SSL_SESSION* session) {
  auto* conn = static_cast<Conn*>(SSL_get_app_data(ssl));
  if (conn->session != nullptr) SSL_SESSION_free(conn->session);
  conn->session = session;
  return 1;  // the slot owns it now
}

class Client {
 public:
  Client(const Options& options, SSL_CTX* ctx)
      : options_(options), ctx_(ctx), conns_(static_cast<size_t>(options.connections)) {
    request_ = "GET " + options.path +
               " HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: tls_handshake_client\r\n"
               "Connection: close\r\n\r\n";
    addr_.sin_family = AF_INET;
    addr_.sin_port = htons(static_cast<uint16_t>(options.port));
    addr_.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  }

  int run() {
    ep_ = epoll_create1(EPOLL_CLOEXEC);
    if (ep_ < 0) {
      std::perror("tls_handshake_client: epoll_create1");
      return 1;
    }
    const double begin = now_s();
    running_ = true;
    for (Conn& c : conns_) start(c);
    epoll_event events[256];
    double next_tick = begin + 0.1;
    for (;;) {
      const double now = now_s();
      if (now >= begin + options_.seconds) break;
      if (options_.max_requests > 0 && counters_.done >= options_.max_requests) break;
      const int n = epoll_wait(ep_, events, 256, 10);
      for (int i = 0; i < n; ++i) drive(*static_cast<Conn*>(events[i].data.ptr), events[i].events);
      if (now >= next_tick) {
        tick(now);
        next_tick = now + 0.1;
      }
    }
    const double elapsed = now_s() - begin;
    running_ = false;
    for (Conn& c : conns_) {
      close_conn(c);
      if (c.session != nullptr) SSL_SESSION_free(c.session);
    }
    close(ep_);
    report(elapsed);
    return 0;
  }

 private:
  void start(Conn& c) {
    c.head.clear();
    c.body_left = kNoHead;
    c.status = 0;
    c.started = now_s();
    c.fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c.fd < 0) {
      ++counters_.connect;
      c.phase = Phase::kIdle;
      return;
    }
    const int one = 1;
    setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    const int r = connect(c.fd, reinterpret_cast<const sockaddr*>(&addr_), sizeof addr_);
    if (r != 0 && errno != EINPROGRESS) {
      ++counters_.connect;
      close(c.fd);
      c.fd = -1;
      c.phase = Phase::kIdle;
      return;
    }
    // Edge-triggered for both directions, registered once: every step below runs until OpenSSL
    // or the socket says it would block, so no edge is missed.
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
    ev.data.ptr = &c;
    epoll_ctl(ep_, EPOLL_CTL_ADD, c.fd, &ev);
    c.ssl = SSL_new(ctx_);
    SSL_set_fd(c.ssl, c.fd);
    SSL_set_app_data(c.ssl, &c);
    SSL_set_connect_state(c.ssl);
    if (options_.resume && c.session != nullptr && SSL_SESSION_is_resumable(c.session)) {
      SSL_set_session(c.ssl, c.session);
    }
    // Connected at once or not, the registration reports EPOLLOUT once the socket is writable.
    c.phase = r == 0 ? Phase::kHandshake : Phase::kConnecting;
  }

  void close_conn(Conn& c) {
    if (c.ssl != nullptr) SSL_free(c.ssl);
    if (c.fd >= 0) close(c.fd);  // also leaves the epoll set
    c.ssl = nullptr;
    c.fd = -1;
    c.phase = Phase::kIdle;
  }

  void fail(Conn& c, long& counter) {
    ++counter;
    ERR_clear_error();
    close_conn(c);
    if (running_) start(c);
  }

  void finish(Conn& c) {
    const double us = (now_s() - c.started) * 1e6;
    counters_.latency_us.push_back(static_cast<uint32_t>(std::min(us, 4e9)));
    ++counters_.done;
    if (c.status < 200 || c.status > 399) ++counters_.non2xx;
    // Marked as shut down without sending close_notify: OpenSSL makes the session of an SSL freed
    // without it unresumable (RFC 5246 §7.2.1's rule for truncated connections).
    SSL_set_shutdown(c.ssl, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
    close_conn(c);
    if (running_) start(c);
  }

  // Connection timeouts, and idle slots connected again.
  void tick(double now) {
    for (Conn& c : conns_) {
      if (c.phase == Phase::kIdle) {
        if (running_) start(c);
      } else if (now - c.started > options_.timeout) {
        fail(c, counters_.timeout);
      }
    }
  }

  void drive(Conn& c, uint32_t events) {
    if (c.phase == Phase::kConnecting) {
      if ((events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) == 0) return;
      int err = 0;
      socklen_t len = sizeof err;
      getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len);
      if (err != 0) return fail(c, counters_.connect);
      c.phase = Phase::kHandshake;
    }
    if (c.phase == Phase::kHandshake) {
      const int r = SSL_do_handshake(c.ssl);
      if (r != 1) {
        const int e = SSL_get_error(c.ssl, r);
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return;
        return fail(c, counters_.connect);  // as wrk counts a failed handshake
      }
      if (SSL_session_reused(c.ssl)) {
        ++counters_.resumed;
      } else {
        ++counters_.full;
      }
      if (counters_.negotiated.empty()) {
        counters_.negotiated = std::string(SSL_get_version(c.ssl)) + " " +
                               SSL_CIPHER_get_name(SSL_get_current_cipher(c.ssl));
      }
      c.phase = Phase::kWriting;
    }
    if (c.phase == Phase::kWriting) {
      // Partial writes are off (OpenSSL's default): the request goes whole or not at all.
      const int r = SSL_write(c.ssl, request_.data(), static_cast<int>(request_.size()));
      if (r <= 0) {
        const int e = SSL_get_error(c.ssl, r);
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return;
        return fail(c, counters_.write);
      }
      c.phase = Phase::kReading;
    }
    if (c.phase == Phase::kReading) {
      char buf[16384];
      for (;;) {
        const int r = SSL_read(c.ssl, buf, sizeof buf);
        if (r <= 0) {
          const int e = SSL_get_error(c.ssl, r);
          if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return;
          // The end of the stream (close_notify, or a bare FIN: SSL_OP_IGNORE_UNEXPECTED_EOF)
          // ends a response without Content-Length; before the end of any other, it is an error.
          if (e == SSL_ERROR_ZERO_RETURN && c.body_left == kUntilEof) return finish(c);
          return fail(c, counters_.read);
        }
        counters_.bytes += r;
        if (!consume(c, std::string_view(buf, static_cast<size_t>(r)))) {
          return fail(c, counters_.read);
        }
        if (c.body_left == 0) return finish(c);
      }
    }
  }

  // Frames the response: its head (status and Content-Length), then counts the body down.
  // False when the head is malformed or too large.
  static bool consume(Conn& c, std::string_view bytes) {
    if (c.body_left >= 0) {
      c.body_left -= std::min<long>(c.body_left, static_cast<long>(bytes.size()));
      return true;
    }
    if (c.body_left == kUntilEof) return true;
    c.head.append(bytes);
    const size_t end = c.head.find("\r\n\r\n");
    if (end == std::string::npos) return c.head.size() <= 65536;
    if (c.head.compare(0, 5, "HTTP/") != 0 || c.head.size() < 12) return false;
    c.status = std::atoi(c.head.c_str() + 9);
    c.body_left = kUntilEof;
    for (size_t pos = c.head.find("\r\n"); pos < end; pos = c.head.find("\r\n", pos + 2)) {
      const char* line = c.head.c_str() + pos + 2;
      if (strncasecmp(line, "content-length:", 15) == 0) c.body_left = std::atol(line + 15);
    }
    if (c.body_left >= 0) {
      const long have = static_cast<long>(c.head.size() - end - 4);
      c.body_left = std::max(0L, c.body_left - have);
    }
    return true;
  }

  void report(double elapsed) {
    auto& lat = counters_.latency_us;
    std::sort(lat.begin(), lat.end());
    std::printf("Running %.0fs test @ https://127.0.0.1:%d%s\n", options_.seconds, options_.port,
                options_.path.c_str());
    std::printf("  1 threads and %d connections, Connection: close, %s\n", options_.connections,
                options_.resume ? "offering the last session (resumption)" : "full handshakes");
    std::printf("  Latency Distribution\n");
    for (int p : {50, 75, 90, 99}) {
      double ms = 0;
      if (!lat.empty())
        ms = lat[std::min(lat.size() - 1, lat.size() * static_cast<size_t>(p) / 100)] / 1e3;
      std::printf("     %d%%   %.2fms\n", p, ms);
    }
    const double mib = counters_.bytes / 1048576.0;
    std::printf("  %ld requests in %.2fs, %.2fMB read\n", counters_.done, elapsed, mib);
    if (counters_.connect + counters_.read + counters_.write + counters_.timeout > 0) {
      std::printf("  Socket errors: connect %ld, read %ld, write %ld, timeout %ld\n",
                  counters_.connect, counters_.read, counters_.write, counters_.timeout);
    }
    if (counters_.non2xx > 0) std::printf("  Non-2xx or 3xx responses: %ld\n", counters_.non2xx);
    std::printf("Requests/sec: %.2f\n",
                elapsed > 0 ? static_cast<double>(counters_.done) / elapsed : 0);
    std::printf("Transfer/sec: %.2fMB\n", elapsed > 0 ? mib / elapsed : 0);
    std::printf("Handshakes: %ld full, %ld resumed\n", counters_.full, counters_.resumed);
    std::printf("TLS: %s\n", counters_.negotiated.empty() ? "none" : counters_.negotiated.c_str());
  }

  Options options_;
  SSL_CTX* ctx_;
  std::vector<Conn> conns_;  // never resized: epoll holds pointers into it
  std::string request_;
  sockaddr_in addr_{};
  int ep_ = -1;
  bool running_ = false;
  Counters counters_;
};

int usage(const char* argv0) {
  std::fprintf(stderr,
               "usage: %s --port P --seconds S [--path /1k.txt] [--connections 100] [--resume]\n"
               "          [--max-requests N] [--timeout SECONDS]\n",
               argv0);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--resume") {
      options.resume = true;
    } else if (arg == "--port" && has_value) {
      options.port = std::atoi(argv[++i]);
    } else if (arg == "--path" && has_value) {
      options.path = argv[++i];
    } else if (arg == "--connections" && has_value) {
      options.connections = std::atoi(argv[++i]);
    } else if (arg == "--seconds" && has_value) {
      options.seconds = std::atof(argv[++i]);
    } else if (arg == "--max-requests" && has_value) {
      options.max_requests = std::atol(argv[++i]);
    } else if (arg == "--timeout" && has_value) {
      options.timeout = std::atof(argv[++i]);
    } else {
      return usage(argv[0]);
    }
  }
  if (options.port <= 0 || options.port > 65535 || options.seconds <= 0 ||
      options.connections <= 0 || options.timeout <= 0 || options.path.empty() ||
      options.path[0] != '/') {
    return usage(argv[0]);
  }

  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  if (ctx == nullptr) {
    std::fprintf(stderr, "tls_handshake_client: SSL_CTX_new failed\n");
    return 1;
  }
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
  SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
  static const unsigned char kAlpn[] = "\x08http/1.1";
  SSL_CTX_set_alpn_protos(ctx, kAlpn, sizeof kAlpn - 1);
  if (options.resume) {
    // Sessions go to their connection's slot only (no internal store shared between slots).
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
    SSL_CTX_sess_set_new_cb(ctx, on_new_session);
  } else {
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  }
  const int rc = Client(options, ctx).run();
  SSL_CTX_free(ctx);
  return rc;
}
