#include "hybrid/tls/tls_context.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <stdexcept>
#include <string>
#include <string_view>

#include "hybrid/tls/openssl_error.h"

namespace hybrid::tls {
namespace {

// TLS 1.2: forward secrecy (ECDHE) and authenticated encryption only, as Mozilla's
// "intermediate" profile without its finite-field DHE suites (slow, and their groups are chosen
// by the server). Every suite here is one we are glad to use, so the client's order decides
// (SSL_OP_CIPHER_SERVER_PREFERENCE stays off, for 1.2 as for 1.3 — OpenSSL has one switch for
// both): a phone without AES instructions asks for ChaCha20 first and should get it.
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";
constexpr const char* kTls13Suites =
    "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256";
constexpr const char* kGroups = "X25519:P-256:P-384";

constexpr std::string_view kHttp11 = "http/1.1";

// RFC 7301 §3.2: a server that supports none of the protocols the client offers "SHALL respond
// with a fatal no_application_protocol alert" — so a client offering only h2 is refused rather
// than answered in a protocol it did not ask for. A client sending no ALPN at all never gets
// here and is served HTTP/1.1, as before ALPN.
int select_http11(SSL*, const unsigned char** selected, unsigned char* selected_length,
                  const unsigned char* offered, unsigned int offered_length, void*) {
  // The list is length-prefixed names; OpenSSL has checked its framing before calling.
  for (unsigned int at = 0; at < offered_length;) {
    const unsigned char length = offered[at];
    const unsigned char* name = offered + at + 1;
    if (std::string_view(reinterpret_cast<const char*>(name), length) == kHttp11) {
      *selected = name;
      *selected_length = length;
      return SSL_TLSEXT_ERR_OK;
    }
    at += 1u + length;
  }
  return SSL_TLSEXT_ERR_ALERT_FATAL;
}

// An encrypted key would make OpenSSL prompt on the terminal; a server must fail instead.
int refuse_passphrase(char*, int, int, void*) {
  return 0;
}

[[noreturn]] void fail(const std::string& what) {
  std::string reason = take_openssl_errors();
  throw std::runtime_error(what + (reason.empty() ? "" : ": " + reason));
}

void check(long result, const char* what) {
  if (result != 1) fail(what);
}

}  // namespace

void TlsContext::FreeContext::operator()(SSL_CTX* context) const {
  SSL_CTX_free(context);
}

TlsContext::TlsContext(const CertificateFiles& files, std::shared_ptr<TicketKeys> ticket_keys)
    : ticket_keys_(std::move(ticket_keys)) {
  if (!ticket_keys_) throw std::invalid_argument("a TLS context needs session ticket keys");
  ERR_clear_error();
  context_.reset(SSL_CTX_new(TLS_server_method()));
  if (!context_) fail("cannot create a TLS context");
  SSL_CTX* context = context_.get();

  check(SSL_CTX_set_min_proto_version(context, TLS1_2_VERSION), "cannot set TLS 1.2 minimum");
  check(SSL_CTX_set_max_proto_version(context, TLS1_3_VERSION), "cannot set TLS 1.3 maximum");
  check(SSL_CTX_set_cipher_list(context, kTls12Ciphers), "cannot set the TLS 1.2 ciphers");
  check(SSL_CTX_set_ciphersuites(context, kTls13Suites), "cannot set the TLS 1.3 suites");
  check(SSL_CTX_set1_groups_list(context, kGroups), "cannot set the key exchange groups");

  // SSL_OP_IGNORE_UNEXPECTED_EOF: browsers close without close_notify; HTTP frames requests
  // itself, so a cut-off request is still caught by the parser and the close is a close.
  SSL_CTX_set_options(
      context, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_IGNORE_UNEXPECTED_EOF
#ifdef SSL_OP_ENABLE_KTLS
                   | SSL_OP_ENABLE_KTLS
#endif
  );
  SSL_CTX_clear_options(context, SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_TICKET);
  // Partial writes: a non-blocking socket may take part of a response, and the caller keeps the
  // rest as it does without TLS. Moving buffer: it may retry from a buffer that has moved.
  // Release buffers: an idle keep-alive connection holds no 16 KiB record buffers.
  SSL_CTX_set_mode(context, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                                SSL_MODE_RELEASE_BUFFERS);
  // Tickets only: a server-side cache would be shared state between workers, and would resume
  // sessions whose ticket keys have long been rotated away.
  SSL_CTX_set_session_cache_mode(context, SSL_SESS_CACHE_OFF);
  // A ticket opens for one to two periods (TicketKeys), so promising one period is honest.
  SSL_CTX_set_timeout(context, static_cast<long>(ticket_keys_->period().count()));
  ticket_keys_->install(context);
  SSL_CTX_set_alpn_select_cb(context, select_http11, nullptr);
  SSL_CTX_set_default_passwd_cb(context, refuse_passphrase);

  const std::string chain = files.chain.string();
  const std::string key = files.key.string();
  if (SSL_CTX_use_certificate_chain_file(context, chain.c_str()) != 1) {
    fail("cannot load the certificate chain " + chain);
  }
  if (SSL_CTX_use_PrivateKey_file(context, key.c_str(), SSL_FILETYPE_PEM) != 1) {
    fail("cannot load the private key " + key);
  }
  // Needed even after a successful load: a key of another type than the certificate's (RSA for
  // an ECDSA certificate) goes to another slot and is not compared with it there.
  if (SSL_CTX_check_private_key(context) != 1) {
    fail("the private key " + key + " does not belong to the certificate in " + chain);
  }
}

}  // namespace hybrid::tls
