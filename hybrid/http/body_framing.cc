#include "hybrid/http/body_framing.h"

#include <algorithm>

#include "hybrid/http/syntax.h"

namespace hybrid::http {
namespace {

constexpr std::size_t kMaxContentLengthDigits = 18;        // < 2^63, so the value never overflows
constexpr std::size_t kMaxChunkSizeDigits = 16;            // RFC 9112 §7.1 sets no bound; we do
constexpr std::uint64_t kMaxChunkSize = (1ULL << 63) - 1;  // fits a signed 64-bit offset

// The value of a HEXDIG, or -1.
constexpr int hex_value(char c) {
  if (is_digit(c)) return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

constexpr bool is_obs_text(char c) {
  return static_cast<unsigned char>(c) >= 0x80;
}

constexpr bool is_vchar(char c) {
  return c >= 0x21 && c <= 0x7e;
}

// field-vchar, SP and HTAB: what a field value may hold (RFC 9110 §5.5); also what may follow a
// backslash in a quoted-pair.
constexpr bool is_field_char(char c) {
  return is_vchar(c) || is_obs_text(c) || is_ows(c);
}

// qdtext (RFC 9110 §5.6.4): a field char other than '"' and '\'.
constexpr bool is_qdtext(char c) {
  return is_field_char(c) && c != '"' && c != '\\';
}

}  // namespace

std::optional<std::uint64_t> parse_content_length(std::string_view value) {
  if (value.empty() || value.size() > kMaxContentLengthDigits) return std::nullopt;
  std::uint64_t length = 0;
  for (const char c : value) {
    if (!is_digit(c)) return std::nullopt;
    length = length * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return length;
}

BodyFraming body_framing(const Request& request) {
  // check_request() already refused every ambiguous combination, so the first framing header
  // decides: Transfer-Encoding means a final "chunked" (RFC 9112 §6.3 item 4).
  std::uint64_t length = 0;
  for (const Header& header : request.headers()) {
    if (iequals(header.name, "Transfer-Encoding")) return {BodyKind::kChunked, 0};
    if (iequals(header.name, "Content-Length"))
      length = parse_content_length(header.value).value_or(0);
  }
  if (length == 0) return {};
  return {BodyKind::kLength, length};
}

// --- ChunkedDecoder -----------------------------------------------------------------------------

ChunkedDecoder::Step ChunkedDecoder::feed(std::string_view input) {
  Step step;
  std::size_t i = 0;
  while (i < input.size() && state_ != State::kDone && state_ != State::kError) {
    if (state_ == State::kData) {
      // The one place payload passes: hand out the whole stretch and stop, so the caller sees
      // at most one data segment per call.
      const std::size_t take =
          static_cast<std::size_t>(std::min<std::uint64_t>(chunk_size_, input.size() - i));
      step.data = input.substr(i, take);
      i += take;
      chunk_size_ -= take;
      if (chunk_size_ == 0) state_ = State::kDataCr;
      break;
    }
    if (!step_line(input[i])) break;  // the offending byte is not consumed
    ++i;
  }
  step.consumed = i;
  step.done = done();
  step.error = error_;
  return step;
}

bool ChunkedDecoder::fail(Status status) {
  state_ = State::kError;
  error_ = status;
  return false;
}

// The end of a chunk line (its LF): the size is final, so the budget can be checked before any of
// the chunk's data is read.
bool ChunkedDecoder::end_chunk_line() {
  if (chunk_size_ == 0) {
    state_ = State::kTrailerLineStart;
    return true;
  }
  // body_bytes_ <= max_body_bytes always holds, so the subtraction cannot wrap.
  if (chunk_size_ > limits_.max_body_bytes - body_bytes_) return fail(Status::kContentTooLarge);
  body_bytes_ += chunk_size_;
  state_ = State::kData;
  return true;
}

bool ChunkedDecoder::step_line(char c) {
  // Bound the chunk line while it grows: a client cannot keep us scanning one forever.
  // States up to kExtAfterQuoted are inside a chunk line; its CR is not counted.
  if (state_ <= State::kExtAfterQuoted && c != '\r' && ++line_bytes_ > limits_.max_chunk_line) {
    return fail(Status::kBadRequest);
  }
  const bool in_field_line = state_ == State::kTrailerName || state_ == State::kTrailerValue ||
                             state_ == State::kTrailerLf ||
                             (state_ == State::kTrailerLineStart && c != '\r');
  if (in_field_line && ++trailer_bytes_ > limits_.max_trailer_bytes) {
    return fail(Status::kBadRequest);
  }

  switch (state_) {
    case State::kSizeStart: {
      const int digit = hex_value(c);
      if (digit < 0) return fail(Status::kBadRequest);  // "-1", " 5", ";x", an empty size
      chunk_size_ = static_cast<std::uint64_t>(digit);
      digits_ = 1;
      state_ = State::kSize;
      return true;
    }
    case State::kSize: {
      const int digit = hex_value(c);
      if (digit >= 0) {
        const auto value = static_cast<std::uint64_t>(digit);
        if (++digits_ > kMaxChunkSizeDigits || chunk_size_ > (kMaxChunkSize - value) >> 4) {
          return fail(Status::kBadRequest);
        }
        chunk_size_ = (chunk_size_ << 4) | value;
        return true;
      }
      if (c == ';') {
        state_ = State::kExtNameStart;
      } else if (is_ows(c)) {
        state_ = State::kBeforeSemicolon;
      } else if (c == '\r') {
        state_ = State::kLineLf;
      } else {
        return fail(Status::kBadRequest);  // "0x5", a bare LF, any other byte
      }
      return true;
    }
    case State::kBeforeSemicolon:
      // BWS is only allowed before a ';': "5 \r\n" is refused, a classic parser disagreement.
      if (c == ';') {
        state_ = State::kExtNameStart;
      } else if (!is_ows(c)) {
        return fail(Status::kBadRequest);
      }
      return true;
    case State::kExtNameStart:
      if (is_tchar(c)) {
        state_ = State::kExtName;
      } else if (!is_ows(c)) {
        return fail(Status::kBadRequest);
      }
      return true;
    case State::kExtName:
      if (is_tchar(c)) return true;
      if (c == '=') {
        state_ = State::kExtValueStart;
      } else if (c == ';') {
        state_ = State::kExtNameStart;
      } else if (is_ows(c)) {
        state_ = State::kExtAfterName;
      } else if (c == '\r') {
        state_ = State::kLineLf;
      } else {
        return fail(Status::kBadRequest);
      }
      return true;
    case State::kExtAfterName:
      if (c == '=') {
        state_ = State::kExtValueStart;
      } else if (c == ';') {
        state_ = State::kExtNameStart;
      } else if (!is_ows(c)) {
        return fail(Status::kBadRequest);
      }
      return true;
    case State::kExtValueStart:
      if (c == '"') {
        state_ = State::kExtQuoted;
      } else if (is_tchar(c)) {
        state_ = State::kExtToken;
      } else if (!is_ows(c)) {
        return fail(Status::kBadRequest);
      }
      return true;
    case State::kExtToken:
      if (is_tchar(c)) return true;
      if (c == ';') {
        state_ = State::kExtNameStart;
      } else if (is_ows(c)) {
        state_ = State::kBeforeSemicolon;
      } else if (c == '\r') {
        state_ = State::kLineLf;
      } else {
        return fail(Status::kBadRequest);
      }
      return true;
    case State::kExtQuoted:
      // CR and LF are no qdtext: a line end inside quotes is an error, not the end of the line.
      if (c == '"') {
        state_ = State::kExtAfterQuoted;
      } else if (c == '\\') {
        state_ = State::kExtQuotedPair;
      } else if (!is_qdtext(c)) {
        return fail(Status::kBadRequest);
      }
      return true;
    case State::kExtQuotedPair:
      if (!is_field_char(c)) return fail(Status::kBadRequest);
      state_ = State::kExtQuoted;
      return true;
    case State::kExtAfterQuoted:
      if (c == ';') {
        state_ = State::kExtNameStart;
      } else if (is_ows(c)) {
        state_ = State::kBeforeSemicolon;
      } else if (c == '\r') {
        state_ = State::kLineLf;
      } else {
        return fail(Status::kBadRequest);
      }
      return true;
    case State::kLineLf:
      if (c != '\n') return fail(Status::kBadRequest);  // a bare CR
      return end_chunk_line();
    case State::kDataCr:
      // Exactly CRLF after the data (RFC 9112 §7.1): anything else means the size lied.
      if (c != '\r') return fail(Status::kBadRequest);
      state_ = State::kDataLf;
      return true;
    case State::kDataLf:
      if (c != '\n') return fail(Status::kBadRequest);
      state_ = State::kSizeStart;
      chunk_size_ = 0;
      digits_ = 0;
      line_bytes_ = 0;
      return true;
    case State::kTrailerLineStart:
      // A leading SP or HTAB would be obs-fold or whitespace before a name (RFC 9112 §5.2, §5.1).
      if (c == '\r') {
        state_ = State::kEndLf;
      } else if (is_tchar(c)) {
        state_ = State::kTrailerName;
      } else {
        return fail(Status::kBadRequest);
      }
      return true;
    case State::kTrailerName:
      // field-name ":" with nothing between them (RFC 9112 §5.1).
      if (c == ':') {
        state_ = State::kTrailerValue;
      } else if (!is_tchar(c)) {
        return fail(Status::kBadRequest);
      }
      return true;
    case State::kTrailerValue:
      if (c == '\r') {
        state_ = State::kTrailerLf;
      } else if (!is_field_char(c)) {
        return fail(Status::kBadRequest);
      }
      return true;
    case State::kTrailerLf:
      if (c != '\n') return fail(Status::kBadRequest);
      state_ = State::kTrailerLineStart;
      return true;
    case State::kEndLf:
      if (c != '\n') return fail(Status::kBadRequest);
      state_ = State::kDone;
      return true;
    case State::kData:  // handled by feed()
    case State::kDone:
    case State::kError:
      break;
  }
  return fail(Status::kBadRequest);
}

// --- BodyReader ---------------------------------------------------------------------------------

BodyReader::BodyReader(BodyFraming framing, const BodyLimits& limits)
    : kind_(framing.kind),
      remaining_(framing.kind == BodyKind::kLength ? framing.length : 0),
      chunked_(limits) {
  // RFC 9110 §15.5.14: refuse a body known to be too large before reading any of it.
  if (remaining_ > limits.max_body_bytes) length_error_ = Status::kContentTooLarge;
}

BodyReader::Step BodyReader::advance(std::string_view input) {
  Step step;
  switch (kind_) {
    case BodyKind::kChunked:
      return chunked_.feed(input);
    case BodyKind::kLength:
      step.error = length_error_;
      if (length_error_ != Status::kOk) break;
      step.consumed = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, input.size()));
      step.data = input.substr(0, step.consumed);
      remaining_ -= step.consumed;
      step.done = remaining_ == 0;
      break;
    case BodyKind::kNone:
      step.done = true;
      break;
  }
  return step;
}

bool BodyReader::done() const {
  switch (kind_) {
    case BodyKind::kChunked:
      return chunked_.done();
    case BodyKind::kLength:
      return length_error_ == Status::kOk && remaining_ == 0;
    case BodyKind::kNone:
      break;
  }
  return true;
}

Status BodyReader::error() const {
  return kind_ == BodyKind::kChunked ? chunked_.error() : length_error_;
}

// --- Expect -------------------------------------------------------------------------------------

Expectation expectation(const Request& request) {
  // RFC 9110 §10.1.1: a server MUST ignore a 100-continue expectation from an HTTP/1.0 client.
  if (request.version_major < 1 || (request.version_major == 1 && request.version_minor < 1)) {
    return Expectation::kNone;
  }
  bool continue_expected = false;
  for (const Header& header : request.headers()) {
    if (!iequals(header.name, "Expect")) continue;
    // Expect = #expectation (RFC 9110 §5.6.1): empty elements are allowed and skipped.
    std::string_view list = header.value;
    while (!list.empty()) {
      const std::size_t comma = list.find(',');
      const std::string_view element = trim_ows(list.substr(0, comma));
      if (iequals(element, "100-continue")) {
        continue_expected = true;
      } else if (!element.empty()) {
        return Expectation::kUnsupported;
      }
      if (comma == std::string_view::npos) break;
      list.remove_prefix(comma + 1);
    }
  }
  return continue_expected ? Expectation::kContinue : Expectation::kNone;
}

}  // namespace hybrid::http
