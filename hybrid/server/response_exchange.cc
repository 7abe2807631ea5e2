#include "hybrid/server/response_exchange.h"

#include <array>
#include <charconv>

#include "hybrid/http/request.h"
#include "hybrid/http/response_head.h"
#include "hybrid/server/service.h"

namespace hybrid::server {
namespace {

// Fields hybrid frames itself; a handler's copy would contradict them (RFC 9112 §6).
bool is_framing_field(std::string_view name) {
  for (std::string_view reserved : {"Content-Length", "Transfer-Encoding", "Connection", "Date",
                                    "Server", "Content-Type", "Keep-Alive"}) {
    if (http::iequals(name, reserved)) return true;
  }
  return false;
}

void append_chunk(std::string& out, std::string_view data) {
  std::array<char, 16> size{};
  auto end = std::to_chars(size.data(), size.data() + size.size(), data.size(), 16).ptr;
  out.append(size.data(), end);
  out.append("\r\n");
  out.append(data);
  out.append("\r\n");
}

}  // namespace

std::size_t write_handler_head(std::span<char> out, const Response& response,
                               const ExchangeRequest& request, std::uint64_t body_length,
                               bool chunked) {
  if (response.status < 200 || response.status > 599) return 0;
  http::ResponseHeadWriter head(out, response.status, {});
  for (const auto& [name, value] : response.headers) {
    if (!is_framing_field(name)) head.header(name, value);
  }
  if (!response.content_type.empty()) head.header("Content-Type", response.content_type);
  const bool bodiless = response.status == 204 || response.status == 304;
  if (chunked) {
    if (request.version_minor >= 1 && !bodiless) head.header("Transfer-Encoding", "chunked");
  } else if (!bodiless) {
    head.header("Content-Length", body_length);
  }
  const bool keep_alive = request.keep_alive && !(chunked && request.version_minor == 0);
  if (!keep_alive) {
    head.header("Connection", "close");
  } else if (request.version_minor == 0) {
    head.header("Connection", "keep-alive");
  }
  return head.finish();
}

Response error_response(const ServiceHooks& hooks, int status) {
  Response response;
  if (hooks.error) {
    try {
      response = hooks.error(status);
    } catch (...) {
      response = Response{};  // a formatter that throws gets the default page
      response.body.clear();
    }
  }
  if (response.body.empty() && response.headers.empty()) {
    response = Response::html(std::string(http::default_body(static_cast<http::Status>(status))));
  }
  response.status = status;
  response.file.clear();
  return response;
}

ResponseExchange::ResponseExchange(ExchangeRequest request, const ServiceHooks& hooks,
                                   ExchangeListener& listener, InlineSink* sink, void* owner)
    : request_(std::move(request)),
      hooks_(hooks),
      listener_(listener),
      sink_(sink),
      owner_(owner),
      inline_thread_(std::this_thread::get_id()) {}

void ResponseExchange::notify_locked(std::unique_lock<std::mutex>& lock) {
  if (mode_ != Mode::kParked || notified_) return;
  notified_ = true;
  lock.unlock();
  listener_.exchange_ready(shared_from_this());
}

bool ResponseExchange::respond(Response response) {
  std::unique_lock lock(mutex_);
  if (answered_ || mode_ == Mode::kClosed) return false;
  answered_ = true;
  response_ = std::move(response);
  notify_locked(lock);
  return true;
}

bool ResponseExchange::start_stream(int status, std::string content_type,
                                    std::vector<std::pair<std::string, std::string>> headers) {
  Response head;
  head.status = status;
  head.content_type = std::move(content_type);
  head.headers = std::move(headers);
  bool hook_failed = false;
  if (hooks_.after) {
    try {
      hooks_.after(request_.method, request_.path, head);
    } catch (...) {
      hook_failed = true;  // as in Responder::send(): a 500, never an exception out of here
    }
  }
  std::array<char, 8192> buffer{};
  std::size_t length = hook_failed ? 0 : write_handler_head(buffer, head, request_, 0, true);
  std::unique_lock lock(mutex_);
  if (answered_ || mode_ == Mode::kClosed) return false;
  answered_ = true;
  if (length == 0) {
    // An unsafe field or status, or an after hook that threw: the client gets a 500 instead of
    // a broken stream (or none at all: the Responder has let go of the exchange already).
    response_ = error_response(hooks_, 500);
    notify_locked(lock);
    return false;
  }
  streaming_ = true;
  stream_bytes_.assign(buffer.data(), length);
  if (request_.head_only || head.status == 204 || head.status == 304) stream_ended_ = true;
  notify_locked(lock);
  return !stream_ended_;
}

bool ResponseExchange::write_chunk(std::string_view data) {
  std::unique_lock lock(mutex_);
  if (!streaming_ || stream_ended_ || mode_ == Mode::kClosed) return false;
  if (data.empty()) return true;
  if (request_.version_minor == 0) {
    stream_bytes_.append(data);  // HTTP/1.0: no chunked coding, the close ends the body
  } else {
    append_chunk(stream_bytes_, data);
  }
  notify_locked(lock);
  return true;
}

void ResponseExchange::finish_stream() {
  std::unique_lock lock(mutex_);
  if (!streaming_ || stream_ended_ || mode_ == Mode::kClosed) return;
  stream_ended_ = true;
  if (request_.version_minor >= 1) stream_bytes_.append("0\r\n\r\n");
  notify_locked(lock);
}

std::size_t ResponseExchange::buffered() const {
  std::lock_guard lock(mutex_);
  return stream_bytes_.size();
}

bool ResponseExchange::wait_for_room(std::size_t low_water, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::unique_lock lock(mutex_);
  if (mode_ == Mode::kInline && sink_ != nullptr && std::this_thread::get_id() == inline_thread_) {
    // The handler streams on the worker that owns the connection: nobody else can send these
    // bytes, so send them now, blocking this worker (the handler chose to wait).
    std::string bytes = std::move(stream_bytes_);
    stream_bytes_.clear();
    InlineSink* sink = sink_;
    lock.unlock();
    bool sent = sink->send_now(bytes, deadline);
    lock.lock();
    if (!sent) {
      mode_ = Mode::kClosed;
      return false;
    }
    return mode_ != Mode::kClosed;
  }
  room_.wait_until(lock, deadline,
                   [&] { return mode_ == Mode::kClosed || stream_bytes_.size() <= low_water; });
  return mode_ != Mode::kClosed;
}

bool ResponseExchange::connected() const {
  std::lock_guard lock(mutex_);
  return mode_ != Mode::kClosed;
}

bool ResponseExchange::answered() const {
  std::lock_guard lock(mutex_);
  return answered_;
}

ResponseExchange::Answer ResponseExchange::answer() const {
  std::lock_guard lock(mutex_);
  if (response_) return Answer::kResponse;
  if (streaming_) return Answer::kStream;
  return Answer::kNone;
}

Response ResponseExchange::take_response() {
  std::lock_guard lock(mutex_);
  notified_ = false;
  Response response = std::move(*response_);
  response_.reset();
  return response;
}

bool ResponseExchange::take_stream_bytes(std::string& out) {
  {
    std::lock_guard lock(mutex_);
    notified_ = false;
    if (out.empty()) {
      out.swap(stream_bytes_);
    } else {
      out.append(stream_bytes_);
    }
    stream_bytes_.clear();
  }
  room_.notify_all();
  std::lock_guard lock(mutex_);
  return stream_ended_ && stream_bytes_.empty();
}

ResponseExchange::Answer ResponseExchange::park() {
  std::lock_guard lock(mutex_);
  sink_ = nullptr;
  if (mode_ == Mode::kInline) mode_ = Mode::kParked;
  if (response_) return Answer::kResponse;
  if (streaming_) return Answer::kStream;
  return Answer::kNone;
}

void ResponseExchange::close() {
  {
    std::lock_guard lock(mutex_);
    mode_ = Mode::kClosed;
    sink_ = nullptr;
    response_.reset();
    stream_bytes_.clear();
  }
  room_.notify_all();
}

}  // namespace hybrid::server
