// hybridd over HTTPS (issue 13), black-box: a real hybridd with certificates made at test time
// by a test CA, and real clients — OpenSSL's, curl and `openssl s_client`. What is served over
// TLS is checked by the static suites run a second time (blackbox.over_tls.*); this file checks
// the TLS listener itself: protocols, ALPN, resumption, SNI, the redirect listener, reloads and
// bad input.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "tests/blackbox/blackbox_support.h"
#include "tests/support/server_process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_client.h"
#include "tests/support/tls_peer.h"

namespace hybrid::test {
namespace {

using namespace std::chrono_literals;

struct HttpsOptions {
  std::string server_name = "localhost";  // SNI, and the name the certificate must carry
  std::vector<std::string> alpn = {"http/1.1"};
  int min_version = TLS1_2_VERSION;
  int max_version = TLS1_3_VERSION;
  SSL_SESSION* resume = nullptr;
};

// One client connection over TLS to 127.0.0.1:port, verifying the chain against `ca` and the
// name. Blocking, bounded by socket timeouts of 10 s.
class HttpsConnection {
 public:
  HttpsConnection(std::uint16_t port, const std::filesystem::path& ca,
                  const HttpsOptions& options = {})
      : context_(SSL_CTX_new(TLS_client_method()), &SSL_CTX_free), ssl_(nullptr, &SSL_free) {
    SSL_CTX_set_min_proto_version(context_.get(), options.min_version);
    SSL_CTX_set_max_proto_version(context_.get(), options.max_version);
    // Old protocols need the lowest security level on the client side to be offered at all.
    if (options.min_version < TLS1_2_VERSION) SSL_CTX_set_security_level(context_.get(), 0);
    SSL_CTX_load_verify_locations(context_.get(), ca.c_str(), nullptr);
    SSL_CTX_set_verify(context_.get(), SSL_VERIFY_PEER, nullptr);
    if (!options.alpn.empty()) {
      std::string wire;
      for (const std::string& protocol : options.alpn) {
        wire.push_back(static_cast<char>(protocol.size()));
        wire += protocol;
      }
      SSL_CTX_set_alpn_protos(context_.get(), reinterpret_cast<const unsigned char*>(wire.data()),
                              static_cast<unsigned>(wire.size()));
    }
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const timeval timeout{10, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    ::inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
      error_ = "connect failed";
      return;
    }
    ssl_.reset(SSL_new(context_.get()));
    SSL_set_fd(ssl_.get(), fd_);
    if (!options.server_name.empty()) {
      // SSL_set_tlsext_host_name is a macro with a C cast; this is the call it makes.
      SSL_ctrl(ssl_.get(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
               const_cast<char*>(options.server_name.c_str()));
      SSL_set1_host(ssl_.get(), options.server_name.c_str());
    }
    if (options.resume != nullptr) SSL_set_session(ssl_.get(), options.resume);
    ERR_clear_error();
    if (SSL_connect(ssl_.get()) != 1) {
      char reason[256] = "closed";
      if (unsigned long error = ERR_get_error(); error != 0) {
        ERR_error_string_n(error, reason, sizeof reason);
      }
      error_ = reason;
      return;
    }
    established_ = true;
  }
  ~HttpsConnection() {
    // Without our close_notify, SSL_free takes the session for a broken one and marks it not
    // resumable (ssl_clear_bad_session), which is not what a browser's session cache does.
    if (established_) SSL_shutdown(ssl_.get());
    ssl_.reset();
    if (fd_ >= 0) ::close(fd_);
  }
  HttpsConnection(const HttpsConnection&) = delete;
  HttpsConnection& operator=(const HttpsConnection&) = delete;

  bool established() const { return established_; }
  const std::string& error() const { return error_; }
  SSL* ssl() const { return ssl_.get(); }

  bool send(std::string_view bytes) {
    return established_ && SSL_write(ssl_.get(), bytes.data(), static_cast<int>(bytes.size())) ==
                               static_cast<int>(bytes.size());
  }
  // Everything until the server closes.
  std::string read_until_closed() {
    std::string received;
    char buffer[16384];
    while (established_) {
      const int got = SSL_read(ssl_.get(), buffer, sizeof buffer);
      if (got <= 0) break;
      received.append(buffer, static_cast<std::size_t>(got));
    }
    return received;
  }
  // One response framed by Content-Length (what these tests ask for), head and body.
  std::string read_response() {
    std::string received;
    char buffer[16384];
    while (established_) {
      const std::size_t head_end = received.find("\r\n\r\n");
      if (head_end != std::string::npos) {
        const std::size_t field = received.find("Content-Length: ");
        const std::size_t length =
            field < head_end ? std::stoul(received.substr(field + 16)) : std::size_t{0};
        if (received.size() >= head_end + 4 + length) break;
      }
      const int got = SSL_read(ssl_.get(), buffer, sizeof buffer);
      if (got <= 0) break;
      received.append(buffer, static_cast<std::size_t>(got));
    }
    return received;
  }

 private:
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> context_;
  std::unique_ptr<SSL, decltype(&SSL_free)> ssl_;
  int fd_ = -1;
  bool established_ = false;
  std::string error_;
};

struct HttpsResult {
  bool handshake_ok = false;
  std::string error;     // OpenSSL's reason when the handshake failed
  std::string response;  // everything read after the request, until the server closed
  bool reused = false;
  std::string alpn;
  std::string peer_common_name;
  std::string peer_fingerprint;  // SHA-256 of the leaf, hex
  int version = 0;
  std::shared_ptr<SSL_SESSION> session;  // to resume with
};

// One connection: handshake, `request` (a closing one), everything until the server closes.
HttpsResult https_exchange(std::uint16_t port, const std::filesystem::path& ca,
                           const std::string& request, const HttpsOptions& options = {}) {
  HttpsResult result;
  HttpsConnection connection(port, ca, options);
  result.error = connection.error();
  if (!connection.established()) return result;
  SSL* ssl = connection.ssl();
  result.handshake_ok = true;
  result.version = SSL_version(ssl);
  const unsigned char* alpn = nullptr;
  unsigned alpn_length = 0;
  SSL_get0_alpn_selected(ssl, &alpn, &alpn_length);
  result.alpn.assign(reinterpret_cast<const char*>(alpn), alpn_length);
  if (X509* leaf = SSL_get0_peer_certificate(ssl)) {
    char name[256] = "";
    X509_NAME_get_text_by_NID(X509_get_subject_name(leaf), NID_commonName, name, sizeof name);
    result.peer_common_name = name;
    unsigned char digest[32];
    unsigned digest_length = 0;
    X509_digest(leaf, EVP_sha256(), digest, &digest_length);
    for (unsigned i = 0; i < digest_length; ++i) {
      static constexpr char kHex[] = "0123456789abcdef";
      result.peer_fingerprint += kHex[digest[i] >> 4];
      result.peer_fingerprint += kHex[digest[i] & 15];
    }
  }
  if (!request.empty() && connection.send(request))
    result.response = connection.read_until_closed();
  result.reused = SSL_session_reused(ssl) == 1;
  // TLS 1.3 tickets arrive after the handshake; the reads above took them in.
  result.session.reset(SSL_get1_session(ssl), &SSL_SESSION_free);
  return result;
}

std::string get_closing(std::string_view target, std::string_view host = "localhost") {
  return "GET " + std::string(target) + " HTTP/1.1\r\nHost: " + std::string(host) +
         "\r\nConnection: close\r\n\r\n";
}

class HttpsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    site_.write("index.html", "<h1>over TLS</h1>\n");
    files_ = certificates().issue("localhost");
  }
  static TestCertificates& certificates() { return shared_test_certificates(); }
  std::vector<std::string> tls_args(std::vector<std::string> extra = {}) const {
    std::vector<std::string> args{
        "--root",   site_.path().string(), "--tls-cert", files_.chain, "--tls-key",
        files_.key, "--log-level",         "debug"};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }
  const std::filesystem::path& ca() { return certificates().ca_file(); }

  TempDir site_;
  tls::CertificateFiles files_;
};

TEST_F(HttpsTest, CurlGetsTheFileWithTheCaAlone) {
  ServerProcess server(tls_args());
  ASSERT_TRUE(server.running());
  const std::string port = std::to_string(server.port());
  const RunResult curl = run_program(
      "/usr/bin/curl",
      {"-sS", "--cacert", ca().string(), "--resolve", "localhost:" + port + ":127.0.0.1", "-w",
       "\n%{http_code} %{http_version}", "https://localhost:" + port + "/"});
  EXPECT_EQ(curl.exit_code, 0) << curl.output;
  EXPECT_EQ(curl.output, "<h1>over TLS</h1>\n\n200 1.1");
}

TEST_F(HttpsTest, NegotiatesHttp11ByAlpnAndServesClientsWithoutAlpn) {
  ServerProcess server(tls_args());
  const HttpsResult with_alpn = https_exchange(server.port(), ca(), get_closing("/"));
  ASSERT_TRUE(with_alpn.handshake_ok) << with_alpn.error;
  EXPECT_EQ(with_alpn.alpn, "http/1.1");
  EXPECT_TRUE(with_alpn.response.starts_with("HTTP/1.1 200 OK\r\n")) << with_alpn.response;
  EXPECT_EQ(with_alpn.version, TLS1_3_VERSION);

  const HttpsResult without = https_exchange(server.port(), ca(), get_closing("/"), {.alpn = {}});
  ASSERT_TRUE(without.handshake_ok) << without.error;
  EXPECT_EQ(without.alpn, "");
  EXPECT_TRUE(without.response.starts_with("HTTP/1.1 200 OK\r\n"));

  // RFC 7301 §3.2: an offer without http/1.1 is refused with no_application_protocol.
  const HttpsResult h2_only =
      https_exchange(server.port(), ca(), get_closing("/"), {.alpn = {"h2"}});
  EXPECT_FALSE(h2_only.handshake_ok);
  EXPECT_NE(h2_only.error.find("no application protocol"), std::string::npos) << h2_only.error;
}

TEST_F(HttpsTest, Tls12WorksAndOlderProtocolsAreRefusedByTheServer) {
  ServerProcess server(tls_args());
  const HttpsResult tls12 =
      https_exchange(server.port(), ca(), get_closing("/"),
                     {.min_version = TLS1_2_VERSION, .max_version = TLS1_2_VERSION});
  ASSERT_TRUE(tls12.handshake_ok) << tls12.error;
  EXPECT_EQ(tls12.version, TLS1_2_VERSION);
  EXPECT_TRUE(tls12.response.starts_with("HTTP/1.1 200 OK\r\n"));

  for (int version : {TLS1_1_VERSION, TLS1_VERSION}) {
    const HttpsResult old = https_exchange(server.port(), ca(), get_closing("/"),
                                           {.min_version = version, .max_version = version});
    EXPECT_FALSE(old.handshake_ok) << "version " << version;
    // The server's alert, not the client refusing to offer: protocol_version (70).
    EXPECT_NE(old.error.find("alert protocol version"), std::string::npos) << old.error;
  }
  // An SSLv3 record is not even taken for TLS: plain 400 (what nginx does for non-TLS bytes).
  TestClient sslv3(kLoopback, server.port());
  ASSERT_TRUE(sslv3.send(std::string("\x16\x03\x00\x00\x2f\x01\x00\x00\x2b\x03\x00", 11)));
  const auto answer = sslv3.read_response();
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, 400);
  server.stop(SIGTERM);
  EXPECT_NE(server.output().find("failed: unsupported protocol"), std::string::npos)
      << server.output();
}

TEST_F(HttpsTest, SessionsResumeWithTicketsInBothVersions) {
  ServerProcess server(tls_args());
  for (int version : {TLS1_2_VERSION, TLS1_3_VERSION}) {
    const HttpsOptions fresh{.min_version = version, .max_version = version};
    const HttpsResult first = https_exchange(server.port(), ca(), get_closing("/"), fresh);
    ASSERT_TRUE(first.handshake_ok) << first.error;
    EXPECT_FALSE(first.reused);
    ASSERT_TRUE(first.session);
    HttpsOptions again = fresh;
    again.resume = first.session.get();
    const HttpsResult second = https_exchange(server.port(), ca(), get_closing("/"), again);
    ASSERT_TRUE(second.handshake_ok) << second.error;
    EXPECT_TRUE(second.reused) << "version " << version;
    EXPECT_TRUE(second.response.starts_with("HTTP/1.1 200 OK\r\n"));
  }
}

// The value of a single-sample metric in a Prometheus text body, or -1.
long long metric(const std::string& body, const std::string& name) {
  const std::size_t at = body.find("\n" + name + " ");
  return at == std::string::npos ? -1 : std::stoll(body.substr(at + name.size() + 2));
}

TEST_F(HttpsTest, MetricsCountHandshakesResumptionsAndFailures) {
  ServerProcess server(tls_args({"--status-path", "/metrics"}));
  const HttpsResult full = https_exchange(server.port(), ca(), get_closing("/"));
  ASSERT_TRUE(full.handshake_ok) << full.error;
  const HttpsResult resumed =
      https_exchange(server.port(), ca(), get_closing("/"), {.resume = full.session.get()});
  ASSERT_TRUE(resumed.reused);
  const HttpsResult refused =
      https_exchange(server.port(), ca(), get_closing("/"), {.alpn = {"h2"}});
  ASSERT_FALSE(refused.handshake_ok);
  // The scrape's own handshake is the third to finish.
  const HttpsResult scrape = https_exchange(server.port(), ca(), get_closing("/metrics"));
  EXPECT_EQ(metric(scrape.response, "hybrid_tls_handshakes_total"), 3) << scrape.response;
  EXPECT_EQ(metric(scrape.response, "hybrid_tls_resumed_total"), 1);
  EXPECT_EQ(metric(scrape.response, "hybrid_tls_handshake_errors_total"), 1);
}

TEST_F(HttpsTest, SniPicksEachVirtualHostsCertificateAndNeverServesTheKey) {
  TempDir sites;
  sites.write("a.test/index.html", "site a\n");
  sites.write("b.test/index.html", "site b\n");
  sites.write("default/index.html", "default\n");
  const tls::CertificateFiles a = certificates().issue("a.test");
  std::filesystem::copy_file(a.chain, sites.path() / "a.test" / "cert.pem");
  std::filesystem::copy_file(a.key, sites.path() / "a.test" / "key.pem");
  ServerProcess server({"--root", site_.path().string(), "--vhosts", sites.path().string(),
                        "--tls-cert", files_.chain, "--tls-key", files_.key});
  ASSERT_TRUE(server.running());

  const HttpsResult site_a =
      https_exchange(server.port(), ca(), get_closing("/", "a.test"), {.server_name = "a.test"});
  ASSERT_TRUE(site_a.handshake_ok) << site_a.error;
  EXPECT_EQ(site_a.peer_common_name, "a.test");
  EXPECT_TRUE(site_a.response.ends_with("\r\n\r\nsite a\n")) << site_a.response;

  // No certificate of its own, or no SNI at all: the main certificate.
  const HttpsResult site_b =
      https_exchange(server.port(), ca(), get_closing("/", "b.test"), {.server_name = "localhost"});
  ASSERT_TRUE(site_b.handshake_ok) << site_b.error;
  EXPECT_EQ(site_b.peer_common_name, "localhost");
  EXPECT_TRUE(site_b.response.ends_with("\r\n\r\nsite b\n"));

  for (const char* file : {"/key.pem", "/cert.pem"}) {
    const HttpsResult leak =
        https_exchange(server.port(), ca(), get_closing(file, "a.test"), {.server_name = "a.test"});
    EXPECT_TRUE(leak.response.starts_with("HTTP/1.1 404 ")) << file << ": " << leak.response;
  }
}

TEST_F(HttpsTest, RedirectListenerAnswers308WithTheHttpsUrl) {
  ServerProcess server(tls_args({"--redirect-http", "0"}));
  ASSERT_TRUE(server.running());
  const std::string output = server.output();
  const std::string marker = "redirecting plain HTTP on port ";
  const std::size_t at = output.find(marker);
  ASSERT_NE(at, std::string::npos) << output;
  const auto redirect_port =
      static_cast<std::uint16_t>(std::stoi(output.substr(at + marker.size())));
  const std::string https = "https://example.com:" + std::to_string(server.port());

  TestClient client(kLoopback, redirect_port);
  auto moved = client.request("GET /a/b%20c?x=1 HTTP/1.1\r\nHost: Example.com:80\r\n\r\n");
  ASSERT_TRUE(moved);
  EXPECT_EQ(moved->status, 308);
  EXPECT_EQ(moved->header("Location"), https + "/a/b%20c?x=1");
  // Keep-alive: the next request on the same connection is redirected too.
  auto head = client.request("HEAD / HTTP/1.1\r\nHost: example.com\r\n\r\n", true);
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 308);
  EXPECT_EQ(head->header("Location"), https + "/");

  const auto absolute =
      fetch(redirect_port, "GET http://example.com/x HTTP/1.1\r\nHost: other.org\r\n\r\n");
  ASSERT_TRUE(absolute);
  EXPECT_EQ(absolute->header("Location"), https + "/x");
  // No usable host: nothing to redirect to.
  for (const char* bad : {"GET / HTTP/1.0\r\n\r\n", "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n"}) {
    const auto refused = fetch(redirect_port, bad);
    ASSERT_TRUE(refused) << bad;
    EXPECT_EQ(refused->status, 400) << bad;
  }
}

TEST_F(HttpsTest, PlainHttpOnTheTlsPortGets400ThenClose) {
  ServerProcess server(tls_args());
  TestClient client(kLoopback, server.port());
  ASSERT_TRUE(client.send(make_request("GET", "/")));
  const auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 400);
  EXPECT_EQ(response->header("Connection"), "close");
  EXPECT_NE(response->body.find("HTTPS"), std::string::npos);
  EXPECT_TRUE(client.wait_closed());
}

TEST_F(HttpsTest, HalfAClientHelloIsClosedByTheHeaderTimeout) {
  ServerProcess server(tls_args({"--header-timeout", "1"}));
  // A record header announcing 512 bytes of handshake, and only the first few of them.
  TestClient client(kLoopback, server.port());
  ASSERT_TRUE(client.send(std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11)));
  const auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(client.wait_closed(10s));
  const auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_GE(waited, 800ms) << "closed before the timeout: not for stalling";
  EXPECT_LT(waited, 5s);
}

TEST_F(HttpsTest, GarbageAndTruncatedRecordsCloseOnlyTheirConnection) {
  ServerProcess server(tls_args());
  // An established keep-alive connection that must not notice.
  const HttpsResult before = https_exchange(server.port(), ca(), get_closing("/"));
  ASSERT_TRUE(before.handshake_ok) << before.error;

  const std::vector<std::string> bad_inputs = {
      std::string("\x16\x03\x01\x00\x05garbagegarbage", 19),           // a record that is no hello
      std::string("\x16\x03\x03\xff\xff", 5) + std::string(300, 'x'),  // oversized record
      std::string("\x16\x03\x01\x02\x00\x01\x00", 7),                  // truncated, then EOF
  };
  for (const std::string& input : bad_inputs) {
    TestClient client(kLoopback, server.port());
    ASSERT_TRUE(client.send(input));
    if (input.size() == 7) ::shutdown(client.fd(), SHUT_WR);
    EXPECT_TRUE(client.wait_closed(5s)) << "input of " << input.size() << " bytes";
  }
  const HttpsResult after = https_exchange(server.port(), ca(), get_closing("/"));
  ASSERT_TRUE(after.handshake_ok) << after.error;
  EXPECT_TRUE(after.response.starts_with("HTTP/1.1 200 OK\r\n"));
}

TEST_F(HttpsTest, RenegotiationIsRefused) {
  ServerProcess server(tls_args());
  // TLS 1.2 (1.3 has no renegotiation): ask for it mid-connection, as `openssl s_client` does
  // for an "R" line, then try to use the connection.
  const RunResult client = run_program(
      "/bin/sh",
      {"-c",
       "(sleep 0.3; echo R; sleep 0.5; printf 'GET / HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n'; "
       "sleep 0.5) | openssl s_client -connect 127.0.0.1:" +
           std::to_string(server.port()) + " -tls1_2 -CAfile " + ca().string() + " 2>&1"},
      10s);
  EXPECT_NE(client.output.find("RENEGOTIATING"), std::string::npos) << client.output;
  EXPECT_EQ(client.output.find("HTTP/1.1 200 OK"), std::string::npos)
      << "renegotiation was accepted:\n"
      << client.output;
  // Others are not disturbed.
  const HttpsResult other = https_exchange(server.port(), ca(), get_closing("/"));
  EXPECT_TRUE(other.response.starts_with("HTTP/1.1 200 OK\r\n"));
}

TEST_F(HttpsTest, SighupReloadsCertificatesForNewConnectionsOnly) {
  TempDir live;
  const auto chain = live.path() / "chain.pem";
  const auto key = live.path() / "key.pem";
  std::filesystem::copy_file(files_.chain, chain);
  std::filesystem::copy_file(files_.key, key);
  ServerProcess server(
      {"--root", site_.path().string(), "--tls-cert", chain.string(), "--tls-key", key.string()});
  ASSERT_TRUE(server.running());
  const HttpsResult old_cert = https_exchange(server.port(), ca(), get_closing("/"));
  ASSERT_TRUE(old_cert.handshake_ok) << old_cert.error;

  // A connection from before the reload, kept alive across it.
  HttpsConnection kept(server.port(), ca());
  ASSERT_TRUE(kept.established()) << kept.error();
  ASSERT_TRUE(kept.send(make_request("GET", "/")));
  EXPECT_TRUE(kept.read_response().starts_with("HTTP/1.1 200 OK\r\n"));
  const tls::CertificateFiles renewed = certificates().issue("localhost");
  std::filesystem::copy_file(renewed.chain, chain,
                             std::filesystem::copy_options::overwrite_existing);
  std::filesystem::copy_file(renewed.key, key, std::filesystem::copy_options::overwrite_existing);
  ASSERT_EQ(::kill(server.pid(), SIGHUP), 0);
  std::string fingerprint;
  for (int attempt = 0; attempt < 50 && fingerprint.empty(); ++attempt) {
    const HttpsResult now = https_exchange(server.port(), ca(), get_closing("/"));
    if (now.handshake_ok && now.peer_fingerprint != old_cert.peer_fingerprint) {
      fingerprint = now.peer_fingerprint;
    }
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_FALSE(fingerprint.empty()) << "still the old certificate after SIGHUP";

  // A broken key: the reload fails, says so, and the renewed certificate stays.
  {
    std::ofstream broken(key, std::ios::trunc);
    broken << "not a key\n";
  }
  ASSERT_EQ(::kill(server.pid(), SIGHUP), 0);
  std::this_thread::sleep_for(300ms);
  const HttpsResult after_failure = https_exchange(server.port(), ca(), get_closing("/"));
  ASSERT_TRUE(after_failure.handshake_ok) << after_failure.error;
  EXPECT_EQ(after_failure.peer_fingerprint, fingerprint);
  // The connection from before both reloads still works, on its own certificate.
  ASSERT_TRUE(kept.send(make_request("GET", "/")));
  EXPECT_TRUE(kept.read_response().ends_with("<h1>over TLS</h1>\n"));
  server.stop(SIGTERM);
  EXPECT_NE(server.output().find("cannot reload the TLS certificates"), std::string::npos)
      << server.output();
}

TEST_F(HttpsTest, BadTlsFlagsExitWithAClearMessage) {
  const RunResult no_key =
      run_hybridd({"--root", site_.path().string(), "--tls-cert", files_.chain});
  EXPECT_EQ(no_key.exit_code, 2) << no_key.output;
  EXPECT_NE(no_key.output.find("--tls-key"), std::string::npos) << no_key.output;

  const RunResult redirect_alone =
      run_hybridd({"--root", site_.path().string(), "--redirect-http", "0"});
  EXPECT_EQ(redirect_alone.exit_code, 2) << redirect_alone.output;

  const RunResult missing =
      run_hybridd({"--root", site_.path().string(), "--port", "0", "--tls-cert",
                   "/nonexistent/chain.pem", "--tls-key", files_.key});
  EXPECT_EQ(missing.exit_code, 1) << missing.output;
  EXPECT_NE(missing.output.find("/nonexistent/chain.pem"), std::string::npos) << missing.output;

  const tls::CertificateFiles other = certificates().issue("other.test");
  const RunResult mismatched = run_hybridd({"--root", site_.path().string(), "--port", "0",
                                            "--tls-cert", files_.chain, "--tls-key", other.key});
  EXPECT_EQ(mismatched.exit_code, 1) << mismatched.output;
}

// Many clients shaking hands at once, each then fetching a file: for ThreadSanitizer over the
// handshake path (reactor → worker → reactor hand-offs of a session), and for the counts.
TEST_F(HttpsTest, ConcurrentHandshakesAllSucceed) {
  std::string big(200 * 1024, 'z');
  site_.write("big.txt", big);
  ServerProcess server(tls_args({"--threads", "3"}));
  constexpr int kThreads = 6;
  constexpr int kPerThread = 8;
  std::atomic<int> served{0};
  std::atomic<int> resumed{0};
  std::vector<std::thread> clients;
  const std::filesystem::path ca_file = ca();
  for (int t = 0; t < kThreads; ++t) {
    clients.emplace_back([&, t] {
      std::shared_ptr<SSL_SESSION> session;
      for (int i = 0; i < kPerThread; ++i) {
        HttpsOptions options;
        options.resume = session.get();
        if (t % 2 == 1) options.max_version = TLS1_2_VERSION;
        const HttpsResult result =
            https_exchange(server.port(), ca_file, get_closing(i % 2 ? "/big.txt" : "/"), options);
        const bool whole = i % 2 ? result.response.ends_with(big)
                                 : result.response.ends_with("<h1>over TLS</h1>\n");
        if (result.handshake_ok && result.response.starts_with("HTTP/1.1 200 OK") && whole) {
          ++served;
        }
        if (result.reused) ++resumed;
        session = result.session;
      }
    });
  }
  for (auto& client : clients) client.join();
  EXPECT_EQ(served.load(), kThreads * kPerThread);
  EXPECT_EQ(resumed.load(), kThreads * (kPerThread - 1));
}

}  // namespace
}  // namespace hybrid::test
