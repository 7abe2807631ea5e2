// What a service's handler sees and answers with. Public, stable API (installed).
//
//   server.handle("GET /api/items/{id}", [](hybrid::server::Request& request) {
//     return hybrid::server::Response::json("{\"id\":\"" + json_escape(*request.param("id")) +
//                                           "\"}");
//   });
//   server.handle("GET /api/later", [](hybrid::server::Request&, hybrid::server::Responder r) {
//     scheduler.after(10ms, [r = std::move(r)]() mutable { r.send(Response::text("done")); });
//   });
//
// Threads: a handler runs on a worker thread of the server's pool, never on the reactor, so it may
// block (a database call) — see RouteOptions::blocking. A Responder and a ResponseStream may be
// used from any thread, one thread at a time.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hybrid::server {

struct Field {
  std::string_view name;
  std::string_view value;
};

// One request as a handler sees it. Every view is valid until the handler returns: a handler
// that answers later copies what it needs (or takes the body with take_body()).
class Request {
 public:
  std::string_view method() const { return method_; }   // "GET", as sent
  std::string_view target() const { return target_; }   // as sent, e.g. "/a%20b?x=1"
  std::string_view path() const { return path_; }       // percent-decoded, e.g. "/a b"
  std::string_view query() const { return query_; }     // raw, without '?'; "" when none
  int version_minor() const { return version_minor_; }  // HTTP/1.<minor>

  // The path parameter {name} of the matched route, decoded; nullopt for an unknown name.
  std::optional<std::string_view> param(std::string_view name) const;
  // The first query parameter `name` (application/x-www-form-urlencoded: '+' is a space),
  // decoded; nullopt when absent or malformed.
  std::optional<std::string> query_param(std::string_view name) const;
  // The first header field with this name, compared case-insensitively.
  std::optional<std::string_view> header(std::string_view name) const;
  std::span<const Field> headers() const { return headers_; }
  // The client's address, e.g. "127.0.0.1" or "::1".
  std::string_view peer() const { return peer_; }

  // The request body, collected before the handler was called (decoded when it came chunked).
  // Empty for routes that do not read bodies (RouteOptions::read_body).
  std::string_view body() const { return *body_; }
  std::string take_body() { return std::move(*body_); }

 private:
  friend class RequestWorker;
  std::string_view method_;
  std::string_view target_;
  std::string_view path_;
  std::string_view query_;
  std::string_view peer_;
  int version_minor_ = 1;
  std::span<const Field> headers_;
  std::span<const Field> params_;
  std::string* body_ = nullptr;
};

struct Response {
  int status = 200;  // 200-599 (1xx are not a handler's to send); others become 500
  std::string content_type = "text/plain; charset=utf-8";
  // Added as given. hybrid writes Date, Server, Content-Length or Transfer-Encoding, and
  // Connection itself; a handler's fields of those names are dropped. A name or value with CR,
  // LF or NUL turns the response into a 500.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // When set, the body is this file, served by the static machinery (type by extension, ETag,
  // Last-Modified, conditional requests, ranges, sendfile): `body` and `content_type` are ignored.
  // The path is opened as given (absolute, or relative to the working directory); a file that
  // cannot be opened answers 404.
  std::filesystem::path file;

  static Response text(std::string body, int status = 200);
  static Response json(std::string body, int status = 200);
  static Response html(std::string body, int status = 200);
  static Response send_file(std::filesystem::path path);
  Response& header(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
    return *this;
  }
};

class ResponseExchange;  // the state a Responder shares with the server (internal)

// A response body of unknown length, sent chunked (RFC 9112 §7.1) as it is written: server-sent
// events, a long export. Backpressure: write() queues without blocking, and buffered() says how
// much the client has not taken yet; wait_for_room() blocks until it has (or the client is gone).
class ResponseStream {
 public:
  ResponseStream() = default;
  ResponseStream(ResponseStream&&) noexcept;
  ResponseStream& operator=(ResponseStream&&) noexcept;
  ~ResponseStream();  // finish()

  // Queues `data` as one chunk (empty data is ignored). False when the client is gone or the
  // stream was finished: stop producing.
  bool write(std::string_view data);
  // Bytes written but not yet taken by the client's socket.
  std::size_t buffered() const;
  // Blocks until buffered() ≤ `low_water`, the client is gone, or `timeout` passes; returns
  // whether the client is still there. Call it from a thread that may block (a worker, your own).
  bool wait_for_room(std::size_t low_water = 64 * 1024,
                     std::chrono::milliseconds timeout = std::chrono::seconds(30));
  // Ends the body (the last chunk). Later writes return false.
  void finish();
  bool connected() const;

 private:
  friend class Responder;
  explicit ResponseStream(std::shared_ptr<ResponseExchange> exchange);
  std::shared_ptr<ResponseExchange> exchange_;
};

// The right and duty to answer one request, exactly once, from any thread. Move-only. A Responder
// destroyed without answering sends 500. Answer or drop every Responder (and ResponseStream)
// before the Server is destroyed: they refer to it. The connection's later (pipelined) requests
// wait for it, so responses stay in order. When the client has gone, answering does nothing and
// connected() turns false; a Responder never writes to another client's connection.
class Responder {
 public:
  Responder() = default;
  Responder(Responder&&) noexcept;
  Responder& operator=(Responder&&) noexcept;
  ~Responder();

  // False (and nothing sent) when the client is gone or this Responder has answered already.
  bool send(Response response);
  // Starts a chunked response with this status and these fields; the returned stream writes it.
  ResponseStream stream(int status = 200, std::string content_type = "text/plain; charset=utf-8",
                        std::vector<std::pair<std::string, std::string>> headers = {});
  bool connected() const;
  explicit operator bool() const { return exchange_ != nullptr; }  // not yet answered

 private:
  friend Responder make_responder(std::shared_ptr<ResponseExchange> exchange);
  explicit Responder(std::shared_ptr<ResponseExchange> exchange);
  std::shared_ptr<ResponseExchange> exchange_;
};

// A handler answers through the Responder, now or later. The short form returns the response.
using Handler = std::function<void(Request&, Responder)>;
using SimpleHandler = std::function<Response(Request&)>;

struct RouteOptions {
  // The handler may block (a database call, a sleep): it runs on the handler pool
  // (ServerOptions::handler_threads), so it never delays static files and non-blocking routes,
  // and waits there in a bounded queue (ServerOptions::max_queue_wait, then 503). false: it runs
  // at once on the worker that parsed the request, like a static file — for handlers that only
  // compute or hand work elsewhere and answer later.
  bool blocking = true;
  // Collect the request body before calling the handler (up to max_body_bytes, else 413).
  // false: the body is skipped and Request::body() is empty.
  bool read_body = true;
  std::uint64_t max_body_bytes = 0;  // 0: ServerOptions::max_body_bytes
};

// Runs before routing for every handler request (not for static files): return a response to
// answer it there (authentication, CORS preflight), or nullopt to go on.
using BeforeHook = std::function<std::optional<Response>(const Request&)>;
// Runs on every handler response before it is sent, on the thread that sends it (the worker, or
// whichever thread completes a Responder later): may add headers. Gets the request's method and
// decoded path, which outlive the Request for deferred responses.
using AfterHook =
    std::function<void(std::string_view method, std::string_view path, Response& response)>;
// Builds the response for an error hybrid sends on a route of the service's (400, 405, 413, 417,
// 500, 503): a service answers its API clients in its own format. Without it, errors are HTML.
// Paths no route matches belong to the static root, whose errors (404) stay HTML.
using ErrorFormatter = std::function<Response(int status)>;

}  // namespace hybrid::server
