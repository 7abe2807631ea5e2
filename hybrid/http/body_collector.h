// A request body collected whole for a handler (RFC 9112 §6): a BodyReader, the decoded payload it
// has found so far, and whether "100 Continue" went out. Pure: it works on a caller's buffer, no
// threads, no sockets.
//
// The buffer holds the request's head, then whatever the client sent after it. collect() takes
// the body's bytes out of the part after the head and closes the gap, so the head stays where it
// is and the next (pipelined) request follows it directly: the buffer never has to hold a body.
//
//   BodyCollector body(body_framing(request), limits);
//   if (body.error() != Status::kOk) → answer it (413) and close, before reading the body;
//   each time bytes arrive after the head: after = body.collect(after);
//   body.done() → payload() is the whole body; body.error() != kOk → answer it and close.
#pragma once

#include <cstddef>
#include <span>
#include <string>

#include "hybrid/http/body_framing.h"
#include "hybrid/http/status.h"

namespace hybrid::http {

class BodyCollector {
 public:
  // A Content-Length above limits.max_body_bytes fails at once with 413 (see BodyReader).
  // `storage`: memory to collect into (its content is dropped), e.g. a buffer a previous body
  // left, so that a large body does not need a fresh allocation.
  explicit BodyCollector(BodyFraming framing, const BodyLimits& limits = {},
                         std::string storage = {});

  // `after_head` is the buffered input that follows the request's head. Moves the body's bytes
  // at its front into payload() (decoded, for chunked), then moves the bytes after them down to
  // after_head.data(); returns how many bytes the input now holds. When the body is unfinished
  // that is 0 (every byte was the body's); when it ended, those bytes are the next request's,
  // unchanged. On an error the bytes accepted before the offending byte are gone and the rest
  // stays (the connection closes anyway). Once finished(), it takes nothing: returns the size.
  // The same bytes in any pieces give the same payload, outcome and remaining bytes.
  std::size_t collect(std::span<char> after_head);

  // The body has ended (done) or cannot be read (error() != kOk): stop calling collect().
  bool finished() const { return reader_.finished(); }
  bool done() const { return reader_.done(); }
  Status error() const { return reader_.error(); }  // kOk, 400 or 413

  // The payload collected so far; all of it once done(). Never more than max_body_bytes.
  // Mutable, so the body can be handed on without a copy.
  std::string& payload() { return payload_; }
  const std::string& payload() const { return payload_; }

  // "100 Continue" went out (RFC 9110 §10.1.1): it is sent once per request, at most.
  bool continue_sent() const { return continue_sent_; }
  void set_continue_sent() { continue_sent_ = true; }

 private:
  void grow(std::size_t needed);

  BodyReader reader_;
  std::size_t max_payload_;
  std::string payload_;
  bool continue_sent_ = false;
};

}  // namespace hybrid::http
