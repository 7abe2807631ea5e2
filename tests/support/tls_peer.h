// What the TLS tests need around a TlsSession: certificates made at test time by the `openssl`
// command (a CA and leaves it signs; no key is ever committed), a connected pair of
// non-blocking sockets, an OpenSSL client, and a loop that drives both handshakes one step at a
// time, calling each side again only when its socket is ready for what it asked.
#pragma once

#include <openssl/ssl.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "hybrid/tls/tls_context.h"
#include "hybrid/tls/tls_session.h"
#include "tests/support/temp_dir.h"

namespace hybrid::test {

// Runs `openssl` with `arguments` (already shell-quoted where needed); throws with its output
// if it fails.
void run_openssl(const std::string& arguments, const TempDir& scratch);

// A test CA (ECDSA P-256) and the leaf certificates it issues.
class TestCertificates {
 public:
  TestCertificates();
  // A key and a full chain (leaf, then the CA) for `host`, named in CN and subjectAltName.
  tls::CertificateFiles issue(std::string_view host);
  const std::filesystem::path& ca_file() const { return ca_; }
  const TempDir& directory() const { return directory_; }

 private:
  TempDir directory_;
  std::filesystem::path ca_;
  std::filesystem::path ca_key_;
};

// One set per test program, made on first use (each `openssl` run costs ~10 ms).
TestCertificates& shared_test_certificates();

// socketpair(AF_UNIX, SOCK_STREAM) with both ends non-blocking; closed on destruction. Also
// ignores SIGPIPE, as a server using TlsSession must (tls_session.h).
struct SocketPair {
  SocketPair();
  ~SocketPair();
  SocketPair(const SocketPair&) = delete;
  SocketPair& operator=(const SocketPair&) = delete;
  int server = -1;
  int client = -1;
};

struct ClientOptions {
  int min_version = TLS1_2_VERSION;
  int max_version = TLS1_3_VERSION;
  std::string server_name;                            // "": no SNI
  std::vector<std::string> alpn = {"http/1.1"};       // empty: no ALPN extension
  SSL_SESSION* resume = nullptr;                      // a ticket from an earlier connection
  const std::filesystem::path* trusted_ca = nullptr;  // verify the chain and server_name
};

// The client side, over a blocking-free fd.
class TlsTestClient {
 public:
  TlsTestClient(int fd, const ClientOptions& options);
  ~TlsTestClient();
  TlsTestClient(const TlsTestClient&) = delete;
  TlsTestClient& operator=(const TlsTestClient&) = delete;

  SSL* ssl() const { return ssl_; }
  // Reads what the server sent after the handshake (TLS 1.3 tickets arrive then), sends
  // close_notify, and returns the session to resume with; the caller frees it.
  SSL_SESSION* take_session();
  // The peer certificate's common name, "" without one.
  std::string peer_common_name() const;
  int peer_chain_length() const;

 private:
  SSL_CTX* context_ = nullptr;
  SSL* ssl_ = nullptr;
};

struct HandshakeOutcome {
  tls::TlsResult server;
  bool client_done = false;
  std::string client_error;  // OpenSSL's reasons on the client's side
  int steps = 0;
};

// Alternates the two sides until both finished or failed, or neither can move.
HandshakeOutcome drive_handshake(tls::TlsSession& server, TlsTestClient& client,
                                 const SocketPair& sockets);

// One TicketKeys and a fallback context for "localhost", the common start of a test.
std::shared_ptr<const tls::SniContexts> single_certificate(TestCertificates& certificates,
                                                           std::shared_ptr<tls::TicketKeys> keys,
                                                           std::string_view host = "localhost");

}  // namespace hybrid::test
