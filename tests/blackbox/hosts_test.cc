// Black-box: name-based virtual hosts (--vhosts DIR). The Host header, or the authority of an
// absolute-form target, picks DIR/<host>/, else DIR/default/, else 421; no Host value can name a
// directory outside DIR.
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gtest/gtest.h"
#include "tests/blackbox/blackbox_support.h"
#include "tests/support/server_process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_client.h"

namespace hybrid::test {
namespace {

using namespace std::string_literals;

constexpr std::string_view kExample = "<!DOCTYPE html><title>example.com</title>\n";
constexpr std::string_view kDefault = "<!DOCTYPE html><title>default site</title>\n";
constexpr std::string_view kRoot = "<!DOCTYPE html><title>the --root directory</title>\n";
constexpr std::string_view kOutside = "<!DOCTYPE html><title>outside the sites</title>\n";

// GET `target` with exactly `host_line` as the Host header line ("" for none).
std::string request_for(std::string_view target, std::string_view host_line,
                        std::string_view version = "HTTP/1.1") {
  return "GET "s.append(target) + " " + std::string(version) + "\r\n" + std::string(host_line) +
         "\r\n";
}

std::string host(std::string_view name) {
  return "Host: "s.append(name) + "\r\n";
}

// Layout under one scratch directory:
//   root/index.html          --root (never served while --vhosts is on)
//   sites/example.com/       the example.com site
//   sites/default/           the fallback site (left out by the 421 tests)
//   etc/index.html           a sibling of sites/: what "../etc" would reach
//   sites/index.html         what a Host of "." would reach
class HostsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_.write("root/index.html", kRoot);
    base_.write("sites/example.com/index.html", kExample);
    base_.write("sites/example.com/page.txt", "example page\n");
    base_.write("sites/default/index.html", kDefault);
    base_.write("etc/index.html", kOutside);
    base_.write("sites/index.html", kOutside);  // DIR itself is no site either
    base_.write("sites/Upper.example/index.html", "never served: not a normalised name\n");
    server_ = std::make_unique<ServerProcess>(std::vector<std::string>{
        "--root", (base_.path() / "root").string(), "--vhosts", (base_.path() / "sites").string()});
    ASSERT_TRUE(server_->running());
  }

  std::uint16_t port() const { return server_->port(); }

  std::optional<Response> send(std::string_view raw) { return fetch(port(), raw); }

  void expect_site(std::string_view raw, std::string_view body) {
    SCOPED_TRACE(testing::PrintToString(std::string(raw)));
    const auto response = send(raw);
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->body, body);
  }

  TempDir base_;
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(HostsTest, HostHeaderSelectsTheSite_Rfc9110_7_2) {
  for (const char* name :
       {"example.com", "EXAMPLE.COM:8080", "Example.Com", "example.com:80", "example.com."}) {
    expect_site(request_for("/", host(name)), kExample);
  }
  expect_site(request_for("/page.txt", host("example.com")), "example page\n");
}

TEST_F(HostsTest, AbsoluteFormAuthorityWinsOverHost_Rfc9112_3_2_2) {
  expect_site(request_for("http://example.com/", host("other.test")), kExample);
  expect_site(request_for("http://EXAMPLE.com:8080/index.html", host("other.test")), kExample);
  expect_site(request_for("http://example.com", host("other.test")), kExample);
  expect_site(request_for("https://example.com/page.txt", host("other.test")), "example page\n");
  // And the other way round: the Host header does not pull the request back to example.com.
  expect_site(request_for("http://other.test/", host("example.com")), kDefault);
}

TEST_F(HostsTest, UnknownHostGetsTheDefaultSite) {
  for (const char* name : {"unknown.test", "127.0.0.1", "localhost:1234", "upper.example",
                           "[::1]:8080", "www.example.com"}) {
    expect_site(request_for("/", host(name)), kDefault);
  }
  // HTTP/1.0 may omit Host: there is no name to match.
  expect_site(request_for("/", "", "HTTP/1.0"), kDefault);
}

TEST_F(HostsTest, HostileHostsNeverLeaveTheSitesDirectory) {
  const std::vector<std::string> requests = {
      request_for("/", host("../etc")),
      request_for("/", host("..")),
      request_for("/etc/index.html", host("..")),
      request_for("/etc/", host("..:80")),
      request_for("/index.html", host(".")),
      request_for("/", host(".")),
      request_for("/", host("...")),
      request_for("/", host("a..b")),
      request_for("/", host("exa mple")),
      request_for("/", host("..:80")),
      request_for("/", host(".example.com")),
      request_for("/", host("example.com/../../etc")),
      request_for("/", host("%2e%2e")),
      request_for("/", host("..%2fetc")),
      request_for("/", host("[..]")),
      request_for("/", host("[../etc]")),
      request_for("/", host("example.com\\..\\etc")),
      request_for("/", host("")),
      request_for("http://../etc/", host("test")),
      request_for("http://..:80/", host("test")),
      request_for("http://a..b/", host("test")),
      request_for("http://%2e%2e/", host("test")),
      request_for("http://[..]/", host("test")),
      request_for("/../etc/index.html", host("example.com")),
      request_for("/%2e%2e/etc/index.html", host("example.com")),
  };
  for (const std::string& raw : requests) {
    SCOPED_TRACE(testing::PrintToString(raw));
    const auto response = send(raw);
    ASSERT_TRUE(response);
    EXPECT_NE(response->body, kOutside) << "a file outside the sites directory was served";
    EXPECT_NE(response->body, kRoot) << "--root was served while --vhosts is on";
    // The fallback site, or a refusal; never another directory.
    EXPECT_TRUE(response->status == 400 || response->status == 404 ||
                (response->status == 200 && response->body == kDefault))
        << response->status << " " << response->body;
  }
}

TEST(HostsWithoutDefaultTest, UnknownHostIs421_Rfc9110_15_5_20) {
  TempDir base;
  base.write("root/index.html", kRoot);
  base.write("sites/example.com/index.html", kExample);
  ServerProcess server(
      {"--root", (base.path() / "root").string(), "--vhosts", (base.path() / "sites").string()});
  ASSERT_TRUE(server.running());

  TestClient client(kLoopback, server.port());
  for (const char* name : {"unknown.test", "a..b", "127.0.0.1"}) {
    SCOPED_TRACE(name);
    const auto response = client.request(request_for("/", host(name)));
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 421);
    EXPECT_NE(response->body, kRoot);
  }
  // The connection is still usable, and a known name is still served on it.
  const auto known = client.request(request_for("/", host("example.com")));
  ASSERT_TRUE(known);
  EXPECT_EQ(known->status, 200);
  EXPECT_EQ(known->body, kExample);
}

TEST(HostsDisabledTest, WithoutVhostsTheRootServesEveryHost) {
  TempDir base;
  base.write("root/index.html", kRoot);
  base.write("root/example.com/index.html", kExample);
  ServerProcess server(root_args(base.path() / "root"));
  ASSERT_TRUE(server.running());
  for (const std::string& raw :
       {request_for("/", host("example.com")), request_for("/", host("unknown.test")),
        request_for("http://example.com/", host("example.com")),
        request_for("/", "", "HTTP/1.0")}) {
    SCOPED_TRACE(testing::PrintToString(raw));
    const auto response = fetch(server.port(), raw);
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->body, kRoot);
  }
}

}  // namespace
}  // namespace hybrid::test
