#include "benches/models/exchange.h"

#include <fcntl.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <ctime>
#include <system_error>
#include <utility>

#include "hybrid/http/http_date.h"
#include "hybrid/http/mime.h"
#include "hybrid/http/query.h"
#include "hybrid/http/request_parser.h"
#include "hybrid/http/request_rules.h"
#include "hybrid/http/response_head.h"
#include "hybrid/http/target.h"
#include "hybrid/server/file_responder.h"

namespace hybrid::models {
namespace {

using http::Status;

constexpr std::size_t kReadChunk = 16 * 1024;
constexpr std::size_t kHeadRoom = 512;        // a file's or /sleep's head
constexpr std::size_t kErrorRoom = 2 * 1024;  // build_error_response's bound
constexpr std::string_view kIndexFile = "index.html";

// A blocked call returns EINTR for a signal (no SA_RESTART); it is retried unless we stop.
bool retry_after(int error) {
  return error == EINTR && !stop_requested();
}

Reply error_reply(Status status, bool keep_alive, bool head_only) {
  Reply reply;
  reply.bytes.resize(kErrorRoom);
  const std::size_t length = http::build_error_response(
      reply.bytes, status,
      {.keep_alive = keep_alive,
       .head_only = head_only,
       .allow = status == Status::kMethodNotAllowed || status == Status::kNoContent
                    ? http::kAllowedMethods
                    : std::string_view{}});
  reply.bytes.resize(length);
  reply.close_after = !keep_alive;
  return reply;
}

// The head of a 200 with `content_type` and `length`, into reply.bytes.
void write_ok_head(Reply& reply, std::string_view content_type, std::uint64_t length) {
  reply.bytes.resize(kHeadRoom);
  http::ResponseHeadWriter head(reply.bytes, Status::kOk, http::http_date_now());
  head.header("Content-Type", content_type)
      .header("Content-Length", length)
      .header("Connection", reply.close_after ? "close" : "keep-alive");
  reply.bytes.resize(head.finish());
}

Reply sleep_reply(std::string_view query, bool keep_alive, bool head_only) {
  const std::optional<int> ms = requested_sleep(query);
  if (!ms) return error_reply(Status::kBadRequest, false, head_only);
  block_for(std::chrono::milliseconds(*ms));
  Reply reply;
  reply.close_after = !keep_alive;
  const std::string body = sleep_body(*ms);
  write_ok_head(reply, "text/plain; charset=utf-8", body.size());
  if (!head_only) reply.bytes += body;
  return reply;
}

// Reads `length` bytes of `file` from its start onto the end of `out`; false on a short file.
bool append_file(int file, std::size_t length, std::string& out) {
  const std::size_t start = out.size();
  out.resize(start + length);
  std::size_t done = 0;
  while (done < length) {
    const ssize_t n =
        ::pread(file, out.data() + start + done, length - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

Reply file_reply(std::string_view path, const Site& site, bool keep_alive, bool head_only) {
  // Decoded and normalised by http/target.h, opened with RESOLVE_BENEATH: nothing outside the
  // root, whatever the path or its symlinks say.
  std::string relative(path.size() + kIndexFile.size() + 1, '\0');
  const http::NormalizedPath normalized = http::normalize_path(path, relative);
  if (normalized.status != Status::kOk) return error_reply(normalized.status, false, head_only);
  relative.resize(normalized.length);
  if (normalized.trailing_slash) {
    if (!relative.empty()) relative += '/';
    relative += kIndexFile;
  }
  const int opened = server::open_beneath(site.fd(), relative.c_str());
  if (opened < 0) return error_reply(Status::kNotFound, keep_alive, head_only);
  UniqueFd file(opened);
  struct stat st {};
  if (::fstat(file.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
    return error_reply(Status::kNotFound, keep_alive, head_only);
  }

  Reply reply;
  reply.close_after = !keep_alive;
  const auto size = static_cast<std::uint64_t>(st.st_size);
  write_ok_head(reply, http::mime_type_for_extension(relative).value_or(http::kOctetStream), size);
  if (head_only) return reply;
  if (size <= kInlineBodyLimit) {
    if (!append_file(file.get(), size, reply.bytes)) {
      return error_reply(Status::kInternalServerError, false, false);
    }
  } else {
    reply.file = std::move(file);
    reply.file_end = st.st_size;
  }
  return reply;
}

Reply respond(const http::Request& request, const Site& site, bool keep_alive) {
  const bool head_only = request.method == http::Method::kHead;
  const Status verdict = http::check_request(request);
  if (verdict != Status::kOk) {
    // 405 and 501 leave the connection usable; malformed framing or versions do not.
    const bool recoverable =
        verdict == Status::kMethodNotAllowed || verdict == Status::kNotImplemented;
    return error_reply(verdict, keep_alive && recoverable, head_only);
  }
  if (request.method == http::Method::kOptions) {
    return error_reply(Status::kNoContent, keep_alive, false);
  }
  http::TargetParts parts;
  if (!http::split_target(request.target, parts)) {
    return error_reply(Status::kBadRequest, false, head_only);
  }
  if (parts.path == kSleepPath) return sleep_reply(parts.query, keep_alive, head_only);
  return file_reply(parts.path, site, keep_alive, head_only);
}

}  // namespace

Site::Site(const std::filesystem::path& root)
    : root_(::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) {
  if (!root_) {
    throw std::system_error(errno, std::generic_category(), "cannot open root " + root.string());
  }
}

Progress send_reply(int socket, Reply& reply) {
  while (reply.bytes_sent < reply.bytes.size()) {
    // MSG_MORE before a file body: the head joins the body's first segment.
    const int more = reply.file_offset < reply.file_end ? MSG_MORE : 0;
    const ssize_t n = ::send(socket, reply.bytes.data() + reply.bytes_sent,
                             reply.bytes.size() - reply.bytes_sent, MSG_NOSIGNAL | more);
    if (n < 0) {
      if (retry_after(errno)) continue;
      return errno == EAGAIN ? Progress::kBlocked : Progress::kFailed;
    }
    reply.bytes_sent += static_cast<std::size_t>(n);
  }
  while (reply.file_offset < reply.file_end) {
    const auto left = static_cast<std::size_t>(reply.file_end - reply.file_offset);
    const ssize_t n = ::sendfile(socket, reply.file.get(), &reply.file_offset, left);
    if (n < 0) {
      if (retry_after(errno)) continue;
      return errno == EAGAIN ? Progress::kBlocked : Progress::kFailed;
    }
    if (n == 0) return Progress::kFailed;  // the file shrank under us: the length was a lie
  }
  return Progress::kDone;
}

Input read_some(int socket, std::string& input) {
  std::array<char, kReadChunk> chunk;
  for (;;) {
    const ssize_t n = ::recv(socket, chunk.data(), chunk.size(), 0);
    if (n > 0) {
      input.append(chunk.data(), static_cast<std::size_t>(n));
      return Input::kRead;
    }
    if (n == 0) return Input::kEnd;
    if (retry_after(errno)) continue;
    return errno == EAGAIN ? Input::kWouldBlock : Input::kFailed;
  }
}

std::optional<Reply> answer_next(std::string& input, const Site& site, bool keep_alive) {
  http::Request request;
  const http::ParseResult parsed = http::parse_request(input, request);
  if (parsed.status == http::ParseStatus::kIncomplete) return std::nullopt;
  if (parsed.status == http::ParseStatus::kError) {
    input.clear();
    return error_reply(parsed.error, false, false);
  }
  // A body we do not read would be parsed as the next request: answer, then close.
  keep_alive = keep_alive && http::wants_keep_alive(request) && !http::has_body(request);
  Reply reply = respond(request, site, keep_alive);  // `request` views `input`: erase after
  input.erase(0, parsed.consumed);
  return reply;
}

std::optional<int> sleep_milliseconds(std::string_view ms) {
  int value = 0;
  const auto [end, error] = std::from_chars(ms.data(), ms.data() + ms.size(), value);
  if (ms.empty() || error != std::errc{} || end != ms.data() + ms.size() || value < 0 ||
      value > kMaxSleepMilliseconds) {
    return std::nullopt;
  }
  return value;
}

std::optional<int> requested_sleep(std::string_view query) {
  const std::optional<std::string> ms = http::find_query_parameter(query, "ms");
  return ms ? sleep_milliseconds(*ms) : std::nullopt;
}

void block_for(std::chrono::milliseconds duration) {
  timespec left{static_cast<time_t>(duration.count() / 1000),
                static_cast<long>(duration.count() % 1000) * 1'000'000L};
  while (::nanosleep(&left, &left) != 0 && retry_after(errno)) {
  }
}

std::string sleep_body(int milliseconds) {
  return "slept " + std::to_string(milliseconds) + " ms\n";
}

bool Session::advance(const Site& site) {
  for (;;) {
    if (pending_) {
      const Progress sent = send_reply(socket_.get(), *pending_);
      if (sent == Progress::kBlocked) return true;
      if (sent == Progress::kFailed || pending_->close_after) return false;
      pending_.reset();
    }
    pending_ = answer_next(input_, site, keep_alive_);
    if (pending_) continue;
    if (peer_closed_) return false;  // what is left of the input can never become a request
    switch (read_some(socket_.get(), input_)) {
      case Input::kRead:
        break;
      case Input::kWouldBlock:
        return true;
      case Input::kEnd:
        peer_closed_ = true;  // answer what came before the close
        break;
      case Input::kFailed:
        return false;
    }
  }
}

void SessionTable::add(UniqueFd socket) {
  const auto slot = static_cast<std::size_t>(socket.get());
  if (slots_.size() <= slot) slots_.resize(slot + 1);
  slots_[slot] = std::make_unique<Session>(std::move(socket));
}

Session* SessionTable::find(int fd) {
  const auto slot = static_cast<std::size_t>(fd);
  return slot < slots_.size() ? slots_[slot].get() : nullptr;
}

void SessionTable::remove(int fd) {
  slots_[static_cast<std::size_t>(fd)].reset();
}

}  // namespace hybrid::models
