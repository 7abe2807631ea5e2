#include "hybrid/tls/sni.h"

#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include <stdexcept>

#include "tests/support/tls_peer.h"

namespace hybrid::tls {
namespace {

using test::ClientOptions;
using test::shared_test_certificates;
using test::SocketPair;
using test::TlsTestClient;

// A fallback ("default.test") and two virtual hosts, sharing one TicketKeys.
std::shared_ptr<const SniContexts> three_hosts() {
  auto keys = std::make_shared<TicketKeys>(std::chrono::hours(1));
  auto& certificates = shared_test_certificates();
  auto contexts = std::make_shared<SniContexts>(
      std::make_shared<const TlsContext>(certificates.issue("default.test"), keys));
  contexts->add("a.test", std::make_shared<const TlsContext>(certificates.issue("a.test"), keys));
  contexts->add("B.Test", std::make_shared<const TlsContext>(certificates.issue("b.test"), keys));
  return contexts;
}

struct Served {
  TlsResult server;
  std::string client_error;
  std::string common_name;
  std::string server_name;
};

// Handshakes as a client that sends `name` in SNI (verifying the chain against the test CA and
// the name, when `verify`), and reports the certificate it got.
Served connect_naming(const std::shared_ptr<const SniContexts>& contexts, const std::string& name,
                      bool verify) {
  SocketPair sockets;
  TlsSession server(contexts, sockets.server);
  ClientOptions options;
  options.server_name = name;
  if (verify) options.trusted_ca = &shared_test_certificates().ca_file();
  TlsTestClient client(sockets.client, options);
  const test::HandshakeOutcome outcome = test::drive_handshake(server, client, sockets);
  return {outcome.server, outcome.client_error, client.peer_common_name(),
          std::string(server.server_name())};
}

TEST(SniContexts, PicksTheCertificateOfTheNamedHost) {
  const Served served = connect_naming(three_hosts(), "a.test", true);
  ASSERT_EQ(served.server.status, TlsStatus::kDone) << served.server.error;
  EXPECT_EQ(served.client_error, "");  // the chain verified and its SAN matched a.test
  EXPECT_EQ(served.common_name, "a.test");
  EXPECT_EQ(served.server_name, "a.test");
}

TEST(SniContexts, NamesCompareWithoutCase) {
  const auto contexts = three_hosts();
  EXPECT_EQ(connect_naming(contexts, "A.TEST", false).common_name, "a.test");
  EXPECT_EQ(connect_naming(contexts, "b.test", false).common_name, "b.test");
}

TEST(SniContexts, TrailingDotIsIgnored) {
  EXPECT_EQ(connect_naming(three_hosts(), "a.test.", false).common_name, "a.test");
}

TEST(SniContexts, UnknownNameGetsTheFallback) {
  EXPECT_EQ(connect_naming(three_hosts(), "unknown.test", false).common_name, "default.test");
}

TEST(SniContexts, NoNameGetsTheFallback) {
  const Served served = connect_naming(three_hosts(), "", false);
  ASSERT_EQ(served.server.status, TlsStatus::kDone) << served.server.error;
  EXPECT_EQ(served.common_name, "default.test");
  EXPECT_EQ(served.server_name, "");
}

TEST(SniContexts, PickWithoutAHandshake) {
  const auto contexts = three_hosts();
  EXPECT_EQ(&contexts->pick("b.test."), &contexts->pick("B.TEST"));
  EXPECT_EQ(&contexts->pick(""), &contexts->fallback());
  EXPECT_NE(&contexts->pick("a.test"), &contexts->fallback());
}

TEST(SniContexts, DuplicateNameIsRefused) {
  auto keys = std::make_shared<TicketKeys>(std::chrono::hours(1));
  auto context =
      std::make_shared<const TlsContext>(shared_test_certificates().issue("dup.test"), keys);
  SniContexts contexts(context);
  contexts.add("dup.test", context);
  EXPECT_THROW(contexts.add("DUP.test.", context), std::invalid_argument);
  EXPECT_THROW(contexts.add(".", context), std::invalid_argument);
}

TEST(SniContexts, ContextWithOtherTicketKeysIsRefused) {
  const auto files = shared_test_certificates().issue("keys.test");
  SniContexts contexts(std::make_shared<const TlsContext>(
      files, std::make_shared<TicketKeys>(std::chrono::hours(1))));
  EXPECT_THROW(
      contexts.add("keys.test", std::make_shared<const TlsContext>(
                                    files, std::make_shared<TicketKeys>(std::chrono::hours(1)))),
      std::invalid_argument);
}

}  // namespace
}  // namespace hybrid::tls
