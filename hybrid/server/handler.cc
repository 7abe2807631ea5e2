// The public handler types: thin handles over a ResponseExchange.
#include "hybrid/server/handler.h"

#include "hybrid/http/query.h"
#include "hybrid/http/request.h"
#include "hybrid/server/response_exchange.h"
#include "hybrid/server/service.h"

namespace hybrid::server {

std::optional<std::string_view> Request::param(std::string_view name) const {
  for (const Field& field : params_) {
    if (field.name == name) return field.value;
  }
  return std::nullopt;
}

std::optional<std::string> Request::query_param(std::string_view name) const {
  return http::find_query_parameter(query_, name);
}

std::optional<std::string_view> Request::header(std::string_view name) const {
  for (const Field& field : headers_) {
    if (http::iequals(field.name, name)) return field.value;
  }
  return std::nullopt;
}

namespace {

Response typed(std::string body, int status, const char* content_type) {
  Response response;
  response.status = status;
  response.content_type = content_type;
  response.body = std::move(body);
  return response;
}

}  // namespace

Response Response::text(std::string body, int status) {
  return typed(std::move(body), status, "text/plain; charset=utf-8");
}

Response Response::json(std::string body, int status) {
  return typed(std::move(body), status, "application/json");
}

Response Response::html(std::string body, int status) {
  return typed(std::move(body), status, "text/html; charset=utf-8");
}

Response Response::send_file(std::filesystem::path path) {
  Response response;
  response.file = std::move(path);
  return response;
}

// ---- Responder ----

Responder::Responder(std::shared_ptr<ResponseExchange> exchange) : exchange_(std::move(exchange)) {}
Responder make_responder(std::shared_ptr<ResponseExchange> exchange) {
  return Responder(std::move(exchange));
}
Responder::Responder(Responder&&) noexcept = default;
Responder& Responder::operator=(Responder&& other) noexcept {
  if (this != &other) {
    Responder dropped(std::move(*this));  // answers 500 if it had not answered
    exchange_ = std::move(other.exchange_);
  }
  return *this;
}

Responder::~Responder() {
  if (exchange_ && !exchange_->answered()) {
    exchange_->respond(error_response(exchange_->hooks(), 500));
  }
}

bool Responder::send(Response response) {
  if (!exchange_) return false;
  std::shared_ptr<ResponseExchange> exchange = std::move(exchange_);
  if (exchange->hooks().after) {
    try {
      exchange->hooks().after(exchange->request().method, exchange->request().path, response);
    } catch (...) {
      response = error_response(exchange->hooks(), 500);
    }
  }
  return exchange->respond(std::move(response));
}

ResponseStream Responder::stream(int status, std::string content_type,
                                 std::vector<std::pair<std::string, std::string>> headers) {
  if (!exchange_) return ResponseStream();
  std::shared_ptr<ResponseExchange> exchange = std::move(exchange_);
  if (!exchange->start_stream(status, std::move(content_type), std::move(headers))) {
    return ResponseStream();
  }
  return ResponseStream(std::move(exchange));
}

bool Responder::connected() const {
  return exchange_ && exchange_->connected();
}

// ---- ResponseStream ----

ResponseStream::ResponseStream(std::shared_ptr<ResponseExchange> exchange)
    : exchange_(std::move(exchange)) {}
ResponseStream::ResponseStream(ResponseStream&&) noexcept = default;
ResponseStream& ResponseStream::operator=(ResponseStream&& other) noexcept {
  if (this != &other) {
    finish();
    exchange_ = std::move(other.exchange_);
  }
  return *this;
}
ResponseStream::~ResponseStream() {
  finish();
}

bool ResponseStream::write(std::string_view data) {
  return exchange_ && exchange_->write_chunk(data);
}

std::size_t ResponseStream::buffered() const {
  return exchange_ ? exchange_->buffered() : 0;
}

bool ResponseStream::wait_for_room(std::size_t low_water, std::chrono::milliseconds timeout) {
  return exchange_ && exchange_->wait_for_room(low_water, timeout);
}

void ResponseStream::finish() {
  if (exchange_) exchange_->finish_stream();
  exchange_.reset();
}

bool ResponseStream::connected() const {
  return exchange_ && exchange_->connected();
}

}  // namespace hybrid::server
