// Request-body framing (RFC 9112 §6–7): where a request body ends, so that a server can discard
// the body of a request it answers (instead of parsing it as the next request) or hand it to a
// service. Pure and allocation-free: views into the caller's buffer, no threads, no sockets.
//
// Typical use after check_request() returned kOk, 405 or 501:
//   BodyReader body(body_framing(request), limits);
//   if (body.error() != Status::kOk) → answer body.error() (413) and close, without reading;
//   while (!body.finished()) { read bytes; step = body.advance(bytes); deliver or drop step.data;
//                              drop step.consumed bytes; if (step.error != kOk) answer it, close }
// Bytes after a finished body belong to the next request.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "hybrid/http/request.h"
#include "hybrid/http/status.h"

namespace hybrid::http {

// Content-Length = 1*DIGIT (RFC 9110 §8.6), at most 18 digits so the value is below 2^63 and never
// overflows. A comma list, even of equal values, is refused: merging is legal but nothing honest
// sends one, and refusing is the safe side of RFC 9112 §6.3. The one definition of a valid
// Content-Length, shared by check_request() and body_framing().
std::optional<std::uint64_t> parse_content_length(std::string_view value);

enum class BodyKind : unsigned char {
  kNone,     // no body: the next request starts right after the head
  kLength,   // exactly `length` bytes (Content-Length, RFC 9112 §6.2)
  kChunked,  // the chunked transfer coding (RFC 9112 §7.1)
};

struct BodyFraming {
  BodyKind kind = BodyKind::kNone;
  std::uint64_t length = 0;  // only for kLength; then > 0
};

// How the body of `request` is framed (RFC 9112 §6.3): any Transfer-Encoding → kChunked;
// Content-Length N > 0 → kLength N; otherwise (none, or 0) → kNone.
// Precondition: check_request(request) returned kOk, 405 or 501, i.e. the framing checks passed
// (no Transfer-Encoding with Content-Length, a final "chunked" only in HTTP/1.1, one valid length).
// For a request answered 400 or 505 the framing is unknown or ambiguous and the result means
// nothing: the caller must close the connection after answering (RFC 9112 §6.3 item 4).
BodyFraming body_framing(const Request& request);

struct BodyLimits {
  std::uint64_t max_body_bytes = 1 << 20;  // payload bytes (decoded, for chunked); more → 413
  std::size_t max_chunk_line = 4096;       // chunk-size + chunk-ext, without CRLF; longer → 400
  std::size_t max_trailer_bytes = 8192;    // trailer field lines with their CRLFs; more → 400
};

// One call's outcome. `consumed` bytes of the input were used (always a prefix of it); `data` is
// payload found inside those bytes (a view into the input, valid as long as the input is; possibly
// empty); `done` says the body ended within them (bytes after `consumed` are the next request's);
// `error` is kOk, or 400 (malformed framing) / 413 (over max_body_bytes), after which the decoder
// is stuck and the connection must close.
struct BodyStep {
  std::size_t consumed = 0;
  bool done = false;
  Status error = Status::kOk;
  std::string_view data;
};

// An incremental decoder of the chunked transfer coding (RFC 9112 §7.1) that accepts its input
// split anywhere: the same bytes in any pieces give the same payload, the same total `consumed`
// and the same result. It keeps a few counters, never buffers, never allocates.
//
// feed() contract: it consumes bytes until one of these, whichever comes first:
//  - the input runs out (consumed == input.size(); more input is needed),
//  - a stretch of chunk data ends (`data` is that stretch, ending at `consumed`): at most one data
//    segment per call, so the caller can deliver it before feeding the rest,
//  - the body ends (done; `consumed` ends just past the final CRLF),
//  - an error (`consumed` = bytes accepted before the offending byte; informative only).
// Hence a call with non-empty input on an unfinished decoder always consumes a byte or fails.
// Once done or failed, feed() consumes nothing and repeats the outcome (without data).
//
// Syntax accepted — strictly, since two parsers disagreeing on a body's end is request smuggling:
//  - chunk-size = 1*16HEXDIG (either case) below 2^63; more digits or a larger value → 400;
//  - chunk-ext = *( BWS ";" BWS name [ BWS "=" BWS ( token / quoted-string ) ] ), skipped; no
//    whitespace is allowed after the size without a ';' following it;
//  - each chunk line (size + extensions, without CRLF) at most max_chunk_line bytes → else 400,
//    reported as soon as the line grows past it;
//  - only CRLF ends a line: a bare LF or a CR without LF anywhere → 400 (§7.1, §2.2);
//  - chunk data is followed by exactly CRLF → else 400 (so data longer than its size is 400);
//  - a chunk whose size would take the total payload past max_body_bytes → 413, reported at the
//    end of its chunk line, before any of its data is returned;
//  - last-chunk = 1*"0" [ chunk-ext ] CRLF, then trailer field lines (field-name ":" field-value,
//    no whitespace before the colon, no obs-fold) validated and discarded (§7.1.2), then CRLF.
//    Trailers over max_trailer_bytes → 400 (not 431: they are not the request's header section).
class ChunkedDecoder {
 public:
  using Step = BodyStep;

  explicit ChunkedDecoder(const BodyLimits& limits = {}) : limits_(limits) {}

  Step feed(std::string_view input);

  bool done() const { return state_ == State::kDone; }
  Status error() const { return error_; }

 private:
  enum class State : unsigned char {
    kSizeStart,        // the first HEXDIG of chunk-size
    kSize,             // further HEXDIGs
    kBeforeSemicolon,  // BWS that must be followed by ';'
    kExtNameStart,     // BWS, then the first tchar of a chunk-ext-name
    kExtName,
    kExtAfterName,  // BWS after a name: '=' or ';' must follow
    kExtValueStart,
    kExtToken,
    kExtQuoted,
    kExtQuotedPair,  // after a backslash inside a quoted-string
    kExtAfterQuoted,
    kLineLf,  // the LF of a chunk line's CRLF
    kData,
    kDataCr,
    kDataLf,
    kTrailerLineStart,  // a field-name's first tchar, or the CR of the final empty line
    kTrailerName,
    kTrailerValue,
    kTrailerLf,
    kEndLf,  // the LF of the final empty line
    kDone,
    kError,
  };

  // Advances over one byte of a chunk line or trailer; false on a syntax or limit error.
  bool step_line(char c);
  bool end_chunk_line();
  bool fail(Status status);

  BodyLimits limits_;
  State state_ = State::kSizeStart;
  Status error_ = Status::kOk;
  std::uint64_t chunk_size_ = 0;  // the size being parsed, then the data bytes left in the chunk
  std::uint64_t body_bytes_ = 0;  // payload announced so far, sizes of all chunks including this
  std::size_t digits_ = 0;
  std::size_t line_bytes_ = 0;     // of the current chunk line
  std::size_t trailer_bytes_ = 0;  // of the whole trailer section
};

// The body of one request, whatever its framing: a Content-Length countdown or a ChunkedDecoder.
// advance() has ChunkedDecoder::feed()'s contract (for kLength: data = the body bytes in the
// input, done once `length` have passed; for kNone: done at once, consuming nothing).
// To discard a body, ignore Step::data; to read it, deliver each Step::data in order.
class BodyReader {
 public:
  using Step = BodyStep;

  // A Content-Length above limits.max_body_bytes fails at once with 413 (error() is set, and
  // advance() consumes nothing), so the caller can refuse before reading — and before sending
  // 100 Continue.
  explicit BodyReader(BodyFraming framing, const BodyLimits& limits = {});

  Step advance(std::string_view input);

  // The body has ended (done) or cannot be read (error() != kOk): stop calling advance().
  bool finished() const { return done() || error() != Status::kOk; }
  bool done() const;
  Status error() const;

 private:
  BodyKind kind_;
  std::uint64_t remaining_ = 0;  // kLength: body bytes not yet seen
  Status length_error_ = Status::kOk;
  ChunkedDecoder chunked_;
};

enum class Expectation : unsigned char {
  kNone,         // no expectation (or one that must be ignored)
  kContinue,     // "100-continue": send 100 Continue before reading the body, or answer finally
  kUnsupported,  // any other expectation: answer 417 (RFC 9110 §10.1.1)
};

// The request's Expect field (RFC 9110 §10.1.1), all lines together: no line or only empty list
// elements → kNone; every element "100-continue" (case-insensitive) → kContinue; any other element
// (including "100-continue" with parameters) → kUnsupported. HTTP/1.0 requests → kNone: a server
// MUST ignore 100-continue from an HTTP/1.0 client, and Expect did not exist in HTTP/1.0.
// A server may skip the 100 and answer finally (e.g. 405 or 413), but then it must still discard
// the body or close the connection.
Expectation expectation(const Request& request);

}  // namespace hybrid::http
