#include "tests/support/test_client.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <string>
#include <utility>

#include "gtest/gtest.h"
#include "tests/support/over_tls.h"

namespace hybrid::test {
namespace {

using Clock = std::chrono::steady_clock;

std::string to_lower(std::string_view text) {
  std::string lower(text);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower;
}

// RFC 9110 §5.6.2 tchar.
bool is_token_char(char c) {
  if (std::isalnum(static_cast<unsigned char>(c))) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool is_digits(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c)) != 0;
  });
}

// Field values and reason phrases: visible characters, SP, HTAB and obs-text; no CR, LF, NUL.
bool is_field_text(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) {
                       const auto byte = static_cast<unsigned char>(c);
                       return byte == '\t' || byte >= 0x20;
                     }) &&
         text.find('\x7f') == std::string_view::npos;
}

std::string_view trim_ows(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

enum class HeadScan { kIncomplete, kComplete, kMalformed };

// Finds the end of a response head whose lines all end in CRLF; `head_size` includes the empty
// line. A bare LF is malformed at once, so a broken server fails the test fast, not by timeout.
HeadScan scan_head(std::string_view buffer, std::size_t& head_size) {
  std::size_t line_start = 0;
  for (;;) {
    const std::size_t lf = buffer.find('\n', line_start);
    if (lf == std::string_view::npos) return HeadScan::kIncomplete;
    if (lf == line_start || buffer[lf - 1] != '\r') return HeadScan::kMalformed;
    if (lf == line_start + 1) {
      head_size = lf + 1;
      return line_start == 0 ? HeadScan::kMalformed : HeadScan::kComplete;
    }
    line_start = lf + 1;
  }
}

// Parses "HTTP/1.1 200 OK\r\nName: value\r\n...\r\n\r\n"; false when anything is off.
bool parse_head(std::string_view head, Response& response) {
  std::size_t line_end = head.find("\r\n");
  const std::string_view status_line = head.substr(0, line_end);
  // HTTP-version SP 3DIGIT SP [reason-phrase] (RFC 9112 §4)
  if (status_line.size() < 13 || !status_line.starts_with("HTTP/") ||
      !std::isdigit(static_cast<unsigned char>(status_line[5])) || status_line[6] != '.' ||
      !std::isdigit(static_cast<unsigned char>(status_line[7])) || status_line[8] != ' ' ||
      !is_digits(status_line.substr(9, 3)) || status_line[12] != ' ') {
    return false;
  }
  response.version = std::string(status_line.substr(0, 8));
  response.status =
      (status_line[9] - '0') * 100 + (status_line[10] - '0') * 10 + (status_line[11] - '0');
  response.reason = std::string(status_line.substr(13));
  if (!is_field_text(response.reason)) return false;

  std::size_t line_start = line_end + 2;
  for (;;) {
    line_end = head.find("\r\n", line_start);
    if (line_end == std::string_view::npos) return false;
    const std::string_view line = head.substr(line_start, line_end - line_start);
    if (line.empty()) return true;
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) return false;
    const std::string_view name = line.substr(0, colon);
    if (!std::all_of(name.begin(), name.end(), is_token_char)) return false;  // also obs-fold
    const std::string_view value = trim_ows(line.substr(colon + 1));
    if (!is_field_text(value)) return false;
    response.headers.emplace(to_lower(name), std::string(value));
    line_start = line_end + 2;
  }
}

// The body length announced by Content-Length: nullopt when absent, -1 when invalid or
// conflicting (RFC 9112 §6.3).
std::optional<long long> content_length(const Response& response) {
  const auto [first, last] = response.headers.equal_range("content-length");
  if (first == last) return std::nullopt;
  std::optional<long long> length;
  for (auto it = first; it != last; ++it) {
    long long value = 0;
    const std::string& text = it->second;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (!is_digits(text) || error != std::errc{} || end != text.data() + text.size()) return -1;
    if (length && *length != value) return -1;
    length = value;
  }
  return length;
}

}  // namespace

std::string Response::header(std::string_view name) const {
  const auto it = headers.find(to_lower(name));
  return it == headers.end() ? std::string() : it->second;
}

bool Response::has_header(std::string_view name) const {
  return headers.find(to_lower(name)) != headers.end();
}

struct TestClient::Tls {
  SSL_CTX* context = nullptr;
  SSL* ssl = nullptr;
  ~Tls() {
    SSL_free(ssl);
    SSL_CTX_free(context);
  }
};

TestClient::Received TestClient::receive_some(Clock::time_point deadline) {
  std::array<char, 256 * 1024> chunk;
  for (;;) {
    if (tls_ == nullptr || SSL_pending(tls_->ssl) == 0) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      if (left <= 0) return Received::kTimeout;
      pollfd pfd{fd_, POLLIN, 0};
      const int ready = ::poll(&pfd, 1, static_cast<int>(std::min<long long>(left, 60'000)));
      if (ready < 0 && errno == EINTR) continue;
      if (ready < 0) return Received::kError;
      if (ready == 0) continue;  // the loop re-checks the deadline
    }
    if (tls_ != nullptr) {
      ERR_clear_error();
      errno = 0;
      const int n = SSL_read(tls_->ssl, chunk.data(), static_cast<int>(chunk.size()));
      if (n > 0) {
        buffer_.append(chunk.data(), static_cast<std::size_t>(n));
        return Received::kData;
      }
      switch (SSL_get_error(tls_->ssl, n)) {
        case SSL_ERROR_WANT_READ:
          continue;  // a record not yet whole, or a ticket
        case SSL_ERROR_ZERO_RETURN:
          return Received::kClosed;
        case SSL_ERROR_SYSCALL:
          if (errno == ECONNRESET) return Received::kReset;
          return errno == 0 ? Received::kClosed : Received::kError;
        default:
          return Received::kError;
      }
    }
    const ssize_t n = ::recv(fd_, chunk.data(), chunk.size(), 0);
    if (n > 0) {
      buffer_.append(chunk.data(), static_cast<std::size_t>(n));
      return Received::kData;
    }
    if (n == 0) return Received::kClosed;
    if (errno == EINTR || errno == EAGAIN) continue;
    if (errno == ECONNRESET) return Received::kReset;
    return Received::kError;
  }
}

TestClient::TestClient(std::string_view host, std::uint16_t port) {
  sockaddr_storage address{};
  socklen_t address_size = 0;
  const std::string host_text(host);
  const bool ipv6 = host_text.find(':') != std::string::npos;
  if (ipv6) {
    auto& in6 = reinterpret_cast<sockaddr_in6&>(address);
    in6.sin6_family = AF_INET6;
    in6.sin6_port = htons(port);
    if (::inet_pton(AF_INET6, host_text.c_str(), &in6.sin6_addr) != 1) {
      ADD_FAILURE() << "not an IPv6 literal: " << host_text;
      return;
    }
    address_size = sizeof(in6);
  } else {
    auto& in4 = reinterpret_cast<sockaddr_in&>(address);
    in4.sin_family = AF_INET;
    in4.sin_port = htons(port);
    if (::inet_pton(AF_INET, host_text.c_str(), &in4.sin_addr) != 1) {
      ADD_FAILURE() << "not an IPv4 literal: " << host_text;
      return;
    }
    address_size = sizeof(in4);
  }

  const int fd = ::socket(ipv6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) {
    ADD_FAILURE() << "socket: " << std::strerror(errno);
    return;
  }
  // Non-blocking connect bounded by poll(): a server whose backlog is full must not hang a test.
  int error = 0;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), address_size) != 0) {
    error = errno;
    if (error == EINPROGRESS) {
      pollfd pfd{fd, POLLOUT, 0};
      int ready = 0;
      do {
        ready = ::poll(&pfd, 1, 5000);
      } while (ready < 0 && errno == EINTR);
      socklen_t size = sizeof(error);
      if (ready <= 0) {
        error = ETIMEDOUT;
      } else if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &size) != 0) {
        error = errno;
      }
    }
  }
  if (error != 0) {
    ADD_FAILURE() << "connect to " << host_text << ":" << port << ": " << std::strerror(error);
    ::close(fd);
    return;
  }
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  // Blocking sends are bounded too, and small writes leave at once (dribbling tests need it).
  const timeval send_timeout{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &send_timeout, sizeof(send_timeout));
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  if (tests_run_over_tls()) {
    // Blocking, bounded by the socket timeouts; the certificate is checked as a browser would.
    const timeval receive_timeout{10, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &receive_timeout, sizeof(receive_timeout));
    auto tls = std::make_unique<Tls>();
    tls->context = SSL_CTX_new(TLS_client_method());
    SSL_CTX_load_verify_locations(tls->context, over_tls_files().certificate.c_str(), nullptr);
    SSL_CTX_set_verify(tls->context, SSL_VERIFY_PEER, nullptr);
    tls->ssl = SSL_new(tls->context);
    SSL_set_fd(tls->ssl, fd);
    SSL_set1_host(tls->ssl, host_text.c_str());
    if (SSL_connect(tls->ssl) != 1) {
      char reason[256] = "no reason given";
      if (unsigned long code = ERR_get_error(); code != 0) {
        ERR_error_string_n(code, reason, sizeof reason);
      }
      ADD_FAILURE() << "TLS handshake with " << host_text << ":" << port << ": " << reason;
      ::close(fd);
      return;
    }
    tls_ = std::move(tls);
  }
  fd_ = fd;
}

TestClient::~TestClient() {
  close();
}

bool TestClient::send(std::string_view bytes) {
  if (fd_ < 0) return false;
  while (!bytes.empty()) {
    if (tls_ != nullptr) {
      const int n = SSL_write(tls_->ssl, bytes.data(), static_cast<int>(bytes.size()));
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<std::size_t>(n));
      continue;
    }
    const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;  // EPIPE, ECONNRESET, or EAGAIN after SO_SNDTIMEO
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

bool TestClient::fill(std::chrono::steady_clock::time_point deadline) {
  return fd_ >= 0 && receive_some(deadline) == Received::kData;
}

std::optional<Response> TestClient::read_response(bool head_request,
                                                  std::chrono::milliseconds timeout) {
  if (fd_ < 0) return std::nullopt;
  const auto deadline = Clock::now() + timeout;

  std::size_t head_size = 0;
  for (;;) {
    const HeadScan scan = scan_head(buffer_, head_size);
    if (scan == HeadScan::kMalformed) return std::nullopt;
    if (scan == HeadScan::kComplete) break;
    if (!fill(deadline)) return std::nullopt;
  }
  Response response;
  if (!parse_head(std::string_view(buffer_).substr(0, head_size), response)) return std::nullopt;

  const bool bodiless = head_request || response.status / 100 == 1 || response.status == 204 ||
                        response.status == 304;
  if (bodiless) {
    buffer_.erase(0, head_size);
    return response;
  }
  if (response.has_header("transfer-encoding")) {
    // Only "chunked" alone: the server applies no other transfer coding (RFC 9112 §6.1).
    if (to_lower(response.header("transfer-encoding")) != "chunked" ||
        response.headers.count("transfer-encoding") != 1) {
      return std::nullopt;
    }
    if (!read_chunked(head_size, response.body, deadline)) return std::nullopt;
    return response;
  }

  const std::optional<long long> length = content_length(response);
  if (length && *length < 0) return std::nullopt;
  if (length) {
    const auto body_size = static_cast<std::size_t>(*length);
    while (buffer_.size() - head_size < body_size) {
      if (!fill(deadline)) return std::nullopt;
    }
    response.body = buffer_.substr(head_size, body_size);
    buffer_.erase(0, head_size + body_size);
    return response;
  }
  // No framing: the body is everything until the server closes (RFC 9112 §6.3 rule 8).
  for (;;) {
    const Received result = receive_some(deadline);
    if (result == Received::kData) continue;
    if (result != Received::kClosed) return std::nullopt;
    response.body = buffer_.substr(head_size);
    buffer_.clear();
    return response;
  }
}

bool TestClient::read_chunked(std::size_t offset, std::string& body, Clock::time_point deadline) {
  // The next CRLF-terminated line at `offset`, waiting for more bytes as needed.
  const auto next_line = [&](std::string_view& line) {
    for (;;) {
      const std::size_t crlf = buffer_.find("\r\n", offset);
      if (crlf != std::string::npos) {
        line = std::string_view(buffer_).substr(offset, crlf - offset);
        offset = crlf + 2;
        return true;
      }
      if (!fill(deadline)) return false;
    }
  };
  body.clear();
  for (;;) {
    // chunk-size [chunk-ext] CRLF: hex digits, then ';' and extensions (ignored)
    std::string_view line;
    if (!next_line(line)) return false;
    const std::string_view digits = line.substr(0, line.find(';'));
    std::size_t size = 0;
    const auto [end, error] =
        std::from_chars(digits.data(), digits.data() + digits.size(), size, 16);
    if (digits.empty() || error != std::errc{} || end != digits.data() + digits.size()) {
      return false;
    }
    if (size == 0) break;
    while (buffer_.size() < offset + size + 2) {
      if (!fill(deadline)) return false;
    }
    if (buffer_.compare(offset + size, 2, "\r\n") != 0) return false;
    body.append(buffer_, offset, size);
    offset += size + 2;
  }
  // trailer-section CRLF
  for (;;) {
    std::string_view line;
    if (!next_line(line)) return false;
    if (line.empty()) break;
  }
  buffer_.erase(0, offset);
  return true;
}

bool TestClient::wait_closed(std::chrono::milliseconds timeout) {
  if (fd_ < 0) return true;
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    buffer_.clear();
    switch (receive_some(deadline)) {
      case Received::kData:
        continue;
      case Received::kClosed:
      case Received::kReset:
        buffer_.clear();
        return true;
      case Received::kTimeout:
      case Received::kError:
        buffer_.clear();
        return false;
    }
  }
}

std::optional<std::string> TestClient::read_until_closed(std::chrono::milliseconds timeout) {
  if (fd_ < 0) return std::nullopt;
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    switch (receive_some(deadline)) {
      case Received::kData:
        continue;
      case Received::kClosed:
        return std::exchange(buffer_, {});
      case Received::kReset:
      case Received::kTimeout:
      case Received::kError:
        return std::nullopt;
    }
  }
}

std::optional<Response> TestClient::request(std::string_view raw, bool head_request) {
  if (!send(raw)) return std::nullopt;
  return read_response(head_request);
}

void TestClient::close() {
  tls_.reset();
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
  buffer_.clear();
}

std::string make_request(std::string_view method, std::string_view target,
                         std::string_view extra_headers) {
  std::string request;
  request.reserve(method.size() + target.size() + extra_headers.size() + 40);
  request.append(method).append(" ").append(target).append(" HTTP/1.1\r\nHost: test\r\n");
  request.append(extra_headers).append("\r\n");
  return request;
}

}  // namespace hybrid::test
