#include "hybrid/server/server_stats.h"

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <future>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "hybrid/server/server.h"
#include "tests/support/running_server.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_client.h"

namespace hybrid::server {
namespace {

using namespace std::chrono_literals;

bool eventually(const std::function<bool()>& condition) {
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return condition();
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

// Checks the text exposition format's rules that a scraper relies on: every sample belongs to a
// family whose TYPE came before it, histogram buckets never decrease, and the +Inf bucket equals
// the _count. Returns the samples by "name{labels}".
std::map<std::string, std::string> parse_exposition(const std::string& text) {
  std::map<std::string, std::string> samples;
  std::map<std::string, std::string> types;
  std::map<std::string, std::uint64_t> last_bucket;  // by histogram and labels but "le"
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with("# TYPE ")) {
      std::istringstream words(line.substr(7));
      std::string name, type;
      words >> name >> type;
      EXPECT_FALSE(types.contains(name)) << "family declared twice: " << name;
      types[name] = type;
      continue;
    }
    if (line.starts_with("# HELP ")) continue;
    EXPECT_FALSE(line.empty() || line.starts_with("#")) << "unexpected line: " << line;
    const std::size_t space = line.rfind(' ');
    EXPECT_NE(space, std::string::npos) << line;
    if (space == std::string::npos) continue;
    const std::string key = line.substr(0, space);
    const std::string value = line.substr(space + 1);
    const std::string name = key.substr(0, key.find('{'));
    std::string family = name;
    for (std::string suffix : {"_bucket", "_sum", "_count"}) {
      if (name.ends_with(suffix) && types.contains(name.substr(0, name.size() - suffix.size())) &&
          types[name.substr(0, name.size() - suffix.size())] == "histogram") {
        family = name.substr(0, name.size() - suffix.size());
      }
    }
    EXPECT_TRUE(types.contains(family)) << "sample before its TYPE: " << line;
    if (name.ends_with("_bucket")) {
      std::string series = key;
      series.erase(series.find("le=\""));
      const std::uint64_t count = std::stoull(value);
      EXPECT_GE(count, last_bucket[series]) << "buckets must be cumulative: " << line;
      last_bucket[series] = count;
    }
    samples[key] = value;
  }
  return samples;
}

TEST(PrometheusTextTest, IsWellFormedWithCumulativeBuckets) {
  ServerStats stats;
  stats.connections_accepted = 7;
  stats.responses_by_class = {0, 5, 1, 2, 0};
  stats.request_duration.counts[0] = 3;
  stats.request_duration.counts[4] = 2;
  stats.request_duration.counts.back() = 1;
  stats.request_duration.count = 6;
  stats.request_duration.sum_ns = 1'500'000'000;
  stats.requests_by_route = {{"static", 4}, {"GET /api/{id}", 3}};
  const auto samples = parse_exposition(prometheus_text(stats));
  EXPECT_EQ(samples.at("hybrid_connections_accepted_total"), "7");
  EXPECT_EQ(samples.at("hybrid_responses_total{code=\"2xx\"}"), "5");
  EXPECT_EQ(samples.at("hybrid_responses_total{code=\"4xx\"}"), "2");
  EXPECT_EQ(samples.at("hybrid_request_duration_seconds_bucket{le=\"5e-05\"}"), "3");
  EXPECT_EQ(samples.at("hybrid_request_duration_seconds_bucket{le=\"0.001\"}"), "5");
  EXPECT_EQ(samples.at("hybrid_request_duration_seconds_bucket{le=\"10\"}"), "5");
  EXPECT_EQ(samples.at("hybrid_request_duration_seconds_bucket{le=\"+Inf\"}"), "6");
  EXPECT_EQ(samples.at("hybrid_request_duration_seconds_count"), "6");
  EXPECT_EQ(samples.at("hybrid_request_duration_seconds_sum"), "1.500000000");
  EXPECT_EQ(samples.at("hybrid_route_requests_total{route=\"GET /api/{id}\"}"), "3");
  EXPECT_EQ(samples.at("hybrid_pool_queued_jobs{pool=\"handlers\"}"), "0");
}

TEST(PrometheusTextTest, EscapesLabelValues) {
  ServerStats stats;
  stats.requests_by_route = {{"GET /a\"b\\c\nd", 1}};
  const std::string text = prometheus_text(stats);
  EXPECT_NE(text.find(R"(hybrid_route_requests_total{route="GET /a\"b\\c\nd"} 1)"),
            std::string::npos)
      << text;
}

std::optional<test::Response> get(std::uint16_t port, std::string_view target) {
  test::TestClient client("127.0.0.1", port);
  return client.request(test::make_request("GET", target));
}

std::uint64_t route_requests(const ServerStats& stats, std::string_view route) {
  for (const RouteRequests& entry : stats.requests_by_route) {
    if (entry.route == route) return entry.requests;
  }
  ADD_FAILURE() << "no route " << route;
  return 0;
}

// A service counts by route, mount and document root, and can serve the numbers on a route of
// its own instead of ServerOptions::status_path.
TEST(ServerStatsTest, CountsByRouteAndServesThemOnTheServicesOwnPath) {
  test::TempDir root;
  root.write("index.html", "home");
  test::TempDir assets;
  assets.write("site.css", "body{}");
  Server server(test::loopback_options(root.path()));
  server.handle(
      "GET /api/items/{id}",
      [](Request& request) {
        return Response::text(std::string(request.param("id").value_or("")));
      },
      RouteOptions{.blocking = false});
  server.mount("/assets", assets.path());
  server.handle(
      "GET /own/metrics",
      [&server](Request&) {
        Response response = Response::text(prometheus_text(server.stats()));
        response.content_type = "text/plain; version=0.0.4; charset=utf-8";
        return response;
      },
      RouteOptions{.blocking = false});
  test::Running running(server);

  for (std::string_view target :
       {"/api/items/1", "/api/items/2", "/assets/site.css", "/", "/missing"}) {
    ASSERT_TRUE(get(server.port(), target)) << target;
  }
  // A response's duration is counted once it is written, which may be just after the client
  // has read it: wait for the fifth.
  EXPECT_TRUE(eventually([&] { return server.stats().request_duration.count == 5; }))
      << server.stats().request_duration.count;
  ServerStats stats = server.stats();
  EXPECT_EQ(route_requests(stats, "GET /api/items/{id}"), 2u);
  EXPECT_EQ(route_requests(stats, "/assets/"), 1u);
  EXPECT_EQ(route_requests(stats, "static"), 2u);
  EXPECT_EQ(route_requests(stats, "GET /own/metrics"), 0u);
  EXPECT_EQ(stats.responses_by_class[1], 4u);
  EXPECT_EQ(stats.responses_by_class[3], 1u);
  EXPECT_EQ(stats.handler_requests, 2u);
  EXPECT_EQ(stats.workers.workers, 2u);
  EXPECT_EQ(stats.workers.queue_wait.count, stats.jobs_dispatched);

  auto scraped = get(server.port(), "/own/metrics");
  ASSERT_TRUE(scraped);
  EXPECT_EQ(scraped->status, 200);
  const auto samples = parse_exposition(scraped->body);
  EXPECT_EQ(samples.at("hybrid_route_requests_total{route=\"GET /api/items/{id}\"}"), "2");
  EXPECT_EQ(samples.at("hybrid_responses_total{code=\"2xx\"}"), "4");
}

// Blocking handlers held on one handler thread: the pool shows one busy thread and the others
// queued; once released, the queue's waits and the requests' durations show the hold.
TEST(ServerStatsTest, HandlerPoolShowsBusyThreadsQueuedJobsAndTheirWaits) {
  test::TempDir root;
  ServerOptions options = test::loopback_options(root.path());
  options.handler_threads = 1;
  Server server(options);
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  server.handle("GET /hold", [released](Request&) {
    released.wait();
    return Response::text("held");
  });
  test::Running running(server);

  std::vector<std::unique_ptr<test::TestClient>> clients;
  for (int i = 0; i < 3; ++i) {
    clients.push_back(std::make_unique<test::TestClient>("127.0.0.1", server.port()));
    ASSERT_TRUE(clients.back()->send(test::make_request("GET", "/hold")));
  }
  EXPECT_TRUE(eventually([&] {
    ServerStats stats = server.stats();
    return stats.handler_workers.busy == 1 && stats.handler_workers.queued == 2;
  })) << "busy "
      << server.stats().handler_workers.busy << ", queued "
      << server.stats().handler_workers.queued;
  EXPECT_EQ(server.stats().handler_workers.workers, 1u);
  const auto hold_started = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(30ms);
  release.set_value();
  for (auto& client : clients) {
    auto response = client->read_response();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->body, "held");
  }
  ASSERT_GE(std::chrono::steady_clock::now() - hold_started, 30ms);

  EXPECT_TRUE(eventually([&] { return server.stats().request_duration.count == 3; }));
  ServerStats stats = server.stats();
  EXPECT_EQ(stats.handler_workers.busy, 0u);
  EXPECT_EQ(stats.handler_workers.queued, 0u);
  EXPECT_EQ(stats.handler_workers.queue_wait.count, 3u);
  // Two requests waited for the thread the first one held for 30 ms or more: beyond 25 ms. (The
  // first one's own wait is short, but not bounded: under TSan on a busy VM it passed 25 ms.)
  std::uint64_t waited_long = 0;
  for (std::size_t i = 1; i < stats.handler_workers.queue_wait.counts.size(); ++i) {
    if (LatencyHistogram::kUpperBoundsNs[i - 1] >= 25'000'000) {
      waited_long += stats.handler_workers.queue_wait.counts[i];
    }
  }
  EXPECT_GE(waited_long, 2u);
  EXPECT_EQ(stats.request_duration.count, 3u);
  EXPECT_GE(stats.request_duration.sum_ns, 3 * 30'000'000u);
}

}  // namespace
}  // namespace hybrid::server
