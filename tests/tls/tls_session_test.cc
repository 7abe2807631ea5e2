#include "hybrid/tls/tls_session.h"

#include <gtest/gtest.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <string_view>

#include "tests/support/tls_peer.h"

namespace hybrid::tls {
namespace {

using test::ClientOptions;
using test::drive_handshake;
using test::shared_test_certificates;
using test::SocketPair;
using test::TlsTestClient;

std::span<const std::byte> bytes_of(std::string_view text) {
  return std::as_bytes(std::span(text.data(), text.size()));
}

class TlsSessionTest : public ::testing::Test {
 protected:
  std::shared_ptr<TicketKeys> keys_ = std::make_shared<TicketKeys>(std::chrono::hours(1));
  std::shared_ptr<const SniContexts> contexts_ =
      test::single_certificate(shared_test_certificates(), keys_);
  SocketPair sockets_;

  // Sends `bytes` as the client's first flight, without TLS, and lets `server` handshake on them.
  TlsResult handshake_on_raw(TlsSession& server, std::string_view bytes) {
    EXPECT_EQ(::write(sockets_.client, bytes.data(), bytes.size()),
              static_cast<ssize_t>(bytes.size()));
    return server.handshake();
  }
};

TEST_F(TlsSessionTest, HandshakeWaitsForTheClientThenFinishes) {
  TlsSession server(contexts_, sockets_.server);
  EXPECT_EQ(server.handshake().status, TlsStatus::kWantRead);  // no ClientHello yet
  TlsTestClient client(sockets_.client, {});
  const test::HandshakeOutcome outcome = drive_handshake(server, client, sockets_);
  ASSERT_EQ(outcome.server.status, TlsStatus::kDone) << outcome.server.error;
  EXPECT_TRUE(outcome.client_done) << outcome.client_error;
  EXPECT_GE(outcome.steps, 2);
  EXPECT_FALSE(server.session_reused());
}

TEST_F(TlsSessionTest, BytesTravelBothWaysAndDrainedReadWantsRead) {
  TlsSession server(contexts_, sockets_.server);
  TlsTestClient client(sockets_.client, {});
  ASSERT_EQ(drive_handshake(server, client, sockets_).server.status, TlsStatus::kDone);

  const std::string_view request = "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n";
  ASSERT_EQ(SSL_write(client.ssl(), request.data(), static_cast<int>(request.size())),
            static_cast<int>(request.size()));
  std::array<std::byte, 256> buffer{};
  const TlsResult read = server.read(buffer);
  ASSERT_EQ(read.status, TlsStatus::kDone) << read.error;
  EXPECT_EQ(std::string_view(reinterpret_cast<const char*>(buffer.data()), read.bytes), request);
  EXPECT_EQ(server.read(buffer).status, TlsStatus::kWantRead);

  const std::string_view response = "HTTP/1.1 204 No Content\r\n\r\n";
  const TlsResult written = server.write(bytes_of(response));
  ASSERT_EQ(written.status, TlsStatus::kDone) << written.error;
  EXPECT_EQ(written.bytes, response.size());
  char received[64] = {};
  ASSERT_EQ(SSL_read(client.ssl(), received, sizeof received), static_cast<int>(response.size()));
  EXPECT_EQ(std::string_view(received, response.size()), response);
}

TEST_F(TlsSessionTest, FullSocketMakesWriteWantWrite) {
  TlsSession server(contexts_, sockets_.server);
  TlsTestClient client(sockets_.client, {});
  ASSERT_EQ(drive_handshake(server, client, sockets_).server.status, TlsStatus::kDone);
  const std::string chunk(64 * 1024, 'x');
  TlsResult result;
  std::size_t sent = 0;
  for (int i = 0; i < 1000 && result.status == TlsStatus::kDone; ++i) {
    result = server.write(bytes_of(chunk));
    sent += result.bytes;
  }
  EXPECT_EQ(result.status, TlsStatus::kWantWrite) << result.error;
  EXPECT_GT(sent, 0u);
}

TEST_F(TlsSessionTest, ShutdownSendsCloseNotify) {
  TlsSession server(contexts_, sockets_.server);
  TlsTestClient client(sockets_.client, {});
  ASSERT_EQ(drive_handshake(server, client, sockets_).server.status, TlsStatus::kDone);
  EXPECT_EQ(server.shutdown().status, TlsStatus::kDone);
  char byte;
  EXPECT_EQ(SSL_read(client.ssl(), &byte, 1), 0);
  EXPECT_EQ(SSL_get_error(client.ssl(), 0), SSL_ERROR_ZERO_RETURN);
}

TEST_F(TlsSessionTest, ClientCloseNotifyReadsAsClosed) {
  TlsSession server(contexts_, sockets_.server);
  TlsTestClient client(sockets_.client, {});
  ASSERT_EQ(drive_handshake(server, client, sockets_).server.status, TlsStatus::kDone);
  SSL_shutdown(client.ssl());
  std::array<std::byte, 16> buffer{};
  EXPECT_EQ(server.read(buffer).status, TlsStatus::kClosed);
}

TEST_F(TlsSessionTest, ClientVanishingWithoutCloseNotifyReadsAsClosed) {
  TlsSession server(contexts_, sockets_.server);
  {
    TlsTestClient client(sockets_.client, {});
    ASSERT_EQ(drive_handshake(server, client, sockets_).server.status, TlsStatus::kDone);
  }
  ::shutdown(sockets_.client, SHUT_WR);
  std::array<std::byte, 16> buffer{};
  EXPECT_EQ(server.read(buffer).status, TlsStatus::kClosed);
}

TEST_F(TlsSessionTest, ClientGoneBeforeHelloIsClosed) {
  TlsSession server(contexts_, sockets_.server);
  ::shutdown(sockets_.client, SHUT_WR);
  EXPECT_EQ(server.handshake().status, TlsStatus::kClosed);
  EXPECT_EQ(server.shutdown().status, TlsStatus::kDone);  // nothing to send before a handshake
}

TEST_F(TlsSessionTest, MalformedClientHelloIsAnError) {
  TlsSession server(contexts_, sockets_.server);
  // A handshake record holding a ClientHello one byte long: 0xff, where a version belongs.
  const std::string_view hello("\x16\x03\x01\x00\x05\x01\x00\x00\x01\xff", 10);
  const TlsResult result = handshake_on_raw(server, hello);
  EXPECT_EQ(result.status, TlsStatus::kError);
  EXPECT_FALSE(result.error.empty());
}

TEST_F(TlsSessionTest, GarbageIsAnErrorAndTheSessionStaysFailed) {
  TlsSession server(contexts_, sockets_.server);
  const std::string_view garbage("\x00\x01\x02\x03\xfe\xff\x80\x7f garbage", 16);
  const TlsResult result = handshake_on_raw(server, garbage);
  EXPECT_EQ(result.status, TlsStatus::kError);
  EXPECT_FALSE(result.error.empty());
  std::array<std::byte, 16> buffer{};
  EXPECT_EQ(server.read(buffer).status, TlsStatus::kError);
  EXPECT_EQ(server.write(bytes_of("x")).status, TlsStatus::kError);
  EXPECT_EQ(server.shutdown().status, TlsStatus::kDone);
}

TEST_F(TlsSessionTest, PlainHttpIsAnError) {
  TlsSession server(contexts_, sockets_.server);
  const TlsResult result = handshake_on_raw(server, "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n");
  EXPECT_EQ(result.status, TlsStatus::kError);
  EXPECT_NE(result.error.find("http request"), std::string::npos) << result.error;
}

TEST_F(TlsSessionTest, MovedSessionKeepsWorking) {
  TlsSession first(contexts_, sockets_.server);
  TlsSession server(std::move(first));
  TlsTestClient client(sockets_.client, {});
  EXPECT_EQ(drive_handshake(server, client, sockets_).server.status, TlsStatus::kDone);
}

// Resumption: a first connection gets a ticket, a second presents it. Both TLS versions seal
// tickets through the same callback, at different moments (1.2 in the handshake, 1.3 after it).
class TicketResumption : public ::testing::TestWithParam<int> {
 protected:
  // A full handshake; returns the client's session (with its ticket). The caller frees it.
  SSL_SESSION* first_visit() {
    SocketPair sockets;
    TlsSession server(contexts_, sockets.server);
    TlsTestClient client(sockets.client, options(nullptr));
    const auto outcome = drive_handshake(server, client, sockets);
    EXPECT_EQ(outcome.server.status, TlsStatus::kDone) << outcome.server.error;
    EXPECT_FALSE(server.session_reused());
    return client.take_session();
  }

  // Whether a handshake presenting `session` resumed it, seen by both sides.
  bool resumes(SSL_SESSION* session) {
    SocketPair sockets;
    TlsSession server(contexts_, sockets.server);
    TlsTestClient client(sockets.client, options(session));
    const auto outcome = drive_handshake(server, client, sockets);
    EXPECT_EQ(outcome.server.status, TlsStatus::kDone) << outcome.server.error;
    EXPECT_EQ(server.session_reused(), SSL_session_reused(client.ssl()) == 1);
    EXPECT_EQ(server.protocol_version(), GetParam());
    return server.session_reused();
  }

  ClientOptions options(SSL_SESSION* session) const {
    ClientOptions options;
    options.min_version = GetParam();
    options.max_version = GetParam();
    options.resume = session;
    return options;
  }

  std::shared_ptr<TicketKeys> keys_ = std::make_shared<TicketKeys>(std::chrono::hours(1));
  std::shared_ptr<const SniContexts> contexts_ =
      test::single_certificate(shared_test_certificates(), keys_);
};

TEST_P(TicketResumption, SecondHandshakeResumes) {
  SSL_SESSION* session = first_visit();
  ASSERT_NE(session, nullptr);
  EXPECT_TRUE(resumes(session));
  SSL_SESSION_free(session);
}

TEST_P(TicketResumption, ResumesAfterOneRotation) {
  SSL_SESSION* session = first_visit();
  ASSERT_TRUE(keys_->rotate());
  EXPECT_TRUE(resumes(session));
  SSL_SESSION_free(session);
}

TEST_P(TicketResumption, FullHandshakeAfterTwoRotations) {
  SSL_SESSION* session = first_visit();
  ASSERT_TRUE(keys_->rotate());
  ASSERT_TRUE(keys_->rotate());
  EXPECT_FALSE(resumes(session));
  SSL_SESSION_free(session);
}

TEST_P(TicketResumption, TicketFromAnotherServerIsNotResumed) {
  SSL_SESSION* session = first_visit();
  keys_ = std::make_shared<TicketKeys>(std::chrono::hours(1));
  contexts_ = test::single_certificate(shared_test_certificates(), keys_);
  EXPECT_FALSE(resumes(session));
  SSL_SESSION_free(session);
}

INSTANTIATE_TEST_SUITE_P(Versions, TicketResumption,
                         ::testing::Values(TLS1_2_VERSION, TLS1_3_VERSION),
                         [](const ::testing::TestParamInfo<int>& version) {
                           return version.param == TLS1_2_VERSION ? std::string("Tls12")
                                                                  : std::string("Tls13");
                         });

}  // namespace
}  // namespace hybrid::tls
