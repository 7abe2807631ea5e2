// The server side of one TLS connection over a non-blocking socket: the handshake, then
// application bytes in and out, then close_notify. No call ever blocks; each returns what the
// socket needs before the same call can make progress, so the owner goes back to waiting for
// readiness exactly as it would without TLS.
//
// Ownership, as for a Connection: one thread at a time — the reactor while it waits for
// readiness, the worker holding the connection's job while it runs a call — with the job and
// completion queues as the only hand-offs (their release/acquire ordering is what makes the
// next owner see the SSL object's state). Two threads must never call into one session at once.
//
// Writes go through OpenSSL's socket BIO, which uses write(2) and cannot pass MSG_NOSIGNAL: the
// process must ignore SIGPIPE (hybrid's Server does) or a peer that resets kills it.
#pragma once

#include <openssl/types.h>
#include <sys/types.h>

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "hybrid/tls/sni.h"

namespace hybrid::tls {

enum class TlsStatus {
  kDone,       // the handshake or shutdown finished, or `bytes` were read or written
  kWantRead,   // call again once the socket is readable (even for write(): TLS 1.3 may need it)
  kWantWrite,  // call again once the socket is writable
  kClosed,     // the peer closed (close_notify, or a close without it); nothing more to read
  kError,      // a protocol or socket failure, `error` says which; close the socket, no retry
};

struct TlsResult {
  TlsStatus status = TlsStatus::kDone;
  std::size_t bytes = 0;  // read() and write() with kDone: at least one
  std::string error;      // kError only: OpenSSL's reasons or the system error
};

class TlsSession {
 public:
  // Starts a server-side session on `socket_fd`, which stays the caller's (to close after the
  // session is gone). The session keeps `contexts` alive, so a certificate reload replaces them
  // for new connections only. Throws std::bad_alloc if OpenSSL cannot allocate.
  TlsSession(std::shared_ptr<const SniContexts> contexts, int socket_fd);
  ~TlsSession();
  // A moved-from session may only be destroyed or assigned to.
  TlsSession(TlsSession&&) noexcept;
  TlsSession& operator=(TlsSession&&) noexcept;

  // Until kDone: the ClientHello is read, the certificate chosen by SNI, the keys agreed. CPU
  // work, so a worker should run it, not the reactor: on the test VM (`openssl speed`, loaded)
  // an ECDSA P-256 signature takes 21 µs and an X25519 operation 31 µs, an RSA-2048 signature
  // 313 µs; a full handshake needs one signature and two X25519 operations.
  TlsResult handshake();

  // Up to into.size() decrypted bytes. kWantRead with nothing buffered is the usual "drained".
  TlsResult read(std::span<std::byte> into);

  // Encrypts and sends a prefix of `bytes` (partial writes are on). After kWantRead/kWantWrite,
  // call again with the same bytes (they may have moved in memory) — OpenSSL has already
  // encrypted part of them and expects the rest.
  TlsResult write(std::span<const std::byte> bytes);

  // True when the kernel encrypts what this session sends (kernel TLS took over the send side
  // after the handshake; SSL_OP_ENABLE_KTLS asks for it): file bytes may then go out with
  // send_file(), straight from the page cache.
  bool kernel_sends() const;
  // Only when kernel_sends(): up to `length` bytes of `file_fd` from `offset` (SSL_sendfile).
  // kDone with the count, kWantWrite when the socket is full, kError otherwise.
  TlsResult send_file(int file_fd, off_t offset, std::size_t length);
  // Sends close_notify (without waiting for the peer's: the socket is closed next). kDone at
  // once, sending nothing, if the handshake had not finished or the session failed.
  TlsResult shutdown();

  // After the handshake: "http/1.1" or "" (the client sent no ALPN).
  std::string_view alpn_protocol() const;
  // The host name the client sent in SNI, or "".
  std::string_view server_name() const;
  bool session_reused() const;
  int protocol_version() const;  // TLS1_2_VERSION or TLS1_3_VERSION

  SSL* native_handle() const { return ssl_.get(); }

 private:
  // Turns a call's return value into a result; `value` is what a success carries.
  TlsResult finish(int return_code, std::size_t value);

  struct FreeSsl {
    void operator()(SSL* ssl) const;
  };
  std::shared_ptr<const SniContexts> contexts_;  // declared first: outlives ssl_
  std::unique_ptr<SSL, FreeSsl> ssl_;
  bool failed_ = false;  // after kError OpenSSL forbids SSL_shutdown
};

}  // namespace hybrid::tls
