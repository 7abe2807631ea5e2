// The answer to one handler request, shared by the side that answers (a Responder or
// ResponseStream, on any thread) and the side that owns the connection (the worker running the
// handler, then the reactor). The only state the two share; everything in it is guarded by
// mutex_, and the answering side never sees the connection itself.
//
// Life of an exchange:
//   kInline  — the worker runs the handler. Answers are kept here; stream bytes the handler
//              writes on the worker's own thread may be pushed to the socket through the
//              worker's InlineSink (wait_for_room), so a synchronous stream never deadlocks.
//   kParked  — the handler returned unanswered (or with a stream still open): the reactor owns
//              the connection and is told (ExchangeListener) whenever there is something to send.
//   kClosed  — the connection is gone: answers are dropped, writers learn it.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>

#include "hybrid/server/handler.h"

namespace hybrid::server {

class ResponseExchange;
struct ServiceHooks;

// The reactor's side: told, from the answering thread, that a parked exchange has something.
class ExchangeListener {
 public:
  virtual void exchange_ready(std::shared_ptr<ResponseExchange> exchange) = 0;

 protected:
  ~ExchangeListener() = default;
};

// The worker's side while the handler runs on it: sends stream bytes now, blocking up to
// `deadline`. Returns false when the client is gone or the deadline passed with bytes unsent.
class InlineSink {
 public:
  virtual bool send_now(std::string& bytes, std::chrono::steady_clock::time_point deadline) = 0;

 protected:
  ~InlineSink() = default;
};

// What the request asked for, fixed when the exchange is made: how to frame a response to it.
struct ExchangeRequest {
  bool head_only = false;  // HEAD: the head of a response, no body
  bool keep_alive = true;  // the connection may carry another request afterwards
  int version_minor = 1;   // HTTP/1.0 clients get no chunked coding: the stream ends at close
  std::string method;      // for the after hook (copies: they outlive the request)
  std::string path;
  std::size_t route = 0;  // the route's metrics slot (RequestWorker counts by route)
};

class ResponseExchange : public std::enable_shared_from_this<ResponseExchange> {
 public:
  enum class Mode : unsigned char { kInline, kParked, kClosed };
  // What the owner finds when it looks.
  enum class Answer : unsigned char {
    kNone,      // nothing yet
    kResponse,  // a whole response: take_response()
    kStream,    // stream bytes (maybe none yet); take_stream_bytes()
  };

  // `owner` identifies the connection to the owner's side only (never dereferenced here).
  ResponseExchange(ExchangeRequest request, const ServiceHooks& hooks, ExchangeListener& listener,
                   InlineSink* sink, void* owner);

  void* owner() const { return owner_; }
  const ExchangeRequest& request() const { return request_; }
  const ServiceHooks& hooks() const { return hooks_; }

  // ---- the answering side (any thread) ----
  bool respond(Response response);  // false: answered already, or the client is gone
  bool start_stream(int status, std::string content_type,
                    std::vector<std::pair<std::string, std::string>> headers);
  bool write_chunk(std::string_view data);
  void finish_stream();
  std::size_t buffered() const;
  bool wait_for_room(std::size_t low_water, std::chrono::milliseconds timeout);
  bool connected() const;
  bool answered() const;

  // ---- the owner's side ----
  Answer answer() const;
  // kResponse: the response, once (then kNone while it is being sent).
  Response take_response();
  // kStream: appends the bytes not yet taken to `out`; true when the stream has ended and
  // everything was taken (the last chunk included).
  bool take_stream_bytes(std::string& out);
  // The worker is done with the handler: from now on the reactor is told about answers. Returns
  // the answer already there, if any (then the worker handles it and nobody is told).
  Answer park();
  // The connection is gone: drop everything, wake writers.
  void close();

 private:
  void notify_locked(std::unique_lock<std::mutex>& lock);

  const ExchangeRequest request_;
  const ServiceHooks& hooks_;
  ExchangeListener& listener_;
  InlineSink* sink_;  // cleared by park(): the worker has moved on
  void* const owner_;
  const std::thread::id inline_thread_;

  mutable std::mutex mutex_;
  std::condition_variable room_;  // the owner took stream bytes, or the connection closed
  Mode mode_ = Mode::kInline;
  bool answered_ = false;  // a response or a stream was started
  bool notified_ = false;  // the listener was told and has not looked since
  std::optional<Response> response_;
  bool streaming_ = false;
  bool stream_ended_ = false;
  std::string stream_bytes_;  // the head and chunks not yet taken
};

// The Responder a handler gets for `exchange`: the one way to make one (the worker, and tests).
Responder make_responder(std::shared_ptr<ResponseExchange> exchange);

// Writes a handler's response head for `request` into `out`: the status line, Date, Server, the
// handler's fields (less those hybrid writes itself), Content-Type, Content-Length `body_length`
// or, when `chunked`, Transfer-Encoding: chunked (HTTP/1.1) or nothing (HTTP/1.0: the body ends
// at close), and Connection. Returns the length; 0 when `out` is too small, a field is unsafe
// (CR/LF/NUL) or the status is not 200-599.
std::size_t write_handler_head(std::span<char> out, const Response& response,
                               const ExchangeRequest& request, std::uint64_t body_length,
                               bool chunked);

// The response hybrid sends for an error on a handler route: the service's ErrorFormatter's,
// else the status table's HTML page.
Response error_response(const ServiceHooks& hooks, int status);

}  // namespace hybrid::server
