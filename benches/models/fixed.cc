// 1. The fixed page. The text's first server accepted a connection, read whatever arrived, wrote
// one hard-coded page and closed: no path, no files, one client at a time. This one is the same
// in a loop so it can be measured: every request — any path, even a malformed one — gets the
// same page and "Connection: close". It reads until the request head is complete (one recv may
// hold half of it), and does the work of /sleep?ms=N before answering so the blocking scenario
// compares like with like. What it shows: the floor of what a server costs, and that one
// connection at a time holds every other client in the kernel's backlog.
#include <string>
#include <string_view>

#include "benches/models/exchange.h"
#include "benches/models/models.h"
#include "hybrid/http/http_date.h"
#include "hybrid/http/request_parser.h"
#include "hybrid/http/response_head.h"
#include "hybrid/http/target.h"

namespace hybrid::models {
namespace {

constexpr std::string_view kPage =
    "<!doctype html>\n<html><head><title>fixed</title></head>"
    "<body><h1>The same page for every request</h1></body></html>\n";

Reply page_reply() {
  Reply reply;
  reply.bytes.resize(512 + kPage.size());
  http::ResponseHeadWriter head(reply.bytes, http::Status::kOk, http::http_date_now());
  head.header("Content-Type", "text/html; charset=utf-8")
      .header("Content-Length", kPage.size())
      .header("Connection", "close");
  reply.bytes.resize(head.finish());
  reply.bytes += kPage;
  reply.close_after = true;
  return reply;
}

void answer_with_page(int socket) {
  std::string input;
  http::Request request;
  http::ParseResult parsed;
  while ((parsed = http::parse_request(input, request)).status == http::ParseStatus::kIncomplete) {
    if (read_some(socket, input) != Input::kRead) return;
  }
  http::TargetParts parts;
  if (parsed.status == http::ParseStatus::kComplete && http::split_target(request.target, parts) &&
      parts.path == kSleepPath) {
    if (const std::optional<int> ms = requested_sleep(parts.query)) {
      block_for(std::chrono::milliseconds(*ms));
    }
  }
  Reply page = page_reply();
  send_reply(socket, page);
}

}  // namespace

void run_fixed(const ModelOptions& options) {
  install_stop_handlers();
  const UniqueFd listener = listen_on(options);
  announce("fixed", bound_port(listener.get()), options);
  while (wait_readable_or_stop(listener.get())) {
    while (!stop_requested()) {
      const UniqueFd socket = accept_connection(listener.get(), /*non_blocking=*/false);
      if (!socket) break;
      answer_with_page(socket.get());
    }
  }
}

}  // namespace hybrid::models
