#include "hybrid/server/connection.h"

#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <span>
#include <string_view>

#include "hybrid/server/body_buffers.h"

namespace hybrid::server {

std::size_t connection_input_capacity(const http::ParseLimits& limits) {
  // One byte more than the largest acceptable head, so "full and still no end of head" is
  // exactly "too large" (431), whatever the parser's own comparison is.
  return limits.max_head_bytes + 1;
}

void Connection::reset(int new_fd, StreamKind kind, bool redirects) {
  clear_output();
  fd = new_fd;
  peer[0] = '\0';
  stream = kind;
  tls.reset();
  redirect_to_https = redirects;
  input_size = input_consumed = head_scanned = 0;
  input_maybe_more = false;
  body.reset();
  request_head_length = 0;
  frame_error = http::Status::kBadRequest;
  drop_collection();
  exchange.reset();
  handed_off_at = 0;
  overloaded = false;
  read_at_ns = 0;
  unfinished_responses = 0;
  completion = {};
  next_completed = nullptr;
  reactor_waits.store(false, std::memory_order_relaxed);
  reactor_only = {};
  reactor_only.phase = new_fd >= 0 ? Phase::kReading : Phase::kFree;
}

void Connection::compact_input() {
  if (input_consumed == 0) return;
  // Keep the unanswered bytes at the front; this is a memmove of pipelined leftovers only.
  std::size_t rest = input_size - input_consumed;
  if (rest > 0) std::memmove(input.get(), input.get() + input_consumed, rest);
  input_size = rest;
  input_consumed = 0;
  head_scanned = 0;
}

void Connection::collect_body() {
  const std::size_t start = input_consumed + request_head_length;
  input_size = start + collection->collect({input.get() + start, input_size - start});
}

Frame Connection::frame_next(const http::ParseLimits& limits, http::Request& request,
                             HeadParse parse) {
  compact_input();
  if (collection) {
    // The head at the front was framed before; only its body is missing.
    collect_body();
    if (collection->error() != http::Status::kOk) {
      // Kept, failed: framing again (the worker does) gives the same answer. The connection
      // closes after it.
      frame_error = collection->error();
      return Frame::kError;
    }
    if (!collection->done()) return Frame::kNeedMore;
  }
  if (body) {
    while (input_size > input_consumed && !body->finished()) {
      http::BodyStep step =
          body->advance({input.get() + input_consumed, input_size - input_consumed});
      input_consumed += step.consumed;
      if (step.consumed == 0) break;
    }
    if (body->error() != http::Status::kOk) {
      // A body we cannot frame leaves the stream unreadable: answer and close.
      frame_error = body->error();
      body.reset();
      return Frame::kError;
    }
    compact_input();
    if (!body->done()) return Frame::kNeedMore;
    body.reset();
  }
  if (input_size == 0) return Frame::kNeedMore;

  std::string_view bytes(input.get(), input_size);
  bool first_look = head_scanned == 0;
  std::size_t head_end = http::find_head_end(bytes, head_scanned);
  bool full = input_size >= input_capacity;
  // The full parse runs once the head is complete, when the buffer is full, and on the first
  // bytes of a request (garbage such as a TLS hello is refused at once, not after a timeout).
  // Otherwise a client dribbling bytes costs only the scan of what it just sent.
  if (head_end == std::string_view::npos && !full && !first_look) {
    head_scanned = input_size;
    return Frame::kNeedMore;
  }
  if (head_end != std::string_view::npos && parse == HeadParse::kBoundsOnly) {
    // find_head_end() promises that parse_request() over these bytes ends exactly here or
    // reports an error, so the bounds are certain without the parse.
    request_head_length = head_end;
    return Frame::kRequest;
  }
  http::ParseResult result = http::parse_request(bytes, request, limits);
  switch (result.status) {
    case http::ParseStatus::kComplete:
      request_head_length = result.consumed;
      return Frame::kRequest;
    case http::ParseStatus::kError:
      frame_error = result.error;
      return Frame::kError;
    case http::ParseStatus::kIncomplete:
      if (full) {
        frame_error = http::Status::kRequestHeaderFieldsTooLarge;
        return Frame::kError;
      }
      head_scanned = input_size;
      return Frame::kNeedMore;
  }
  return Frame::kNeedMore;
}

FlushResult Connection::flush_output(OwnedCounter& sent_bytes, std::uint64_t turn_bytes) {
  while (true) {
    while (output.size() > output_begin) {
      StreamResult sent =
          transmit(output.data() + output_begin, output.size() - output_begin, has_pending_body());
      if (sent.status == StreamStatus::kBlocked) return FlushResult::kBlocked;
      if (sent.status != StreamStatus::kDone) return FlushResult::kFailed;
      sent_bytes.add(sent.bytes);
      output_begin += sent.bytes;
      turn_bytes -= std::min<std::uint64_t>(turn_bytes, sent.bytes);
    }
    // Without kernel TLS, the storage takes the file's next piece.
    if (file_remaining == 0 || can_send_file()) release_bytes();

    while (file_remaining > 0) {
      if (turn_bytes == 0) return FlushResult::kYielded;
      if (!can_send_file()) {
        if (!load_file_piece()) return FlushResult::kFailed;
        break;
      }
      StreamResult sent = transmit_file(static_cast<std::size_t>(
          std::min({file_remaining, turn_bytes, std::uint64_t{kWriteTurnBytes}})));
      if (sent.status == StreamStatus::kBlocked) return FlushResult::kBlocked;
      if (sent.status != StreamStatus::kDone) return FlushResult::kFailed;
      sent_bytes.add(sent.bytes);
      file_remaining -= sent.bytes;
      turn_bytes -= sent.bytes;
    }
    if (output.size() > output_begin) continue;  // a piece of the file, loaded to be encrypted

    if (next_part >= parts.size()) break;
    const Part& part = parts[next_part++];
    stash_output(part_heads.data() + part.head_offset, part.head_length);
    file_offset = part.file_offset;
    file_remaining = part.file_length;
  }
  clear_output();
  return FlushResult::kDone;
}

namespace {

StreamResult from_tls(const tls::TlsResult& result) {
  switch (result.status) {
    case tls::TlsStatus::kDone:
      return {StreamStatus::kDone, result.bytes};
    // A read that wants to write (a TLS 1.3 post-handshake message) waits for readiness like
    // any other: the connection is registered for both directions, and every event of a
    // reading connection reads again. A write that wants to read cannot happen without
    // renegotiation, which is off.
    case tls::TlsStatus::kWantRead:
    case tls::TlsStatus::kWantWrite:
      return {StreamStatus::kBlocked, 0};
    case tls::TlsStatus::kClosed:
      return {StreamStatus::kClosed, 0};
    case tls::TlsStatus::kError:
      break;
  }
  return {StreamStatus::kFailed, 0};
}

// Bytes read from a file per TLS record: its largest plaintext (RFC 8446 §5.1).
constexpr std::size_t kFilePieceBytes = 16 * 1024;

}  // namespace

StreamResult Connection::receive(char* into, std::size_t space) {
  if (stream == StreamKind::kTls)
    return from_tls(tls->read(std::as_writable_bytes(std::span(into, space))));
  while (true) {
    ssize_t got = ::recv(fd, into, space, 0);
    if (got > 0) return {StreamStatus::kDone, static_cast<std::size_t>(got)};
    if (got == 0) return {StreamStatus::kClosed, 0};
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return {StreamStatus::kBlocked, 0};
    return {StreamStatus::kFailed, 0};
  }
}

StreamResult Connection::transmit(const char* bytes, std::size_t length, bool more) {
  if (stream == StreamKind::kTls) {
    StreamResult sent = from_tls(tls->write(std::as_bytes(std::span(bytes, length))));
    return sent.status == StreamStatus::kClosed ? StreamResult{StreamStatus::kFailed, 0} : sent;
  }
  while (true) {
    ssize_t sent = ::send(fd, bytes, length, MSG_NOSIGNAL | (more ? MSG_MORE : 0));
    if (sent >= 0) {
      // send() of a non-empty buffer never returns 0; were it to, retrying would spin.
      return sent > 0 ? StreamResult{StreamStatus::kDone, static_cast<std::size_t>(sent)}
                      : StreamResult{StreamStatus::kFailed, 0};
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return {StreamStatus::kBlocked, 0};
    return {StreamStatus::kFailed, 0};
  }
}

StreamResult Connection::transmit_file(std::size_t length) {
  if (stream == StreamKind::kTls) {
    StreamResult sent = from_tls(tls->send_file(file_fd.get(), file_offset, length));
    if (sent.status == StreamStatus::kDone) file_offset += static_cast<off_t>(sent.bytes);
    return sent.status == StreamStatus::kClosed ? StreamResult{StreamStatus::kFailed, 0} : sent;
  }
  while (true) {
    ssize_t sent = ::sendfile(fd, file_fd.get(), &file_offset, length);
    if (sent > 0) return {StreamStatus::kDone, static_cast<std::size_t>(sent)};
    // 0: the file shrank after its length went out in Content-Length. The only honest move is
    // to close, so the client sees a short body instead of a desynchronised stream.
    if (sent == 0) return {StreamStatus::kFailed, 0};
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return {StreamStatus::kBlocked, 0};
    return {StreamStatus::kFailed, 0};
  }
}

bool Connection::load_file_piece() {
  const std::size_t length =
      static_cast<std::size_t>(std::min<std::uint64_t>(file_remaining, kFilePieceBytes));
  output.resize(length);
  output_begin = 0;
  std::size_t got = 0;
  while (got < length) {
    ssize_t n = ::pread(file_fd.get(), output.data() + got, length - got, file_offset);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;  // shrank (as sendfile's 0 above), or unreadable
    got += static_cast<std::size_t>(n);
    file_offset += n;
  }
  file_remaining -= length;
  return true;
}

void Connection::stash_output(const char* bytes, std::size_t length) {
  replace_output(pending_bytes(), {bytes, length});
}

void Connection::stash_output(std::string&& bytes) {
  if (pending_bytes().empty()) {
    output = std::move(bytes);
    output_begin = 0;
  } else {
    stash_output(bytes.data(), bytes.size());
  }
}

void Connection::stash_output_first(const char* bytes, std::size_t length) {
  replace_output({bytes, length}, pending_bytes());
}

void Connection::replace_output(std::string_view first, std::string_view second) {
  std::string merged;
  merged.reserve(first.size() + second.size());
  merged.append(first).append(second);
  output = std::move(merged);
  output_begin = 0;
}

void Connection::release_bytes() {
  // The memory goes too: an idle connection keeps no buffer (and a handler's large body no
  // longer than it takes to send it). A large one is kept for the next large body.
  if (body_buffers_ != nullptr) {
    body_buffers_->give(std::move(output));
    output.clear();  // moved-from: valid but unspecified
  } else {
    std::string().swap(output);
  }
  output_begin = 0;
}

void Connection::drop_collection() {
  if (collection && body_buffers_ != nullptr) body_buffers_->give(std::move(collection->payload()));
  collection.reset();
}

void Connection::clear_output() {
  parts.clear();
  part_heads.clear();
  next_part = 0;
  release_bytes();
  file_fd.reset();
  file_offset = 0;
  file_remaining = 0;
}

}  // namespace hybrid::server
