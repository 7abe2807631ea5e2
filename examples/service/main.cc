// hybrid_example_service: a small JSON service beside a static site, on the public API alone
// (hybrid/server/server.h, handler.h). It shows the three ways a handler answers — returning a
// Response, answering later through a Responder from another thread, streaming a chunked body —
// and which routes may block: those registered with RouteOptions{.blocking = true} run on the
// handler pool (--threads), so a sleeping handler never delays /plaintext or a static file.
#include <pthread.h>
#include <signal.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "hybrid/server/server.h"
#include "hybrid/version.h"

namespace {

using hybrid::server::Request;
using hybrid::server::Responder;
using hybrid::server::Response;
using hybrid::server::RouteOptions;
using hybrid::server::Server;
using hybrid::server::ServerOptions;

constexpr RouteOptions kNonBlocking{.blocking = false, .read_body = false};
constexpr int kMaxMilliseconds = 10'000;  // /api/sleep and /api/deferred
constexpr int kMaxLines = 100'000;        // /api/stream
// A stream waits for the client once this much is queued, so a slow reader costs the service
// at most about this much memory per response.
constexpr std::size_t kStreamHighWater = 256 * 1024;

// A page of the service's own: HTML from a handler, the static site's stylesheet, and a script
// that calls the JSON API from the browser.
constexpr std::string_view kAppPage = R"(<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Example service · hybrid</title>
  <link rel="icon" href="/images/logo.svg" type="image/svg+xml">
  <link rel="stylesheet" href="/css/site.css">
</head>
<body>
  <main id="main" class="wrap">
    <h1>Example service</h1>
    <p>Answers from <code>/api/hello</code> and <code>/api/items/42</code>, fetched by this page:</p>
    <pre><output data-api="hello">&hellip;</output></pre>
    <pre><output data-api="item">&hellip;</output></pre>
  </main>
  <script>
    for (const [name, url] of [["hello", "/api/hello"], ["item", "/api/items/42"]]) {
      fetch(url).then((response) => response.json()).then((body) => {
        document.querySelector(`[data-api="${name}"]`).textContent = JSON.stringify(body);
      });
    }
  </script>
</body>
</html>
)";

// `text` as the inside of a JSON string (RFC 8259 §7): quote, backslash and control characters
// escaped; other bytes (UTF-8) pass through.
std::string json_escape(std::string_view text) {
  std::string escaped;
  escaped.reserve(text.size() + 2);
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      escaped += '\\';
      escaped += c;
    } else if (byte < 0x20) {
      constexpr std::string_view kHex = "0123456789abcdef";
      escaped += "\\u00";
      escaped += kHex[byte >> 4];
      escaped += kHex[byte & 0xf];
    } else {
      escaped += c;
    }
  }
  return escaped;
}

Response json_error(int status, std::string_view message) {
  return Response::json(
      "{\"error\":" + std::to_string(status) + ",\"message\":\"" + json_escape(message) + "\"}",
      status);
}

// The query parameter `name` as an integer in [0, maximum]; nullopt when absent or not one.
std::optional<int> int_param(const Request& request, std::string_view name, int maximum) {
  const std::optional<std::string> text = request.query_param(name);
  if (!text) return std::nullopt;
  int value = 0;
  const auto [end, error] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (error != std::errc{} || end != text->data() + text->size() || value < 0 || value > maximum) {
    return std::nullopt;
  }
  return value;
}

// Answers Responders at a later time from one thread of its own: a min-heap of deadlines and a
// condition variable. Handlers hand their Responder over and return at once, so a waiting
// request holds no worker. Pending answers still queued when it is destroyed are dropped (their
// Responders then answer 500 to clients that are still there).
class DeferredResponses {
 public:
  DeferredResponses() : thread_([this] { run(); }) {}
  ~DeferredResponses() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    changed_.notify_one();
    thread_.join();
  }
  DeferredResponses(const DeferredResponses&) = delete;
  DeferredResponses& operator=(const DeferredResponses&) = delete;

  // Any thread.
  void send_after(std::chrono::milliseconds delay, Responder responder, Response response) {
    {
      std::lock_guard lock(mutex_);
      pending_.push_back(
          {Clock::now() + delay, next_sequence_++, std::move(responder), std::move(response)});
      std::push_heap(pending_.begin(), pending_.end(), Later{});
    }
    changed_.notify_one();
  }

 private:
  using Clock = std::chrono::steady_clock;
  struct Pending {
    Clock::time_point due;
    std::uint64_t sequence;  // equal deadlines answer in the order they were scheduled
    Responder responder;
    Response response;
  };
  struct Later {  // std::push_heap keeps the largest on top: "largest" is the earliest here
    bool operator()(const Pending& a, const Pending& b) const {
      return a.due != b.due ? a.due > b.due : a.sequence > b.sequence;
    }
  };

  void run() {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
      if (pending_.empty()) {
        changed_.wait(lock);
        continue;
      }
      // A copy: wait_until keeps reading its deadline while the lock is released, and a
      // push_back meanwhile may move the heap's storage.
      const Clock::time_point next = pending_.front().due;
      if (Clock::now() < next) {
        changed_.wait_until(lock, next);
        continue;  // a new earlier deadline, a stop, or this one is due
      }
      std::pop_heap(pending_.begin(), pending_.end(), Later{});
      Pending due = std::move(pending_.back());
      pending_.pop_back();
      lock.unlock();  // send() may take a while; scheduling must not wait for it
      due.responder.send(std::move(due.response));
      lock.lock();
    }
  }

  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<Pending> pending_;  // a heap ordered by Later; guarded by mutex_
  std::uint64_t next_sequence_ = 0;
  bool stopping_ = false;
  std::thread thread_;  // last: it starts in the constructor and uses everything above
};

void add_routes(Server& server, DeferredResponses& deferred) {
  server.handle(
      "GET /app", [](Request&) { return Response::html(std::string(kAppPage)); }, kNonBlocking);
  server.handle(
      "GET /plaintext", [](Request&) { return Response::text("Hello, World!"); }, kNonBlocking);
  server.handle(
      "GET /api/hello", [](Request&) { return Response::json(R"({"hello":"world"})"); },
      kNonBlocking);
  server.handle(
      "GET /api/items/{id}",
      [](Request& request) {
        return Response::json("{\"id\":\"" + json_escape(request.param("id").value_or("")) + "\"}");
      },
      kNonBlocking);
  server.handle(
      "POST /api/echo",
      [](Request& request) {
        Response response;
        response.content_type = request.header("Content-Type").value_or("application/octet-stream");
        response.body = request.take_body();
        return response;
      },
      RouteOptions{.blocking = false, .read_body = true});

  // Blocking: runs on the handler pool, where waiting is its job.
  server.handle(
      "GET /api/sleep",
      [](Request& request) {
        const std::optional<int> ms = int_param(request, "ms", kMaxMilliseconds);
        if (!ms) return json_error(400, "ms must be an integer from 0 to 10000");
        std::this_thread::sleep_for(std::chrono::milliseconds(*ms));
        return Response::text("slept");
      },
      RouteOptions{.blocking = true, .read_body = false});

  // Non-blocking: the Responder moves to the timer thread and the worker is free at once.
  server.handle(
      "GET /api/deferred",
      [&deferred](Request& request, Responder responder) {
        const std::optional<int> ms = int_param(request, "ms", kMaxMilliseconds);
        if (!ms) {
          responder.send(json_error(400, "ms must be an integer from 0 to 10000"));
          return;
        }
        deferred.send_after(std::chrono::milliseconds(*ms), std::move(responder),
                            Response::text("deferred"));
      },
      kNonBlocking);

  // Blocking: wait_for_room() blocks while a slow client catches up.
  server.handle(
      "GET /api/stream",
      [](Request& request, Responder responder) {
        const std::optional<int> lines = int_param(request, "n", kMaxLines);
        if (!lines) {
          responder.send(json_error(400, "n must be an integer from 0 to 100000"));
          return;
        }
        hybrid::server::ResponseStream stream = responder.stream();
        for (int k = 1; k <= *lines; ++k) {
          if (!stream.write("line " + std::to_string(k) + "\n")) return;  // the client left
          if (stream.buffered() > kStreamHighWater && !stream.wait_for_room()) return;
        }
        stream.finish();
      },
      RouteOptions{.blocking = true, .read_body = false});

  // The library answers a handler's exception with 500 (formatted by on_error below).
  server.handle(
      "GET /api/throw", [](Request&) -> Response { throw std::runtime_error("a handler failed"); },
      kNonBlocking);

  // Errors of handler routes (405, 413, 500, 503, ...) as JSON. Static files keep HTML errors.
  server.on_error([](int status) {
    return Response::json("{\"error\":" + std::to_string(status) + "}", status);
  });
}

}  // namespace

int main(int argc, char** argv) {
  ServerOptions options;
  options.bind_address = "127.0.0.1";
  options.root = "./html";
  std::size_t handler_threads = 0;

  CLI::App app{
      "hybrid_example_service: a JSON service beside a static site, built on hybrid's public "
      "handler API.",
      "hybrid_example_service"};
  app.set_version_flag("-V,--version", std::string("hybrid_example_service ") + hybrid::kVersion);
  app.add_option("-p,--port", options.port, "TCP port; 0 picks a free one")->capture_default_str();
  app.add_option("-b,--bind", options.bind_address, "Numeric IPv4 or IPv6 address to listen on")
      ->capture_default_str();
  app.add_option("-r,--root", options.root, "Directory of static files for unrouted paths")
      ->capture_default_str();
  app.add_option("-t,--threads", handler_threads,
                 "Threads for blocking handlers such as /api/sleep (default: as many as workers)")
      ->check(CLI::Range(1, 1024));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    return app.exit(error) == 0 ? 0 : 2;
  }
  options.handler_threads = handler_threads;

  // Before any thread starts, so every thread (the server's and the timer's) inherits the mask:
  // SIGINT and SIGTERM then reach only the waiter inside run_until_signal().
  sigset_t shutdown_signals;
  sigemptyset(&shutdown_signals);
  sigaddset(&shutdown_signals, SIGINT);
  sigaddset(&shutdown_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &shutdown_signals, nullptr);

  try {
    Server server(options);
    // Declared after the server, so it is destroyed (and joined) first: nothing answers a
    // Responder once the server is gone.
    DeferredResponses deferred;
    add_routes(server, deferred);

    std::error_code ignored;
    const auto root = std::filesystem::canonical(options.root, ignored);
    std::printf("hybrid_example_service %s listening on %s (root %s, %zu threads)\n",
                hybrid::kVersion, server.url().c_str(), root.c_str(), server.threads());
    std::fflush(stdout);
    const int signal = server.run_until_signal();
    std::printf("hybrid_example_service stopped (signal %d)\n", signal);
    return 0;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "hybrid_example_service: error: %s\n", error.what());
    return 1;
  }
}
