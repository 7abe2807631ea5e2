// One certificate with its key and the TLS policy hybrid serves with, as an OpenSSL SSL_CTX.
// The policy, in one place (tls_context.cc says why for each):
//   - TLS 1.2 and 1.3 only; SSLv3, TLS 1.0 and 1.1 hellos are refused with protocol_version.
//   - TLS 1.2: ECDHE key exchange with AEAD ciphers only (AES-GCM, ChaCha20-Poly1305); TLS 1.3:
//     its three standard suites. The client's order wins in both (see the .cc).
//   - ALPN: `http/1.1` only; a client that offers ALPN without it gets no_application_protocol.
//   - No compression, no renegotiation; resumption by session tickets only, sealed with
//     rotating TicketKeys (no server-side session cache, nothing shared between workers).
//   - Kernel TLS requested (SSL_OP_ENABLE_KTLS); OpenSSL falls back silently without it.
//
// Thread-safety: immutable once built; an SSL_CTX may back sessions on any number of threads.
#pragma once

#include <openssl/types.h>

#include <filesystem>
#include <memory>

#include "hybrid/tls/ticket_keys.h"

namespace hybrid::tls {

struct CertificateFiles {
  std::filesystem::path chain;  // PEM: the leaf certificate first, then its intermediates
  std::filesystem::path key;    // PEM: the leaf's private key, unencrypted
};

class TlsContext {
 public:
  // Loads and checks the files. Throws std::runtime_error naming the file and OpenSSL's reason
  // when one is missing or unreadable, is not PEM, holds an encrypted key (never prompts), or
  // when the key does not belong to the certificate. Sessions resumed through this context are
  // sealed with `ticket_keys`, whose period is also the session lifetime.
  TlsContext(const CertificateFiles& files, std::shared_ptr<TicketKeys> ticket_keys);

  SSL_CTX* native_handle() const { return context_.get(); }
  const std::shared_ptr<TicketKeys>& ticket_keys() const { return ticket_keys_; }

 private:
  struct FreeContext {
    void operator()(SSL_CTX* context) const;
  };
  std::unique_ptr<SSL_CTX, FreeContext> context_;
  std::shared_ptr<TicketKeys> ticket_keys_;
};

}  // namespace hybrid::tls
