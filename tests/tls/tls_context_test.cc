#include "hybrid/tls/tls_context.h"

#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include <stdexcept>
#include <string>

#include "tests/support/tls_peer.h"

namespace hybrid::tls {
namespace {

using test::ClientOptions;
using test::drive_handshake;
using test::shared_test_certificates;
using test::SocketPair;
using test::TlsTestClient;

std::shared_ptr<TicketKeys> hour_keys() {
  return std::make_shared<TicketKeys>(std::chrono::hours(1));
}

// The message TlsContext throws for `files`, or "" if it loads.
std::string load_error(const CertificateFiles& files) {
  try {
    TlsContext context(files, hour_keys());
  } catch (const std::runtime_error& error) {
    return error.what();
  }
  return {};
}

struct Handshake {
  test::HandshakeOutcome outcome;
  std::string alpn;
  std::string cipher;
  int version = 0;
  int chain_length = 0;
};

Handshake handshake_with(const ClientOptions& options) {
  auto contexts = test::single_certificate(shared_test_certificates(), hour_keys());
  SocketPair sockets;
  TlsSession server(contexts, sockets.server);
  TlsTestClient client(sockets.client, options);
  Handshake result;
  result.outcome = drive_handshake(server, client, sockets);
  result.alpn = server.alpn_protocol();
  result.cipher = SSL_get_cipher_name(server.native_handle());
  result.version = server.protocol_version();
  result.chain_length = client.peer_chain_length();
  return result;
}

TEST(TlsContext, LoadsAFullChainAndItsKey) {
  EXPECT_EQ(load_error(shared_test_certificates().issue("loads.test")), "");
}

TEST(TlsContext, MissingChainFileIsNamed) {
  CertificateFiles files = shared_test_certificates().issue("missing.test");
  files.chain += ".absent";
  const std::string error = load_error(files);
  EXPECT_NE(error.find("cannot load the certificate chain " + files.chain.string()),
            std::string::npos)
      << error;
  EXPECT_NE(error.find("No such file"), std::string::npos) << error;
}

TEST(TlsContext, ChainFileThatIsNotPemIsRefused) {
  CertificateFiles files = shared_test_certificates().issue("garbage.test");
  files.chain = shared_test_certificates().directory().write("garbage.pem", "not a certificate\n");
  const std::string error = load_error(files);
  EXPECT_NE(error.find("garbage.pem"), std::string::npos) << error;
  EXPECT_NE(error.find("no start line"), std::string::npos) << error;
}

TEST(TlsContext, KeyOfAnotherCertificateIsRefused) {
  const CertificateFiles mine = shared_test_certificates().issue("mine.test");
  const CertificateFiles other = shared_test_certificates().issue("other.test");
  const std::string error = load_error({mine.chain, other.key});
  EXPECT_NE(error.find(other.key.string()), std::string::npos) << error;
  EXPECT_NE(error.find("mismatch"), std::string::npos) << error;
}

TEST(TlsContext, KeyOfAnotherTypeIsRefused) {
  const auto& certificates = shared_test_certificates();
  const CertificateFiles mine = shared_test_certificates().issue("rsa-key.test");
  const std::filesystem::path rsa_key = certificates.directory().path() / "rsa.key";
  test::run_openssl(
      "genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out '" + rsa_key.string() + "'",
      certificates.directory());
  const std::string error = load_error({mine.chain, rsa_key});
  EXPECT_NE(error.find("does not belong to the certificate"), std::string::npos) << error;
}

TEST(TlsContext, EncryptedKeyFailsInsteadOfPrompting) {
  const auto& certificates = shared_test_certificates();
  const CertificateFiles plain = shared_test_certificates().issue("encrypted.test");
  const std::filesystem::path encrypted = certificates.directory().path() / "encrypted.key";
  test::run_openssl("pkey -in '" + plain.key.string() + "' -aes256 -passout pass:secret -out '" +
                        encrypted.string() + "'",
                    certificates.directory());
  const std::string error = load_error({plain.chain, encrypted});
  EXPECT_NE(error.find("cannot load the private key " + encrypted.string()), std::string::npos)
      << error;
}

TEST(TlsContext, NeedsTicketKeys) {
  EXPECT_THROW(TlsContext(shared_test_certificates().issue("nokeys.test"), nullptr),
               std::invalid_argument);
}

TEST(TlsContext, Tls13HandshakeSelectsHttp11AndSendsTheChain) {
  const Handshake result = handshake_with({});
  ASSERT_EQ(result.outcome.server.status, TlsStatus::kDone) << result.outcome.server.error;
  ASSERT_TRUE(result.outcome.client_done) << result.outcome.client_error;
  EXPECT_EQ(result.version, TLS1_3_VERSION);
  EXPECT_EQ(result.alpn, "http/1.1");
  EXPECT_EQ(result.chain_length, 2);  // the leaf and the CA from the chain file
}

TEST(TlsContext, Http11AmongOtherOffersIsSelected) {
  ClientOptions options;
  options.alpn = {"h2", "http/1.1"};
  const Handshake result = handshake_with(options);
  ASSERT_EQ(result.outcome.server.status, TlsStatus::kDone) << result.outcome.server.error;
  EXPECT_EQ(result.alpn, "http/1.1");
}

TEST(TlsContext, ClientWithoutAlpnIsServed) {
  ClientOptions options;
  options.alpn = {};
  const Handshake result = handshake_with(options);
  ASSERT_EQ(result.outcome.server.status, TlsStatus::kDone) << result.outcome.server.error;
  EXPECT_EQ(result.alpn, "");
}

// RFC 7301 §3.2: no protocol in common is a fatal no_application_protocol alert.
TEST(TlsContext, ClientOfferingOnlyH2GetsNoApplicationProtocol) {
  ClientOptions options;
  options.alpn = {"h2"};
  const Handshake result = handshake_with(options);
  EXPECT_EQ(result.outcome.server.status, TlsStatus::kError);
  EXPECT_FALSE(result.outcome.client_done);
  EXPECT_NE(result.outcome.client_error.find("no application protocol"), std::string::npos)
      << result.outcome.client_error;
}

TEST(TlsContext, Tls12UsesEcdheWithAnAeadCipher) {
  ClientOptions options;
  options.max_version = TLS1_2_VERSION;
  const Handshake result = handshake_with(options);
  ASSERT_EQ(result.outcome.server.status, TlsStatus::kDone) << result.outcome.server.error;
  EXPECT_EQ(result.version, TLS1_2_VERSION);
  EXPECT_EQ(result.cipher.rfind("ECDHE-ECDSA-", 0), 0u) << result.cipher;
  const bool aead = result.cipher.find("GCM") != std::string::npos ||
                    result.cipher.find("CHACHA20-POLY1305") != std::string::npos;
  EXPECT_TRUE(aead) << result.cipher;
}

TEST(TlsContext, Tls11ClientIsRefused) {
  ClientOptions options;
  options.min_version = TLS1_1_VERSION;
  options.max_version = TLS1_1_VERSION;
  const Handshake result = handshake_with(options);
  EXPECT_EQ(result.outcome.server.status, TlsStatus::kError);
  EXPECT_NE(result.outcome.server.error.find("unsupported protocol"), std::string::npos)
      << result.outcome.server.error;
  EXPECT_FALSE(result.outcome.client_done);
}

}  // namespace
}  // namespace hybrid::tls
