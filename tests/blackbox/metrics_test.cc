// The metrics endpoint (--status-path) as an operator meets it: off by default, the Prometheus
// text format, counts that match what was served, and only the peers it is meant for.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <sstream>
#include <string>

#include "tests/blackbox/blackbox_support.h"
#include "tests/support/temp_dir.h"

namespace hybrid::test {
namespace {

// "name{labels}" → value, from an exposition.
std::map<std::string, std::string> samples_of(const std::string& text) {
  std::map<std::string, std::string> samples;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line[0] == '#') continue;
    const std::size_t space = line.rfind(' ');
    samples[line.substr(0, space)] = line.substr(space + 1);
  }
  return samples;
}

// Sends `request` (with "Connection: close") from `source` and returns the status code, or 0.
int status_from(std::string_view source, std::uint16_t port, std::string_view target) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in local{};
  local.sin_family = AF_INET;
  ::inet_pton(AF_INET, std::string(source).c_str(), &local.sin_addr);
  sockaddr_in server{};
  server.sin_family = AF_INET;
  server.sin_port = htons(port);
  ::inet_pton(AF_INET, "127.0.0.1", &server.sin_addr);
  const std::string request =
      "GET " + std::string(target) + " HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
  std::string reply;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) == 0 &&
      ::connect(fd, reinterpret_cast<sockaddr*>(&server), sizeof server) == 0 &&
      ::send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
          static_cast<ssize_t>(request.size())) {
    char buffer[4096];
    for (ssize_t n; (n = ::read(fd, buffer, sizeof buffer)) > 0;) reply.append(buffer, n);
  }
  ::close(fd);
  if (!reply.starts_with("HTTP/1.1 ")) return 0;
  return std::stoi(reply.substr(9, 3));
}

TEST(MetricsTest, OffByDefault) {
  TempDir root;
  root.write("index.html", "home");
  ServerProcess server(root_args(root.path()));
  auto response = get(server.port(), "/metrics");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 404);
}

TEST(MetricsTest, CountsWhatWasServed) {
  TempDir root;
  const std::string page(3000, 'p');
  root.write("page.html", page);
  ServerProcess server(root_args(root.path(), {"--status-path", "/metrics", "--threads", "2"}));
  std::size_t body_bytes = 0;
  for (int i = 0; i < 3; ++i) {
    auto response = get(server.port(), "/page.html");
    ASSERT_TRUE(response);
    ASSERT_EQ(response->status, 200);
    body_bytes += response->body.size();
  }
  auto missing = get(server.port(), "/missing.html");
  ASSERT_TRUE(missing);
  ASSERT_EQ(missing->status, 404);
  body_bytes += missing->body.size();

  // A response's duration is counted once it is written, which may be just after the client
  // has read it: scrape until every response counted by status has its duration counted too.
  // Each scrape is itself a request the next one counts.
  std::map<std::string, std::string> samples;
  std::uint64_t scrapes_before = 0;
  for (;; ++scrapes_before) {
    auto scraped = get(server.port(), "/metrics?ignored=1");
    ASSERT_TRUE(scraped);
    ASSERT_EQ(scraped->status, 200);
    EXPECT_EQ(scraped->header("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
    EXPECT_EQ(scraped->header("Cache-Control"), "no-store");
    samples = samples_of(scraped->body);
    const std::uint64_t responses = std::stoull(samples["hybrid_responses_total{code=\"2xx\"}"]) +
                                    std::stoull(samples["hybrid_responses_total{code=\"4xx\"}"]);
    if (samples["hybrid_request_duration_seconds_count"] == std::to_string(responses)) break;
    ASSERT_LT(scrapes_before, 100u) << "durations never caught up with responses";
  }
  const auto plus_scrapes = [&](std::uint64_t n) { return std::to_string(n + scrapes_before); };
  // Four requests before the scrapes, each on its own connection; this scrape is one more.
  EXPECT_EQ(samples["hybrid_connections_accepted_total"], plus_scrapes(5));
  EXPECT_EQ(samples["hybrid_connections_open"], "1");
  EXPECT_EQ(samples["hybrid_responses_total{code=\"2xx\"}"], plus_scrapes(3));
  EXPECT_EQ(samples["hybrid_responses_total{code=\"4xx\"}"], "1");
  EXPECT_EQ(samples["hybrid_route_requests_total{route=\"static\"}"], plus_scrapes(4));
  EXPECT_EQ(samples["hybrid_request_duration_seconds_count"], plus_scrapes(4));
  EXPECT_EQ(samples["hybrid_request_duration_seconds_bucket{le=\"+Inf\"}"], plus_scrapes(4));
  EXPECT_EQ(samples["hybrid_jobs_dispatched_total"], plus_scrapes(5));
  EXPECT_EQ(samples["hybrid_pool_threads{pool=\"workers\"}"], "2");
  EXPECT_EQ(samples["hybrid_pool_busy_threads{pool=\"workers\"}"], "1");  // the scrape's own
  EXPECT_EQ(samples["hybrid_pool_queue_wait_seconds_count{pool=\"workers\"}"], plus_scrapes(5));
  // Three hits on page.html were shared by two workers' caches: at least one hit, and every
  // lookup counted once.
  EXPECT_EQ(std::stoull(samples["hybrid_file_cache_hits_total"]) +
                std::stoull(samples["hybrid_file_cache_misses_total"]),
            4u);
  const std::uint64_t sent = std::stoull(samples["hybrid_sent_bytes_total"]);
  EXPECT_GT(sent, body_bytes);  // the heads too
  // ... and nothing more than four heads and the earlier scrapes (each under 8 KiB).
  EXPECT_LT(sent, body_bytes + 4 * 400 + scrapes_before * 8192);
}

TEST(MetricsTest, HeadAndOtherMethods) {
  TempDir root;
  ServerProcess server(root_args(root.path(), {"--status-path", "/metrics"}));
  auto head = fetch(server.port(), make_request("HEAD", "/metrics"), true);
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  EXPECT_TRUE(head->body.empty());
  EXPECT_NE(head->header("Content-Length"), "0");
  auto post = fetch(server.port(), make_request("POST", "/metrics", "Content-Length: 0\r\n"));
  ASSERT_TRUE(post);
  EXPECT_EQ(post->status, 405);
  // Only the exact path: below it is the document root's.
  auto below = get(server.port(), "/metrics/x");
  ASSERT_TRUE(below);
  EXPECT_EQ(below->status, 404);
}

TEST(MetricsTest, AnswersOnlyPeersInStatusAllow) {
  TempDir root;
  root.write("index.html", "home");
  ServerProcess server(
      root_args(root.path(), {"--status-path", "/metrics", "--status-allow", "127.0.0.2/32"}));
  EXPECT_EQ(status_from("127.0.0.1", server.port(), "/metrics"), 403);
  EXPECT_EQ(status_from("127.0.0.2", server.port(), "/metrics"), 200);
  EXPECT_EQ(status_from("127.0.0.1", server.port(), "/"), 200);  // the rest is for everyone
}

TEST(MetricsTest, BadStatusFlagsAreStartupErrors) {
  TempDir root;
  auto bad_network = run_hybridd({"--root", root.path().string(), "--port", "0", "--status-path",
                                  "/m", "--status-allow", "10.0.0.0/40"});
  EXPECT_NE(bad_network.exit_code, 0);
  EXPECT_NE(bad_network.output.find("10.0.0.0/40"), std::string::npos) << bad_network.output;
  auto bad_path =
      run_hybridd({"--root", root.path().string(), "--port", "0", "--status-path", "metrics"});
  EXPECT_NE(bad_path.exit_code, 0);
  EXPECT_NE(bad_path.output.find("status path"), std::string::npos) << bad_path.output;
  // Networks allowed to read an endpoint that is not there: a mistake worth stopping for.
  auto allow_alone =
      run_hybridd({"--root", root.path().string(), "--port", "0", "--status-allow", "10.0.0.0/8"});
  EXPECT_NE(allow_alone.exit_code, 0);
  EXPECT_NE(allow_alone.output.find("no status path"), std::string::npos) << allow_alone.output;
}

// A peer that is not on loopback is refused by default. The test needs such a peer without
// sending anything off this machine: a network namespace of its own (root only) whose loopback
// device also carries 10.87.0.1, where hybridd listens on every address and curl asks from
// 10.87.0.1 — a peer outside 127.0.0.0/8 and ::1.
TEST(MetricsTest, RefusesANonLoopbackPeerByDefault) {
  if (::geteuid() != 0) GTEST_SKIP() << "a network namespace needs root";
  for (const char* tool : {"/usr/bin/unshare", "/usr/bin/curl"}) {
    if (!std::filesystem::exists(tool)) GTEST_SKIP() << tool << " is not installed";
  }
  if (!std::filesystem::exists("/usr/sbin/ip") && !std::filesystem::exists("/usr/bin/ip") &&
      !std::filesystem::exists("/sbin/ip")) {
    GTEST_SKIP() << "ip (iproute2) is not installed";
  }
  TempDir root;
  root.write("index.html", "home");
  const std::string script =
      "set -u\n"
      "ip link set lo up && ip addr add 10.87.0.1/32 dev lo || { echo netns-failed; exit 0; }\n"
      "'" HYBRIDD_PATH "' --bind 0.0.0.0 --port 8080 --root '" +
      root.path().string() +
      "' --status-path /metrics >/dev/null 2>&1 &\n"
      "pid=$!\n"
      "trap 'kill $pid 2>/dev/null' EXIT\n"
      "for i in $(seq 100); do curl -s -o /dev/null http://127.0.0.1:8080/ && break; "
      "sleep 0.05; done\n"
      "echo remote=$(curl -s -o /dev/null -w '%{http_code}' http://10.87.0.1:8080/metrics)\n"
      "echo remote_page=$(curl -s -o /dev/null -w '%{http_code}' http://10.87.0.1:8080/)\n"
      "echo local=$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:8080/metrics)\n";
  auto result =
      run_program("/usr/bin/unshare", {"--net", "/bin/sh", "-c", script}, std::chrono::seconds(20));
  if (result.output.find("netns-failed") != std::string::npos) {
    GTEST_SKIP() << "cannot set up a network namespace here: " << result.output;
  }
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("remote=403"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("remote_page=200"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("local=200"), std::string::npos) << result.output;
}

}  // namespace
}  // namespace hybrid::test
