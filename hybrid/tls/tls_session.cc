#include "hybrid/tls/tls_session.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <cerrno>
#include <cstring>
#include <new>
#include <utility>

#include "hybrid/tls/openssl_error.h"

namespace hybrid::tls {

void TlsSession::FreeSsl::operator()(SSL* ssl) const {
  SSL_free(ssl);
}

TlsSession::TlsSession(std::shared_ptr<const SniContexts> contexts, int socket_fd)
    : contexts_(std::move(contexts)), ssl_(SSL_new(contexts_->fallback().native_handle())) {
  if (!ssl_ || SSL_set_fd(ssl_.get(), socket_fd) != 1) {
    ERR_clear_error();
    throw std::bad_alloc();
  }
  SSL_set_accept_state(ssl_.get());
  contexts_->attach(ssl_.get());
}

TlsSession::~TlsSession() = default;
TlsSession::TlsSession(TlsSession&&) noexcept = default;
TlsSession& TlsSession::operator=(TlsSession&&) noexcept = default;

namespace {

// What a call on a failed session returns; OpenSSL must not be entered again.
TlsResult already_failed() {
  return {TlsStatus::kError, 0, "the session has already failed"};
}

// SSL_get_error reads this thread's error queue, and errno tells EOF (0) from a socket error.
void start_call() {
  ERR_clear_error();
  errno = 0;
}

}  // namespace

TlsResult TlsSession::handshake() {
  if (failed_) return already_failed();
  start_call();
  return finish(SSL_do_handshake(ssl_.get()), 0);
}

TlsResult TlsSession::read(std::span<std::byte> into) {
  if (failed_) return already_failed();
  start_call();
  std::size_t count = 0;
  const int result = SSL_read_ex(ssl_.get(), into.data(), into.size(), &count);
  return finish(result, count);
}

TlsResult TlsSession::write(std::span<const std::byte> bytes) {
  if (failed_) return already_failed();
  start_call();
  std::size_t count = 0;
  const int result = SSL_write_ex(ssl_.get(), bytes.data(), bytes.size(), &count);
  return finish(result, count);
}

bool TlsSession::kernel_sends() const {
  return BIO_get_ktls_send(SSL_get_wbio(ssl_.get())) != 0;
}

TlsResult TlsSession::send_file(int file_fd, off_t offset, std::size_t length) {
  if (failed_) return already_failed();
  start_call();
  const ossl_ssize_t sent = SSL_sendfile(ssl_.get(), file_fd, offset, length, 0);
  if (sent > 0) return {TlsStatus::kDone, static_cast<std::size_t>(sent), {}};
  if (errno == EAGAIN || errno == EWOULDBLOCK) return {TlsStatus::kWantWrite, 0, {}};
  failed_ = true;
  std::string reason = take_openssl_errors();
  if (reason.empty()) reason = errno != 0 ? std::strerror(errno) : "sendfile failed";
  return {TlsStatus::kError, 0, std::move(reason)};
}

TlsResult TlsSession::shutdown() {
  if (failed_ || !SSL_is_init_finished(ssl_.get())) return {};
  start_call();
  const int result = SSL_shutdown(ssl_.get());
  // 0: our close_notify is out and the peer's has not come; we do not wait for it.
  return finish(result >= 0 ? 1 : result, 0);
}

TlsResult TlsSession::finish(int return_code, std::size_t value) {
  if (return_code == 1) return {TlsStatus::kDone, value, {}};
  const int saved_errno = errno;
  switch (SSL_get_error(ssl_.get(), return_code)) {
    case SSL_ERROR_WANT_READ:
      return {TlsStatus::kWantRead, 0, {}};
    case SSL_ERROR_WANT_WRITE:
      return {TlsStatus::kWantWrite, 0, {}};
    case SSL_ERROR_ZERO_RETURN:
      return {TlsStatus::kClosed, 0, {}};
    case SSL_ERROR_SYSCALL: {
      failed_ = true;
      std::string reason = take_openssl_errors();
      if (reason.empty()) {
        if (saved_errno == 0) return {TlsStatus::kClosed, 0, {}};  // EOF, no close_notify
        reason = std::strerror(saved_errno);
      }
      return {TlsStatus::kError, 0, std::move(reason)};
    }
    default: {
      failed_ = true;
      std::string reason = take_openssl_errors();
      if (reason.empty()) reason = "TLS failure";
      return {TlsStatus::kError, 0, std::move(reason)};
    }
  }
}

std::string_view TlsSession::alpn_protocol() const {
  const unsigned char* protocol = nullptr;
  unsigned int length = 0;
  SSL_get0_alpn_selected(ssl_.get(), &protocol, &length);
  return protocol == nullptr ? std::string_view()
                             : std::string_view(reinterpret_cast<const char*>(protocol), length);
}

std::string_view TlsSession::server_name() const {
  const char* name = SSL_get_servername(ssl_.get(), TLSEXT_NAMETYPE_host_name);
  return name == nullptr ? std::string_view() : std::string_view(name);
}

bool TlsSession::session_reused() const {
  return SSL_session_reused(ssl_.get()) == 1;
}

int TlsSession::protocol_version() const {
  return SSL_version(ssl_.get());
}

}  // namespace hybrid::tls
