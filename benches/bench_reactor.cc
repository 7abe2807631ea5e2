// bench_reactor: hybrid's hot paths, each measured beside a reference in the same run.
//
//   what                 hybrid                          reference
//   parse a request      http::parse_request             Debian's http-parser (if built with it)
//   hand a job over      pool::WorkerPool (lock-free)    mutex + condition_variable queue
//   Content-Type         mime_type_for_extension         std::unordered_map with a lowered key
//   route a request      http::Router (a segment tree)   a linear scan of pre-split patterns
//   sniffed type         MimeSniffer cache hit           a libmagic call (cache miss)
//   200 head             ResponseHeadWriter              snprintf of the same bytes
//   404 response         build_error_response            copying a cached 404 and patching Date
//   collect a body       http::BodyCollector, 16 KiB     memcpy through the same buffer
//   end to end           server::Server on loopback      a blocking canned responder
//
// Every benchmark checks its result once, outside the timed loop, and skips with an error when it
// is wrong: a fast wrong answer must not print a number. Absolute figures drift 10–30 % between
// runs on a shared VM, so the table printed last gives ratios to the reference of the same run.
#include <arpa/inet.h>
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <charconv>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "hybrid/http/body_collector.h"
#include "hybrid/http/body_framing.h"
#include "hybrid/http/mime.h"
#include "hybrid/http/mime_sniffer.h"
#include "hybrid/http/request.h"
#include "hybrid/http/request_parser.h"
#include "hybrid/http/response_head.h"
#include "hybrid/http/router.h"
#include "hybrid/http/status.h"
#include "hybrid/pool/worker_pool.h"
#include "hybrid/server/server.h"
#include "hybrid/server/thread_metrics.h"

#ifdef HYBRID_HAVE_HTTP_PARSER
#include <http_parser.h>
#endif

namespace {

namespace http = hybrid::http;
namespace server = hybrid::server;
using hybrid::pool::Job;

// ---------------------------------------------------------------------------------------------
// Small helpers: an owned fd and a scratch directory.

class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() { reset(); }
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) {
      reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  int get() const { return fd_; }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
};

class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "hybrid-bench-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  std::filesystem::path write(const std::string& name, std::string_view content) const {
    const auto file = path_ / name;
    std::ofstream out(file, std::ios::binary);
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    if (!out) throw std::runtime_error("cannot write " + file.string());
    return file;
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Deterministic printable filler, so a body check compares real bytes.
std::string filler(std::size_t size) {
  std::string text(size, ' ');
  for (std::size_t i = 0; i < size; ++i) {
    text[i] = (i % 64 == 63) ? '\n' : static_cast<char>('a' + (i * 7 + i / 64) % 26);
  }
  return text;
}

// ---------------------------------------------------------------------------------------------
// Request parsing. The head is what Chromium 124 sends for a script on a site with cookies (the
// Sec-Fetch-* and Referer lines left out to keep it near 500 bytes).

constexpr std::string_view kChromiumGet =
    "GET /assets/app.3f9c2b.js?v=124 HTTP/1.1\r\n"
    "Host: www.example.com\r\n"
    "Connection: keep-alive\r\n"
    "sec-ch-ua: \"Chromium\";v=\"124\", \"Google Chrome\";v=\"124\", \"Not-A.Brand\";v=\"99\"\r\n"
    "sec-ch-ua-mobile: ?0\r\n"
    "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36\r\n"
    "sec-ch-ua-platform: \"Linux\"\r\n"
    "Accept: */*\r\n"
    "Accept-Encoding: gzip, deflate, br, zstd\r\n"
    "Accept-Language: en-US,en;q=0.9\r\n"
    "Cookie: _ga=GA1.1.1234567890.1700000000; session=7f3a9c1e2b4d; theme=dark\r\n"
    "\r\n";
constexpr std::size_t kChromiumGetHeaders = 10;
constexpr std::string_view kChromiumCookie =
    "_ga=GA1.1.1234567890.1700000000; session=7f3a9c1e2b4d; theme=dark";

void BM_ParseRequest_Hybrid(benchmark::State& state) {
  const std::string buffer(kChromiumGet);  // a heap buffer, like a connection's input
  http::Request request;
  const http::ParseResult check = http::parse_request(buffer, request);
  if (check.status != http::ParseStatus::kComplete || check.consumed != buffer.size() ||
      request.method != http::Method::kGet || request.header_count != kChromiumGetHeaders ||
      request.find_header("cookie") != kChromiumCookie) {
    state.SkipWithError("parse_request did not return the expected request");
    return;
  }
  for (auto _ : state) {
    http::ParseResult result = http::parse_request(buffer, request);
    benchmark::DoNotOptimize(result);
    benchmark::DoNotOptimize(request.header_count);
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(buffer.size()));
  state.SetLabel(std::to_string(buffer.size()) + " B, " + std::to_string(kChromiumGetHeaders) +
                 " headers");
}
BENCHMARK(BM_ParseRequest_Hybrid);

#ifdef HYBRID_HAVE_HTTP_PARSER
// http-parser delivers the same views hybrid's parser does (method, URL, each name and value), so
// both sides do comparable work. With the whole head in one buffer each field and each value
// arrives in exactly one callback; the check below confirms it by the count.
struct HttpParserCapture {
  std::string_view url;
  std::array<http::Header, http::kMaxHeaders> headers{};
  std::size_t header_count = 0;
  bool headers_complete = false;
};

HttpParserCapture& capture_of(http_parser* parser) {
  return *static_cast<HttpParserCapture*>(parser->data);
}

int on_url(http_parser* parser, const char* at, std::size_t length) {
  capture_of(parser).url = {at, length};
  return 0;
}
int on_header_field(http_parser* parser, const char* at, std::size_t length) {
  HttpParserCapture& capture = capture_of(parser);
  if (capture.header_count == capture.headers.size()) return 1;  // like hybrid's 431
  capture.headers[capture.header_count++].name = {at, length};
  return 0;
}
int on_header_value(http_parser* parser, const char* at, std::size_t length) {
  HttpParserCapture& capture = capture_of(parser);
  if (capture.header_count == 0) return 1;
  capture.headers[capture.header_count - 1].value = {at, length};
  return 0;
}
int on_headers_complete(http_parser* parser) {
  capture_of(parser).headers_complete = true;
  return 0;
}

void BM_ParseRequest_HttpParser(benchmark::State& state) {
  const std::string buffer(kChromiumGet);
  http_parser_settings settings;
  http_parser_settings_init(&settings);
  settings.on_url = on_url;
  settings.on_header_field = on_header_field;
  settings.on_header_value = on_header_value;
  settings.on_headers_complete = on_headers_complete;
  http_parser parser;
  HttpParserCapture capture;

  auto parse_once = [&] {
    http_parser_init(&parser, HTTP_REQUEST);
    parser.data = &capture;
    capture.header_count = 0;
    capture.headers_complete = false;
    return http_parser_execute(&parser, &settings, buffer.data(), buffer.size());
  };

  const std::size_t parsed = parse_once();
  if (parsed != buffer.size() || static_cast<http_errno>(parser.http_errno) != HPE_OK ||
      static_cast<http_method>(parser.method) != HTTP_GET || !capture.headers_complete ||
      capture.header_count != kChromiumGetHeaders ||
      capture.headers[kChromiumGetHeaders - 1].value != kChromiumCookie ||
      capture.url != "/assets/app.3f9c2b.js?v=124") {
    state.SkipWithError("http-parser did not return the expected request");
    return;
  }
  for (auto _ : state) {
    std::size_t n = parse_once();
    benchmark::DoNotOptimize(n);
    benchmark::DoNotOptimize(capture.header_count);
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(buffer.size()));
  state.SetLabel(std::to_string(buffer.size()) + " B, " + std::to_string(kChromiumGetHeaders) +
                 " headers");
}
BENCHMARK(BM_ParseRequest_HttpParser);
#endif

// ---------------------------------------------------------------------------------------------
// Job hand-off: one producer submits a round of jobs, N consumers run them; a round ends when the
// last job has run. Each job points at its own cache line, as a job points at its connection.

constexpr std::size_t kJobsPerRound = 16384;
constexpr std::size_t kQueueCapacity = 1024;

struct alignas(64) JobSlot {
  std::atomic<std::uint32_t> runs{0};
};

// The textbook pool (cpp-httplib's TaskQueue shape): one mutex around a bounded ring, one
// condition variable, and every submit notifies. Same interface and backpressure as WorkerPool.
class MutexCondvarPool {
 public:
  using Handler = hybrid::pool::WorkerPool::Handler;

  MutexCondvarPool(std::size_t threads, std::size_t capacity, Handler handler)
      : handler_(std::move(handler)), ring_(capacity) {
    for (std::size_t i = 0; i < threads; ++i) threads_.emplace_back([this, i] { run(i); });
  }
  ~MutexCondvarPool() { stop(); }
  MutexCondvarPool(const MutexCondvarPool&) = delete;
  MutexCondvarPool& operator=(const MutexCondvarPool&) = delete;

  bool try_submit(Job job) {
    {
      std::lock_guard lock(mutex_);
      if (count_ == ring_.size()) return false;
      ring_[(head_ + count_) % ring_.size()] = job;
      ++count_;
    }
    ready_.notify_one();
    return true;
  }

  void stop() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    ready_.notify_all();
    for (auto& thread : threads_) {
      if (thread.joinable()) thread.join();
    }
  }

 private:
  void run(std::size_t worker) {
    std::unique_lock lock(mutex_);
    while (true) {
      ready_.wait(lock, [this] { return stopping_ || count_ > 0; });
      if (count_ == 0) return;  // stopping, and everything queued has run
      const Job job = ring_[head_];
      head_ = (head_ + 1) % ring_.size();
      --count_;
      lock.unlock();
      handler_(worker, job);
      lock.lock();
    }
  }

  Handler handler_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::vector<Job> ring_;
  std::size_t head_ = 0;
  std::size_t count_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

// How the producer submits: one wake-up chance per job, or per round (WorkerPool's batched
// submit, as the reactor uses it: end_batch() after its epoll round).
enum class Submit { kEach, kBatched };

template <class Pool, Submit kSubmit = Submit::kEach>
void run_round(Pool& pool, std::vector<JobSlot>& slots, std::atomic<std::uint32_t>& done) {
  done.store(0, std::memory_order_relaxed);  // every consumer is idle: the last round finished
  for (JobSlot& slot : slots) {
    if constexpr (kSubmit == Submit::kBatched) {
      while (!pool.try_submit_batched(Job{&slot})) {
        pool.end_batch();  // queue full: let the workers at it, then retry
        std::this_thread::yield();
      }
    } else {
      while (!pool.try_submit(Job{&slot})) std::this_thread::yield();  // queue full: backpressure
    }
  }
  if constexpr (kSubmit == Submit::kBatched) pool.end_batch();
  for (std::uint32_t seen = done.load(std::memory_order_acquire); seen != kJobsPerRound;
       seen = done.load(std::memory_order_acquire)) {
    done.wait(seen, std::memory_order_acquire);
  }
}

template <class Pool, Submit kSubmit = Submit::kEach>
void job_hand_off(benchmark::State& state) {
  const auto consumers = static_cast<std::size_t>(state.range(0));
  std::vector<JobSlot> slots(kJobsPerRound);
  std::atomic<std::uint32_t> done{0};
  Pool pool(consumers, kQueueCapacity, [&done](std::size_t, Job job) {
    static_cast<JobSlot*>(job.item)->runs.fetch_add(1, std::memory_order_relaxed);
    if (done.fetch_add(1, std::memory_order_acq_rel) + 1 == kJobsPerRound) done.notify_one();
  });

  // The check: one round runs every job exactly once.
  run_round<Pool, kSubmit>(pool, slots, done);
  for (const JobSlot& slot : slots) {
    if (slot.runs.load() != 1) {
      state.SkipWithError("a job did not run exactly once");
      return;
    }
  }

  std::uint64_t parks_before = 0;
  if constexpr (requires { pool.parks(); }) parks_before = pool.parks();
  for (auto _ : state) run_round<Pool, kSubmit>(pool, slots, done);

  const auto jobs = state.iterations() * static_cast<std::int64_t>(kJobsPerRound);
  state.SetItemsProcessed(jobs);
  if constexpr (requires { pool.parks(); }) {
    state.counters["parks/job"] =
        static_cast<double>(pool.parks() - parks_before) / static_cast<double>(jobs);
  }
}

void BM_JobQueue_WorkerPool(benchmark::State& state) {
  job_hand_off<hybrid::pool::WorkerPool>(state);
}
void BM_JobQueue_WorkerPoolBatched(benchmark::State& state) {
  job_hand_off<hybrid::pool::WorkerPool, Submit::kBatched>(state);
}
void BM_JobQueue_MutexCondvar(benchmark::State& state) {
  job_hand_off<MutexCondvarPool>(state);
}
BENCHMARK(BM_JobQueue_WorkerPool)
    ->Arg(1)
    ->Arg(2)
    ->Arg(4)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_JobQueue_WorkerPoolBatched)
    ->Arg(1)
    ->Arg(2)
    ->Arg(4)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_JobQueue_MutexCondvar)
    ->Arg(1)
    ->Arg(2)
    ->Arg(4)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

// ---------------------------------------------------------------------------------------------
// Content-Type by extension.

struct MimeCase {
  std::string_view name;
  std::optional<std::string_view> type;
};
const std::array<MimeCase, 6> kMimeCases{{
    {"index.html", "text/html; charset=utf-8"},
    {"assets/app.3f9c2b.js", "text/javascript; charset=utf-8"},
    {"img/Holiday.JPG", "image/jpeg"},
    {"css/site.min.css", "text/css; charset=utf-8"},
    {"fonts/inter-var.woff2", "font/woff2"},
    {"LICENSE", std::nullopt},
}};

// What many servers do: lowercase the extension into a std::string and look it up in a hash map.
std::optional<std::string_view> type_by_map(
    const std::unordered_map<std::string, std::string_view>& map, std::string_view name) {
  const std::size_t slash = name.rfind('/');
  const std::string_view base = slash == std::string_view::npos ? name : name.substr(slash + 1);
  const std::size_t dot = base.rfind('.');
  if (dot == std::string_view::npos) return std::nullopt;
  std::string extension(base.substr(dot + 1));
  for (char& c : extension) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const auto found = map.find(extension);
  if (found == map.end()) return std::nullopt;
  return found->second;
}

void BM_MimeByExtension_Table(benchmark::State& state) {
  for (const MimeCase& c : kMimeCases) {
    if (http::mime_type_for_extension(c.name) != c.type) {
      state.SkipWithError(("wrong type for " + std::string(c.name)).c_str());
      return;
    }
  }
  for (auto _ : state) {
    for (const MimeCase& c : kMimeCases) {
      auto type = http::mime_type_for_extension(c.name);
      benchmark::DoNotOptimize(type);
    }
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(kMimeCases.size()));
}
BENCHMARK(BM_MimeByExtension_Table);

void BM_MimeByExtension_UnorderedMap(benchmark::State& state) {
  // As large as hybrid's table, so the map is no smaller than the thing it stands in for.
  std::unordered_map<std::string, std::string_view> map{{"html", "text/html; charset=utf-8"},
                                                        {"js", "text/javascript; charset=utf-8"},
                                                        {"jpg", "image/jpeg"},
                                                        {"css", "text/css; charset=utf-8"},
                                                        {"woff2", "font/woff2"}};
  for (int i = 0; map.size() < 64; ++i) {
    std::string filler_extension("x");  // not "x" + to_string(i): GCC 12 -Wrestrict misfires
    filler_extension += std::to_string(i);
    map.emplace(std::move(filler_extension), "application/x");
  }
  for (const MimeCase& c : kMimeCases) {
    if (type_by_map(map, c.name) != c.type) {
      state.SkipWithError(("map: wrong type for " + std::string(c.name)).c_str());
      return;
    }
  }
  for (auto _ : state) {
    for (const MimeCase& c : kMimeCases) {
      auto type = type_by_map(map, c.name);
      benchmark::DoNotOptimize(type);
    }
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(kMimeCases.size()));
}
BENCHMARK(BM_MimeByExtension_UnorderedMap);

// ---------------------------------------------------------------------------------------------
// Routing among 100 routes, the shape of a REST API: per resource a list, an item, its update and
// a nested delete, with a static-file {path...} route in place of the last one.

constexpr std::size_t kRouteResources = 25;

std::vector<std::string> router_patterns() {
  std::vector<std::string> patterns;
  for (std::size_t r = 0; r < kRouteResources; ++r) {
    const std::string base = "/api/v1/res" + std::string(r < 10 ? "0" : "") + std::to_string(r);
    patterns.push_back("GET " + base);
    patterns.push_back("GET " + base + "/{id}");
    patterns.push_back("PUT " + base + "/{id}");
    patterns.push_back("DELETE " + base + "/{id}/tags/{tag}");
  }
  patterns.back() = "GET /static/{path...}";
  return patterns;
}

struct RouteCase {
  std::string_view method;
  std::string_view path;
  std::size_t route;  // http::kNoRoute: 404
};
constexpr std::array<RouteCase, 6> kRouteCases{{
    {"GET", "/api/v1/res17", 68},
    {"GET", "/api/v1/res03/12345", 13},
    {"PUT", "/api/v1/res21/abc%20def", 86},
    {"DELETE", "/api/v1/res10/7/tags/blue", 43},
    {"GET", "/static/css/site.min.css", 99},
    {"GET", "/api/v1/res99", http::kNoRoute},
}};

void BM_RouterMatch_Hybrid(benchmark::State& state) {
  http::Router router;
  for (const std::string& pattern : router_patterns()) router.add(pattern);
  http::RouteParams params;
  params.reserve(router.scratch_bytes(256));
  for (const RouteCase& c : kRouteCases) {
    const http::RouteMatch match = router.match(c.method, c.path, params);
    if (match.route != c.route) {
      state.SkipWithError(("Router: wrong route for " + std::string(c.path)).c_str());
      return;
    }
  }
  if (router.match("PUT", "/api/v1/res21/abc%20def", params).route != 86 ||
      params.get("id") != "abc def") {
    state.SkipWithError("Router: wrong parameter value");
    return;
  }
  for (auto _ : state) {
    for (const RouteCase& c : kRouteCases) {
      http::RouteMatch match = router.match(c.method, c.path, params);
      benchmark::DoNotOptimize(match);
    }
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(kRouteCases.size()));
  state.SetLabel("100 routes, " + std::to_string(kRouteCases.size()) + " requests");
}
BENCHMARK(BM_RouterMatch_Hybrid);

// The reference: what a router without a tree does (cpp-httplib tries each handler's regex in
// turn; this is the cheaper form of that): decode the path's segments once, then compare them
// with each pattern's pre-split segments in registration order. The cases above are ones where
// registration order and the Router's precedence agree.
class LinearRouter {
 public:
  explicit LinearRouter(const std::vector<std::string>& patterns) {
    for (const std::string& pattern : patterns) {
      const std::size_t space = pattern.find(' ');
      Route route{pattern.substr(0, space), {}};
      for (std::size_t at = space + 2;;) {
        const std::size_t end = std::min(pattern.find('/', at), pattern.size());
        route.segments.push_back(pattern.substr(at, end - at));
        if (end == pattern.size()) break;
        at = end + 1;
      }
      routes_.push_back(std::move(route));
    }
  }

  // The route id, or kNoRoute; the wildcard values are left in values().
  std::size_t match(std::string_view method, std::string_view path) {
    std::size_t count = 0;
    std::size_t size = 0;
    for (std::size_t at = 1; count < segments_.size();) {
      std::size_t end = path.find('/', at);
      if (end == std::string_view::npos) end = path.size();
      const std::size_t start = size;
      for (std::size_t i = at; i < end; ++i) {
        if (path[i] == '%' && i + 2 < end) {
          scratch_[size++] = static_cast<char>(hex(path[i + 1]) * 16 + hex(path[i + 2]));
          i += 2;
        } else {
          scratch_[size++] = path[i];
        }
      }
      segments_[count++] = std::string_view(scratch_.data() + start, size - start);
      if (end == path.size()) break;
      scratch_[size++] = '/';
      at = end + 1;
    }
    for (std::size_t id = 0; id < routes_.size(); ++id) {
      const Route& route = routes_[id];
      if (route.method != method) continue;
      if (matches(route, count)) return id;
    }
    return http::kNoRoute;
  }

  std::span<const std::string_view> values() const { return {values_.data(), value_count_}; }

 private:
  static int hex(char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; }

  struct Route {
    std::string method;
    std::vector<std::string> segments;  // "{x}" a parameter, "{x...}" the rest
  };

  bool matches(const Route& route, std::size_t count) {
    value_count_ = 0;
    for (std::size_t i = 0; i < route.segments.size(); ++i) {
      const std::string& want = route.segments[i];
      if (want.ends_with("...}")) {
        if (i >= count) return false;
        const char* first = segments_[i].data();  // decoded segments are contiguous, '/'-joined
        const char* last = segments_[count - 1].data() + segments_[count - 1].size();
        values_[value_count_++] = std::string_view(first, static_cast<std::size_t>(last - first));
        return true;
      }
      if (i >= count) return false;
      if (want.starts_with('{')) {
        if (segments_[i].empty()) return false;
        values_[value_count_++] = segments_[i];
      } else if (want != segments_[i]) {
        return false;
      }
    }
    return route.segments.size() == count;
  }

  std::vector<Route> routes_;
  std::array<char, 256> scratch_{};
  std::array<std::string_view, 32> segments_{};
  std::array<std::string_view, 32> values_{};
  std::size_t value_count_ = 0;
};

void BM_RouterMatch_LinearScan(benchmark::State& state) {
  LinearRouter router(router_patterns());
  for (const RouteCase& c : kRouteCases) {
    if (router.match(c.method, c.path) != c.route) {
      state.SkipWithError(("LinearRouter: wrong route for " + std::string(c.path)).c_str());
      return;
    }
  }
  if (router.match("PUT", "/api/v1/res21/abc%20def") != 86 || router.values().size() != 1 ||
      router.values()[0] != "abc def") {
    state.SkipWithError("LinearRouter: wrong parameter value");
    return;
  }
  for (auto _ : state) {
    for (const RouteCase& c : kRouteCases) {
      std::size_t route = router.match(c.method, c.path);
      benchmark::DoNotOptimize(route);
    }
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(kRouteCases.size()));
  state.SetLabel("100 routes, " + std::to_string(kRouteCases.size()) + " requests");
}
BENCHMARK(BM_RouterMatch_LinearScan);

// ---------------------------------------------------------------------------------------------
// Content-Type by content: an extension-less text file (a LICENSE) through MimeSniffer.

struct SniffTarget {
  ScratchDir dir;
  Fd fd;
  struct stat st {};
};

// Opens a 4 KiB extension-less text file; false (with the error set) when that fails.
bool open_sniff_target(benchmark::State& state, SniffTarget& target) {
  const auto path = target.dir.write("LICENSE", filler(4096));
  target.fd = Fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (target.fd.get() < 0 || ::fstat(target.fd.get(), &target.st) != 0) {
    state.SkipWithError("cannot open the sniffed file");
    return false;
  }
  return true;
}

void BM_MimeSniff_CacheHit(benchmark::State& state) {
  SniffTarget target;
  if (!open_sniff_target(state, target)) return;
  http::MimeSniffer sniffer;
  const std::string type(sniffer.content_type(target.fd.get(), target.st));
  if (!type.starts_with("text/plain") || sniffer.magic_calls() != 1) {
    state.SkipWithError(("unexpected first sniff: " + type).c_str());
    return;
  }
  for (auto _ : state) {
    std::string_view hit = sniffer.content_type(target.fd.get(), target.st);
    benchmark::DoNotOptimize(hit);
  }
  if (sniffer.magic_calls() != 1) state.SkipWithError("a cache hit called libmagic");
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_MimeSniff_CacheHit);

// Every iteration presents a new mtime, so the key misses and libmagic runs, as it does for the
// first request after a file changes. (Changing the key in the struct stat is what touching the
// file would do, without the syscall in the timing.)
void BM_MimeSniff_Libmagic(benchmark::State& state) {
  SniffTarget target;
  if (!open_sniff_target(state, target)) return;
  http::MimeSniffer sniffer;
  const std::string type(sniffer.content_type(target.fd.get(), target.st));
  if (!type.starts_with("text/plain") || sniffer.magic_calls() != 1) {
    state.SkipWithError(("unexpected first sniff: " + type).c_str());
    return;
  }
  struct stat key = target.st;
  for (auto _ : state) {
    ++key.st_mtim.tv_sec;
    std::string_view miss = sniffer.content_type(target.fd.get(), key);
    benchmark::DoNotOptimize(miss);
  }
  if (sniffer.magic_calls() != static_cast<std::uint64_t>(state.iterations()) + 1) {
    state.SkipWithError("a changed file was not sniffed again");
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_MimeSniff_Libmagic)->Unit(benchmark::kMicrosecond);

// ---------------------------------------------------------------------------------------------
// Response heads. A fixed date keeps the bytes comparable; production passes http_date_now().

constexpr std::string_view kFixedDate = "Sun, 06 Nov 1994 08:49:37 GMT";
constexpr std::string_view kHeadType = "text/html; charset=utf-8";
constexpr std::string_view kHeadETag = "\"5f1e2d3c-400\"";
constexpr std::uint64_t kHeadLength = 1024;

// The head a static server typically sends for a 1 KiB page on a keep-alive connection.
std::size_t write_ok_head(std::span<char> out) {
  http::ResponseHeadWriter head(out, http::Status::kOk, kFixedDate);
  head.header("Content-Type", kHeadType)
      .header("Content-Length", kHeadLength)
      .header("Last-Modified", kFixedDate)
      .header("ETag", kHeadETag)
      .header("Accept-Ranges", "bytes")
      .header("X-Content-Type-Options", "nosniff")
      .header("Connection", "keep-alive");
  return head.finish();
}

int as_int(std::size_t n) {
  return static_cast<int>(n);
}

std::size_t snprintf_ok_head(std::span<char> out) {
  const std::string_view status = http::status_line(http::Status::kOk);
  const int n = std::snprintf(
      out.data(), out.size(),
      "%.*s\r\nDate: %.*s\r\nServer: %.*s\r\nContent-Type: %.*s\r\nContent-Length: %llu\r\n"
      "Last-Modified: %.*s\r\nETag: %.*s\r\nAccept-Ranges: bytes\r\n"
      "X-Content-Type-Options: nosniff\r\nConnection: keep-alive\r\n\r\n",
      as_int(status.size()), status.data(), as_int(kFixedDate.size()), kFixedDate.data(),
      as_int(http::kServerName.size()), http::kServerName.data(), as_int(kHeadType.size()),
      kHeadType.data(), static_cast<unsigned long long>(kHeadLength), as_int(kFixedDate.size()),
      kFixedDate.data(), as_int(kHeadETag.size()), kHeadETag.data());
  return n > 0 && static_cast<std::size_t>(n) < out.size() ? static_cast<std::size_t>(n) : 0;
}

// The small-file cache's way: the lines between Server and Connection rendered once (here: at
// first use), then assembled around a fresh Date.
std::size_t ready_ok_head(std::span<char> out) {
  static const std::string fields = [] {
    std::array<char, 512> room;
    http::ResponseHeadWriter writer(room);
    writer.header("Content-Type", kHeadType)
        .header("Content-Length", kHeadLength)
        .header("Last-Modified", kFixedDate)
        .header("ETag", kHeadETag)
        .header("Accept-Ranges", "bytes")
        .header("X-Content-Type-Options", "nosniff");
    return std::string(room.data(), writer.fields_size());
  }();
  return http::assemble_head(out, http::Status::kOk, kFixedDate, fields,
                             "Connection: keep-alive\r\n");
}

template <std::size_t (*Build)(std::span<char>)>
void ok_head(benchmark::State& state) {
  std::array<char, 1024> out;
  std::array<char, 1024> reference;
  const std::size_t length = Build(out);
  const std::size_t reference_length = snprintf_ok_head(reference);
  const std::string_view built(out.data(), length);
  if (length == 0 || built != std::string_view(reference.data(), reference_length) ||
      !built.starts_with("HTTP/1.1 200 OK\r\nDate: ")) {
    state.SkipWithError("the 200 head differs from the expected bytes");
    return;
  }
  for (auto _ : state) {
    std::size_t n = Build(out);
    benchmark::DoNotOptimize(n);
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations());
  state.SetLabel(std::to_string(length) + " B");
}
void BM_ResponseHead200_Writer(benchmark::State& state) {
  ok_head<write_ok_head>(state);
}
void BM_ResponseHead200_Snprintf(benchmark::State& state) {
  ok_head<snprintf_ok_head>(state);
}
void BM_ResponseHead200_Ready(benchmark::State& state) {
  ok_head<ready_ok_head>(state);
}
BENCHMARK(BM_ResponseHead200_Writer);
BENCHMARK(BM_ResponseHead200_Ready);
BENCHMARK(BM_ResponseHead200_Snprintf);

// A 404 as the server builds it: keep-alive, the status table's HTML body.
std::size_t build_404(std::span<char> out) {
  return http::build_error_response(out, http::Status::kNotFound,
                                    {.keep_alive = true, .date = kFixedDate});
}

// Checks the 404 bytes: status line, Content-Length equal to the body, the table's body.
bool is_expected_404(std::string_view response) {
  const std::string_view body = http::default_body(http::Status::kNotFound);
  const std::string content_length = "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  const std::size_t head_end = response.find("\r\n\r\n");
  return !body.empty() && response.starts_with("HTTP/1.1 404 Not Found\r\n") &&
         head_end != std::string_view::npos && response.substr(head_end + 4) == body &&
         response.substr(0, head_end + 2).find(content_length) != std::string_view::npos &&
         response.find(kFixedDate) != std::string_view::npos;
}

void BM_ErrorResponse404_Build(benchmark::State& state) {
  std::array<char, 2048> out;
  const std::size_t length = build_404(out);
  if (!is_expected_404({out.data(), length})) {
    state.SkipWithError("build_error_response(404) returned unexpected bytes");
    return;
  }
  for (auto _ : state) {
    std::size_t n = build_404(out);
    benchmark::DoNotOptimize(n);
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations());
  state.SetLabel(std::to_string(length) + " B");
}
BENCHMARK(BM_ErrorResponse404_Build);

// The floor for an error page: copy a 404 built once and patch the Date in place.
void BM_ErrorResponse404_CannedCopy(benchmark::State& state) {
  std::array<char, 2048> canned;
  const std::size_t length = build_404(canned);
  const std::size_t date_at = std::string_view(canned.data(), length).find(kFixedDate);
  std::array<char, 2048> out;
  auto copy = [&] {
    std::memcpy(out.data(), canned.data(), length);
    std::memcpy(out.data() + date_at, kFixedDate.data(), kFixedDate.size());
    return length;
  };
  if (date_at == std::string_view::npos || !is_expected_404({out.data(), copy()})) {
    state.SkipWithError("the canned 404 is not the expected response");
    return;
  }
  for (auto _ : state) {
    std::size_t n = copy();
    benchmark::DoNotOptimize(n);
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations());
  state.SetLabel(std::to_string(length) + " B");
}
BENCHMARK(BM_ErrorResponse404_CannedCopy);

// ---------------------------------------------------------------------------------------------
// A handler's request body, collected whole. The reactor's input buffer (16 KiB, the largest head
// plus one byte) keeps the head at its front; each read fills the room after it, and
// BodyCollector moves the body's bytes into the payload, which frees the room for the next read.
// Here a memcpy stands for each recv. The reference moves the same bytes through the same buffer
// with memcpy alone (in with the "recv", out to the payload): the copying any collector does.
// Both reserve the payload first: grown by appends of ~16 KiB, a 64 KiB string ends at 128 KiB
// capacity, and glibc then returns the top of the heap on every free (brk, default trim
// threshold): measured ~290 us per body unreserved, ~1.6 us reserved, on both sides alike. That is
// the allocator's cost; what is measured here is the collector's.

constexpr std::size_t kCollectBuffer = 16 * 1024 + 1;
constexpr std::size_t kCollectBodyBytes = 64 * 1024;
constexpr std::size_t kCollectChunks = 16;
constexpr std::string_view kCollectHead =
    "POST /api/upload HTTP/1.1\r\nHost: www.example.com\r\nContent-Type: image/png\r\n\r\n";
constexpr std::string_view kCollectNext = "GET /next HTTP/1.1\r\nHost: www.example.com\r\n\r\n";

struct CollectCase {
  http::BodyFraming framing;
  std::string wire;  // the body as sent, then the next (pipelined) request
};

CollectCase length_case(const std::string& body) {
  return {{http::BodyKind::kLength, body.size()}, body + std::string(kCollectNext)};
}

CollectCase chunked_case(const std::string& body) {
  const std::size_t chunk = body.size() / kCollectChunks;
  std::string wire;
  for (std::size_t at = 0; at < body.size(); at += chunk) {
    std::array<char, 16> size{};
    const auto end = std::to_chars(size.data(), size.data() + size.size(), chunk, 16).ptr;
    wire.append(size.data(), end).append("\r\n").append(body, at, chunk).append("\r\n");
  }
  return {{http::BodyKind::kChunked, 0}, wire + "0\r\n\r\n" + std::string(kCollectNext)};
}

// One request's body through `buffer` as the reactor reads it; returns the bytes the buffer holds
// after the head (the next request's) once the body is done, or SIZE_MAX when it failed.
std::size_t collect_through(std::span<char> buffer, const CollectCase& body,
                            http::BodyCollector& collector) {
  const std::size_t head = kCollectHead.size();
  std::size_t size = head;
  std::size_t sent = 0;
  while (!collector.done()) {
    const std::size_t read = std::min(buffer.size() - size, body.wire.size() - sent);
    if (read == 0 || collector.error() != http::Status::kOk) return SIZE_MAX;
    std::memcpy(buffer.data() + size, body.wire.data() + sent, read);
    size += read;
    sent += read;
    size = head + collector.collect(buffer.subspan(head, size - head));
  }
  return size - head;
}

void collect_benchmark(benchmark::State& state, const CollectCase& body, const std::string& want) {
  std::vector<char> buffer(kCollectBuffer);
  std::memcpy(buffer.data(), kCollectHead.data(), kCollectHead.size());
  {
    http::BodyCollector collector(body.framing);
    const std::size_t rest = collect_through(buffer, body, collector);
    if (rest == SIZE_MAX || collector.payload() != want ||
        std::string_view(buffer.data(), kCollectHead.size()) != kCollectHead ||
        std::string_view(buffer.data() + kCollectHead.size(), rest) != kCollectNext) {
      state.SkipWithError("BodyCollector did not collect the body and keep the next request");
      return;
    }
  }
  for (auto _ : state) {
    http::BodyCollector collector(body.framing);
    collector.payload().reserve(want.size());
    std::size_t rest = collect_through(buffer, body, collector);
    benchmark::DoNotOptimize(rest);
    benchmark::DoNotOptimize(collector.payload().data());
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(want.size()));
  state.SetLabel(std::to_string(body.wire.size()) + " B on the wire");
}

void BM_CollectBody_Length(benchmark::State& state) {
  const std::string body = filler(kCollectBodyBytes);
  collect_benchmark(state, length_case(body), body);
}
BENCHMARK(BM_CollectBody_Length);

void BM_CollectBody_Chunked(benchmark::State& state) {
  const std::string body = filler(kCollectBodyBytes);
  collect_benchmark(state, chunked_case(body), body);
}
BENCHMARK(BM_CollectBody_Chunked);

// The reference: the body's bytes into the same buffer after the head, a buffer's room at a time,
// and out again into a payload (a fresh std::string, reserved, as each request gets).
void BM_CollectBody_Memcpy(benchmark::State& state) {
  const std::string body = filler(kCollectBodyBytes);
  std::vector<char> buffer(kCollectBuffer);
  const std::size_t head = kCollectHead.size();
  auto copy_through = [&] {
    std::string payload;
    payload.reserve(body.size());
    for (std::size_t sent = 0; sent < body.size();) {
      const std::size_t read = std::min(buffer.size() - head, body.size() - sent);
      std::memcpy(buffer.data() + head, body.data() + sent, read);
      payload.append(buffer.data() + head, read);
      sent += read;
    }
    return payload;
  };
  if (copy_through() != body) {
    state.SkipWithError("the memcpy reference did not copy the body");
    return;
  }
  for (auto _ : state) {
    std::string payload = copy_through();
    benchmark::DoNotOptimize(payload.data());
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(body.size()));
}
BENCHMARK(BM_CollectBody_Memcpy);

// ---------------------------------------------------------------------------------------------
// End to end on loopback: one keep-alive client, GET and read the whole response per iteration.

constexpr std::size_t kSmallFileSize = 1024;

Fd connect_loopback(std::uint16_t port) {
  Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) return fd;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const int one = 1;
  ::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  const timeval timeout{5, 0};  // a stuck server fails the benchmark instead of hanging it
  ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    fd.reset();
  }
  return fd;
}

// Sends `request` and reads one response with a Content-Length into `response`; false on any
// failure. The buffer is reused so the client allocates nothing per request.
bool get(int fd, std::string_view request, std::string& response) {
  if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) !=
      static_cast<ssize_t>(request.size())) {
    return false;
  }
  response.clear();
  std::size_t expected = std::string::npos;  // total bytes, once the head is in
  std::array<char, 16384> chunk;
  while (response.size() < expected) {
    const ssize_t n = ::recv(fd, chunk.data(), chunk.size(), 0);
    if (n <= 0) return false;
    response.append(chunk.data(), static_cast<std::size_t>(n));
    if (expected == std::string::npos) {
      const std::size_t head_end = response.find("\r\n\r\n");
      if (head_end == std::string::npos) continue;
      constexpr std::string_view kLength = "\r\nContent-Length: ";
      const std::size_t at = response.find(kLength);
      if (at == std::string::npos || at > head_end) return false;
      std::size_t body = 0;
      const char* digits = response.data() + at + kLength.size();
      if (std::from_chars(digits, response.data() + head_end, body).ec != std::errc{}) {
        return false;
      }
      expected = head_end + 4 + body;
    }
  }
  return response.size() == expected;
}

bool is_expected_200(std::string_view response, std::string_view body) {
  return response.starts_with("HTTP/1.1 200 OK\r\n") && response.ends_with(body) &&
         response.find("\r\n\r\n") + 4 + body.size() == response.size();
}

void loopback_client(benchmark::State& state, std::uint16_t port, std::string_view body) {
  const std::string request = "GET /1k.txt HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                              "\r\nUser-Agent: bench_reactor\r\nAccept: */*\r\n\r\n";
  Fd client = connect_loopback(port);
  std::string response;
  response.reserve(4096);
  if (client.get() < 0 || !get(client.get(), request, response) ||
      !is_expected_200(response, body)) {
    state.SkipWithError("the first GET did not return the 1 KiB file");
    return;
  }
  for (auto _ : state) {
    if (!get(client.get(), request, response)) {
      state.SkipWithError("a GET failed mid-run");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(response.size()));
}

void BM_EndToEnd_Hybrid(benchmark::State& state) {
  ScratchDir root;
  const std::string body = filler(kSmallFileSize);
  root.write("1k.txt", body);

  hybrid::server::ServerOptions options;
  options.bind_address = "127.0.0.1";
  options.port = 0;
  options.root = root.path();
  options.threads = static_cast<std::size_t>(state.range(0));
  std::optional<hybrid::server::Server> server;
  try {
    server.emplace(options);
  } catch (const std::exception& error) {
    state.SkipWithError(error.what());
    return;
  }
  std::string run_error;
  std::thread reactor([&] {
    try {
      server->run();
    } catch (const std::exception& error) {
      run_error = error.what();
    }
  });

  loopback_client(state, server->port(), body);

  server->stop();
  reactor.join();
  if (!run_error.empty()) state.SkipWithError(run_error.c_str());
}
BENCHMARK(BM_EndToEnd_Hybrid)->ArgName("workers")->Arg(1)->Arg(2)->UseRealTime();

// The reference: the least a server can do per request on this loopback. One blocking thread reads
// until a head ends and writes a prepared response of the same size; no epoll, no hand-off, no
// file. hybrid's ratio to it is the price of its architecture on this machine.
void BM_EndToEnd_CannedResponder(benchmark::State& state) {
  const std::string body = filler(kSmallFileSize);
  const std::string canned = "HTTP/1.1 200 OK\r\nDate: " + std::string(kFixedDate) +
                             "\r\nServer: canned\r\nContent-Type: text/plain; charset=utf-8\r\n"
                             "Content-Length: " +
                             std::to_string(body.size()) + "\r\n\r\n" + body;

  Fd listener(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (listener.get() < 0 ||
      ::bind(listener.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(listener.get(), 1) != 0 ||
      ::getsockname(listener.get(), reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    state.SkipWithError("cannot listen on 127.0.0.1");
    return;
  }
  std::thread responder([&listener, &canned] {
    Fd connection(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (connection.get() < 0) return;
    const int one = 1;
    ::setsockopt(connection.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    std::string input;
    std::array<char, 16384> chunk;
    while (true) {
      const ssize_t n = ::recv(connection.get(), chunk.data(), chunk.size(), 0);
      if (n <= 0) return;  // the client closed: the benchmark is over
      input.append(chunk.data(), static_cast<std::size_t>(n));
      for (std::size_t end; (end = input.find("\r\n\r\n")) != std::string::npos;) {
        input.erase(0, end + 4);
        if (::send(connection.get(), canned.data(), canned.size(), MSG_NOSIGNAL) !=
            static_cast<ssize_t>(canned.size())) {
          return;
        }
      }
    }
  });

  loopback_client(state, ntohs(address.sin_port), body);
  // loopback_client closed its connection, which ends the responder. If it never connected,
  // shutting the listener down wakes the accept.
  ::shutdown(listener.get(), SHUT_RDWR);
  responder.join();
}
BENCHMARK(BM_EndToEnd_CannedResponder)->UseRealTime();

// ---------------------------------------------------------------------------------------------
// The ratio table: the console output as usual, then each figure against its reference.

class RatioReporter : public benchmark::ConsoleReporter {
 public:
  using ConsoleReporter::ConsoleReporter;

  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& run : runs) {
      if (run.error_occurred) continue;
      // Real time where the benchmark asked for it (several threads are involved), otherwise this
      // thread's CPU time, which other load on a shared VM disturbs less.
      const bool real = run.run_name.time_type == "real_time";
      const double seconds = (real ? run.GetAdjustedRealTime() : run.GetAdjustedCPUTime()) /
                             benchmark::GetTimeUnitMultiplier(run.time_unit);
      // With --benchmark_repetitions the median stands for the name; otherwise the single run.
      if (run.run_type == Run::RT_Aggregate) {
        if (run.aggregate_name == "median") seconds_[run.run_name.str()] = seconds;
      } else {
        seconds_.try_emplace(run.run_name.str(), seconds);
      }
    }
  }

  void print_ratios() const {
    struct Pair {
      const char* what;
      const char* subject;
      const char* reference;
    };
    static constexpr Pair kPairs[] = {
        {"parse_request vs http-parser", "BM_ParseRequest_Hybrid", "BM_ParseRequest_HttpParser"},
        {"WorkerPool vs mutex+condvar, 1 consumer", "BM_JobQueue_WorkerPool/1/real_time",
         "BM_JobQueue_MutexCondvar/1/real_time"},
        {"WorkerPool vs mutex+condvar, 2 consumers", "BM_JobQueue_WorkerPool/2/real_time",
         "BM_JobQueue_MutexCondvar/2/real_time"},
        {"WorkerPool vs mutex+condvar, 4 consumers", "BM_JobQueue_WorkerPool/4/real_time",
         "BM_JobQueue_MutexCondvar/4/real_time"},
        {"WorkerPool batched vs mutex+condvar, 1", "BM_JobQueue_WorkerPoolBatched/1/real_time",
         "BM_JobQueue_MutexCondvar/1/real_time"},
        {"WorkerPool batched vs mutex+condvar, 2", "BM_JobQueue_WorkerPoolBatched/2/real_time",
         "BM_JobQueue_MutexCondvar/2/real_time"},
        {"WorkerPool batched vs mutex+condvar, 4", "BM_JobQueue_WorkerPoolBatched/4/real_time",
         "BM_JobQueue_MutexCondvar/4/real_time"},
        {"extension table vs unordered_map", "BM_MimeByExtension_Table",
         "BM_MimeByExtension_UnorderedMap"},
        {"Router vs linear scan (100 routes)", "BM_RouterMatch_Hybrid",
         "BM_RouterMatch_LinearScan"},
        {"sniffer cache hit vs libmagic", "BM_MimeSniff_CacheHit", "BM_MimeSniff_Libmagic"},
        {"ResponseHeadWriter vs snprintf (200)", "BM_ResponseHead200_Writer",
         "BM_ResponseHead200_Snprintf"},
        {"ready-made head vs snprintf (200)", "BM_ResponseHead200_Ready",
         "BM_ResponseHead200_Snprintf"},
        {"build_error_response vs canned copy (404)", "BM_ErrorResponse404_Build",
         "BM_ErrorResponse404_CannedCopy"},
        {"collect 64 KiB Content-Length vs memcpy", "BM_CollectBody_Length",
         "BM_CollectBody_Memcpy"},
        {"collect 64 KiB chunked (16) vs memcpy", "BM_CollectBody_Chunked",
         "BM_CollectBody_Memcpy"},
        {"Server (1 worker) vs canned responder", "BM_EndToEnd_Hybrid/workers:1/real_time",
         "BM_EndToEnd_CannedResponder/real_time"},
        {"Server (2 workers) vs canned responder", "BM_EndToEnd_Hybrid/workers:2/real_time",
         "BM_EndToEnd_CannedResponder/real_time"},
    };
    std::FILE* out = stdout;
    std::fprintf(out,
                 "\nAgainst the reference measured in this run (CPU time per operation; real time "
                 "for */real_time). < 1: hybrid is faster.\n");
    for (const Pair& pair : kPairs) {
      const auto subject = seconds_.find(pair.subject);
      const auto reference = seconds_.find(pair.reference);
      if (subject == seconds_.end() || reference == seconds_.end()) continue;  // filtered out
      std::fprintf(out, "  %-44s %9.3g   (%s / %s)\n", pair.what,
                   subject->second / reference->second, format_time(subject->second).c_str(),
                   format_time(reference->second).c_str());
    }
  }

 private:
  static std::string format_time(double seconds) {
    std::array<char, 32> text;
    if (seconds >= 1e-3) {
      std::snprintf(text.data(), text.size(), "%.2f ms", seconds * 1e3);
    } else if (seconds >= 1e-6) {
      std::snprintf(text.data(), text.size(), "%.2f us", seconds * 1e6);
    } else {
      std::snprintf(text.data(), text.size(), "%.1f ns", seconds * 1e9);
    }
    return text.data();
  }

  std::map<std::string, double> seconds_;
};

// ---- metrics: what a worker adds per request ----
// Exactly the counting a one-request job does (RequestWorker::serve(), Connection::flush_output()
// and the reactor's dispatch): a clock read at dispatch, one at the job's start and one at its
// end, the queue-wait and duration histograms, status class and route, bytes, job counters.
// Checks its own result once: every counter moved as many times as iterations ran.
void BM_Metrics_PerRequest(benchmark::State& state) {
  server::ThreadMetrics reactor;
  server::ThreadMetrics worker;
  worker.size_routes(4);
  for (auto _ : state) {
    const std::uint64_t read_at = server::monotonic_ns();
    reactor.dispatched.add();
    worker.jobs_started.add();
    worker.queue_wait.observe(server::monotonic_ns() - read_at);
    worker.count_response(200, 0);
    worker.bytes_sent.add(1250);
    worker.request_duration.observe(server::monotonic_ns() - read_at);
    worker.jobs_finished.add();
  }
  server::LatencyHistogram durations;
  worker.request_duration.add_to(durations);
  const auto n = static_cast<std::uint64_t>(state.iterations());
  if (durations.count != n || worker.responses_by_class[1].read() != n ||
      worker.routes[0].read() != n || reactor.dispatched.read() != n) {
    state.SkipWithError("a counter did not count every request");
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Metrics_PerRequest);

// The same without the clock: what the counters alone cost.
void BM_Metrics_PerRequestWithoutClock(benchmark::State& state) {
  server::ThreadMetrics reactor;
  server::ThreadMetrics worker;
  worker.size_routes(4);
  std::uint64_t fake_ns = 0;
  for (auto _ : state) {
    fake_ns += 7'919;
    reactor.dispatched.add();
    worker.jobs_started.add();
    worker.queue_wait.observe(fake_ns % 100'000);
    worker.count_response(200, 0);
    worker.bytes_sent.add(1250);
    worker.request_duration.observe(fake_ns % 1'000'000);
    worker.jobs_finished.add();
  }
  if (worker.jobs_finished.read() != static_cast<std::uint64_t>(state.iterations())) {
    state.SkipWithError("a counter did not count every request");
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Metrics_PerRequestWithoutClock);

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  RatioReporter reporter(::isatty(STDOUT_FILENO) ? benchmark::ConsoleReporter::OO_Defaults
                                                 : benchmark::ConsoleReporter::OO_Tabular);
  benchmark::RunSpecifiedBenchmarks(&reporter);
  reporter.print_ratios();
  benchmark::Shutdown();
  return 0;
}
