#include "tests/support/tls_peer.h"

#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <stdexcept>
#include <system_error>

#include "hybrid/tls/openssl_error.h"

namespace hybrid::test {
namespace {

std::string shell_quoted(const std::filesystem::path& path) {
  return "'" + path.string() + "'";
}

constexpr const char* kNewP256Key = "-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes";

// Whether a side that asked for `wanted` (0: nothing yet) may be called again now.
bool ready(int fd, short wanted) {
  if (wanted == 0) return true;
  pollfd entry{fd, wanted, 0};
  return ::poll(&entry, 1, 0) > 0;
}

}  // namespace

void run_openssl(const std::string& arguments, const TempDir& scratch) {
  const std::filesystem::path log = scratch.path() / "openssl.log";
  const std::string command = "openssl " + arguments + " >" + shell_quoted(log) + " 2>&1";
  if (std::system(command.c_str()) != 0) {
    throw std::runtime_error(command + " failed: " + read_file(log));
  }
}

TestCertificates::TestCertificates()
    : ca_(directory_.path() / "ca.pem"), ca_key_(directory_.path() / "ca.key") {
  run_openssl(std::string("req -x509 ") + kNewP256Key + " -keyout " + shell_quoted(ca_key_) +
                  " -out " + shell_quoted(ca_) + " -days 2 -subj '/CN=hybrid test CA'",
              directory_);
}

tls::CertificateFiles TestCertificates::issue(std::string_view host) {
  const std::string name(host);
  const std::filesystem::path base = directory_.path() / name;
  const auto file = [&](const char* suffix) { return base.string() + suffix; };
  directory_.write(name + ".ext", "subjectAltName=DNS:" + name + "\nbasicConstraints=CA:FALSE\n");
  run_openssl(std::string("req -new ") + kNewP256Key + " -keyout " + shell_quoted(file(".key")) +
                  " -out " + shell_quoted(file(".csr")) + " -subj '/CN=" + name + "'",
              directory_);
  run_openssl("x509 -req -in " + shell_quoted(file(".csr")) + " -CA " + shell_quoted(ca_) +
                  " -CAkey " + shell_quoted(ca_key_) + " -CAcreateserial -days 2 -out " +
                  shell_quoted(file(".crt")) + " -extfile " + shell_quoted(file(".ext")),
              directory_);
  directory_.write(name + ".chain.pem", read_file(file(".crt")) + read_file(ca_));
  return {file(".chain.pem"), file(".key")};
}

TestCertificates& shared_test_certificates() {
  static TestCertificates certificates;
  return certificates;
}

SocketPair::SocketPair() {
  std::signal(SIGPIPE, SIG_IGN);
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) != 0) {
    throw std::system_error(errno, std::generic_category(), "socketpair");
  }
  server = fds[0];
  client = fds[1];
}

SocketPair::~SocketPair() {
  ::close(server);
  ::close(client);
}

TlsTestClient::TlsTestClient(int fd, const ClientOptions& options)
    : context_(SSL_CTX_new(TLS_client_method())) {
  SSL_CTX_set_min_proto_version(context_, options.min_version);
  SSL_CTX_set_max_proto_version(context_, options.max_version);
  if (options.max_version < TLS1_2_VERSION) {
    // An old client as it was: SHA-1 signatures and CBC suites, which security level 1 forbids.
    SSL_CTX_set_security_level(context_, 0);
    SSL_CTX_set_cipher_list(context_, "DEFAULT:@SECLEVEL=0");
  }
  if (options.trusted_ca != nullptr) {
    SSL_CTX_load_verify_locations(context_, options.trusted_ca->c_str(), nullptr);
  }
  ssl_ = SSL_new(context_);
  SSL_set_fd(ssl_, fd);
  SSL_set_connect_state(ssl_);
  if (!options.server_name.empty()) {
    // SSL_set_tlsext_host_name, without the macro's C cast.
    SSL_ctrl(ssl_, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
             const_cast<char*>(options.server_name.c_str()));
  }
  if (options.trusted_ca != nullptr) {
    SSL_set_verify(ssl_, SSL_VERIFY_PEER, nullptr);
    SSL_set1_host(ssl_, options.server_name.c_str());
  }
  if (!options.alpn.empty()) {
    std::string wire;
    for (const std::string& protocol : options.alpn) {
      wire += static_cast<char>(protocol.size());
      wire += protocol;
    }
    SSL_set_alpn_protos(ssl_, reinterpret_cast<const unsigned char*>(wire.data()),
                        static_cast<unsigned int>(wire.size()));
  }
  if (options.resume != nullptr) SSL_set_session(ssl_, options.resume);
}

TlsTestClient::~TlsTestClient() {
  SSL_free(ssl_);
  SSL_CTX_free(context_);
}

SSL_SESSION* TlsTestClient::take_session() {
  char byte;
  std::size_t count = 0;
  ERR_clear_error();
  SSL_read_ex(ssl_, &byte, 1, &count);  // processes NewSessionTicket, then wants more
  // A client freed without close_notify marks its session not resumable; close cleanly.
  SSL_shutdown(ssl_);
  ERR_clear_error();
  return SSL_get1_session(ssl_);
}

std::string TlsTestClient::peer_common_name() const {
  X509* certificate = SSL_get0_peer_certificate(ssl_);
  if (certificate == nullptr) return {};
  char name[256] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(certificate), NID_commonName, name, sizeof name);
  return name;
}

int TlsTestClient::peer_chain_length() const {
  STACK_OF(X509)* chain = SSL_get_peer_cert_chain(ssl_);
  return chain == nullptr ? 0 : sk_X509_num(chain);
}

HandshakeOutcome drive_handshake(tls::TlsSession& server, TlsTestClient& client,
                                 const SocketPair& sockets) {
  HandshakeOutcome outcome;
  short server_wants = 0;
  short client_wants = 0;
  bool server_over = false;
  bool client_over = false;
  while (!(server_over && client_over) && outcome.steps < 100) {
    bool called = false;
    if (!client_over && ready(sockets.client, client_wants)) {
      called = true;
      ERR_clear_error();
      const int result = SSL_do_handshake(client.ssl());
      const int error = result == 1 ? SSL_ERROR_NONE : SSL_get_error(client.ssl(), result);
      if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) {
        client_wants = error == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT;
      } else {
        client_over = true;
        outcome.client_done = error == SSL_ERROR_NONE;
        if (!outcome.client_done) {
          outcome.client_error = tls::take_openssl_errors();
          if (outcome.client_error.empty())
            outcome.client_error = "SSL error " + std::to_string(error);
        }
      }
    }
    if (!server_over && ready(sockets.server, server_wants)) {
      called = true;
      outcome.server = server.handshake();
      switch (outcome.server.status) {
        case tls::TlsStatus::kWantRead:
          server_wants = POLLIN;
          break;
        case tls::TlsStatus::kWantWrite:
          server_wants = POLLOUT;
          break;
        default:
          server_over = true;
      }
    }
    ++outcome.steps;
    if (!called) break;  // both wait for bytes that will not come
  }
  return outcome;
}

std::shared_ptr<const tls::SniContexts> single_certificate(TestCertificates& certificates,
                                                           std::shared_ptr<tls::TicketKeys> keys,
                                                           std::string_view host) {
  auto context = std::make_shared<const tls::TlsContext>(certificates.issue(host), std::move(keys));
  return std::make_shared<const tls::SniContexts>(std::move(context));
}

}  // namespace hybrid::test
