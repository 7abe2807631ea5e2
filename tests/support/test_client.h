// A raw-socket HTTP/1.1 client for black-box tests: it sends exactly the bytes a test gives it and
// parses responses strictly, so tests see what the server really put on the wire. With
// HYBRID_TEST_OVER_TLS=1 those bytes travel inside TLS (over_tls.h).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace hybrid::test {

struct Response {
  int status = 0;
  std::string reason;
  std::string version;                              // "HTTP/1.1"
  std::multimap<std::string, std::string> headers;  // names lower-cased
  std::string body;

  // The first value of a header (name in any case), or "" when absent.
  std::string header(std::string_view name) const;
  bool has_header(std::string_view name) const;
};

class TestClient {
 public:
  // Connects to host:port (IPv4 or IPv6 literal); the test fails (ADD_FAILURE) if it cannot.
  TestClient(std::string_view host, std::uint16_t port);
  ~TestClient();
  TestClient(const TestClient&) = delete;
  TestClient& operator=(const TestClient&) = delete;

  bool connected() const { return fd_ >= 0; }
  int fd() const { return fd_; }

  // Sends all bytes (blocking). False when the peer closed or reset.
  bool send(std::string_view bytes);

  // Reads one response. `head_request` means the response to a HEAD: no body follows even with a
  // Content-Length. A chunked body (RFC 9112 §7.1) is decoded into `body`, its trailer fields
  // dropped; the Transfer-Encoding header stays. nullopt on timeout, close before a complete
  // response, or a malformed response.
  std::optional<Response> read_response(
      bool head_request = false, std::chrono::milliseconds timeout = std::chrono::seconds(10));

  // True when the server has closed the connection (read returns 0 or a reset) within `timeout`,
  // discarding anything else it sends first.
  bool wait_closed(std::chrono::milliseconds timeout = std::chrono::seconds(5));

  // Every byte the server sends until it closes (or `timeout` passes: nullopt).
  std::optional<std::string> read_until_closed(
      std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Sends one request and reads its response.
  std::optional<Response> request(std::string_view raw, bool head_request = false);

  void close();

 private:
  bool fill(std::chrono::steady_clock::time_point deadline);
  // Decodes the chunked body that starts at buffer_[offset] into `body` and erases everything up
  // to its end from buffer_; false when it is malformed or incomplete by `deadline`.
  bool read_chunked(std::size_t offset, std::string& body,
                    std::chrono::steady_clock::time_point deadline);

  enum class Received { kData, kClosed, kReset, kTimeout, kError };
  // One wait (bounded by `deadline`) and one read, appended to buffer_.
  Received receive_some(std::chrono::steady_clock::time_point deadline);

  int fd_ = -1;
  std::string buffer_;  // bytes received but not yet consumed
  // Over TLS (tests_run_over_tls(), over_tls.h): the session, after a verified handshake.
  struct Tls;
  std::unique_ptr<Tls> tls_;
};

// "GET /path HTTP/1.1\r\nHost: test\r\n\r\n" with optional extra header lines (each ending CRLF).
std::string make_request(std::string_view method, std::string_view target,
                         std::string_view extra_headers = "");

}  // namespace hybrid::test
