// The parser walks the head line by line: a memchr for the line's CR bounds it, a table lookup
// per byte (per word for field values) validates it. A line without its CR yet is validated as far
// as it goes, so a bad byte is an error on the read that brings it, not when the head ends.
#include "hybrid/http/request_parser.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>

#include "hybrid/http/syntax.h"

namespace hybrid::http {
namespace {

// Byte classes, one bit each, so a validation loop is a single table lookup per byte.
enum CharClass : std::uint8_t {
  kTokenChar = 1,   // tchar (RFC 9110 §5.6.2): methods and field names
  kTargetChar = 2,  // VCHAR: request-target bytes (RFC 9112 §3.2); finer checks live in target.cc
  kValueChar = 4,   // HTAB / SP / VCHAR / obs-text (RFC 9110 §5.5); CTLs and DEL excluded
};

constexpr std::array<std::uint8_t, 256> make_char_classes() {
  std::array<std::uint8_t, 256> classes{};
  for (int c = 0x21; c <= 0x7e; ++c) classes[c] |= kTargetChar | kValueChar;
  for (int c = 0x80; c <= 0xff; ++c) classes[c] |= kValueChar;
  classes[' '] |= kValueChar;
  classes['\t'] |= kValueChar;
  for (int c = '0'; c <= '9'; ++c) classes[c] |= kTokenChar;
  for (int c = 'a'; c <= 'z'; ++c) classes[c] |= kTokenChar;
  for (int c = 'A'; c <= 'Z'; ++c) classes[c] |= kTokenChar;
  for (const char c : std::string_view("!#$%&'*+-.^_`|~")) {
    classes[static_cast<unsigned char>(c)] |= kTokenChar;
  }
  return classes;
}

constexpr std::array<std::uint8_t, 256> kCharClasses = make_char_classes();

// Index of the first byte at or after `i` that is not in `char_class` (s.size() if none).
inline std::size_t skip_class(std::string_view s, std::size_t i, std::uint8_t char_class) {
  while (i < s.size() && (kCharClasses[static_cast<unsigned char>(s[i])] & char_class) != 0) ++i;
  return i;
}

// Field values are most of a head's bytes (User-Agent, Accept, cookies), so they are checked a
// word at a time: true when none of the 8 bytes is below 0x20 or is DEL. The tests are the exact
// "some byte is less than n" / "some byte is zero" bit tricks; obs-text (>= 0x80) passes. HTAB is
// legal but fails here, which only sends its word through the byte table.
inline bool word_is_plain_value(std::uint64_t word) {
  constexpr std::uint64_t kOnes = 0x0101010101010101;
  constexpr std::uint64_t kHighBits = 0x8080808080808080;
  const std::uint64_t below_space = (word - kOnes * 0x20) & ~word & kHighBits;
  const std::uint64_t del = word ^ (kOnes * 0x7f);
  const std::uint64_t has_del = (del - kOnes) & ~del & kHighBits;
  return (below_space | has_del) == 0;
}

// skip_class(s, i, kValueChar), eight bytes per step where it can. Never reads past s.size().
inline std::size_t skip_value_bytes(std::string_view s, std::size_t i) {
  while (s.size() - i >= sizeof(std::uint64_t)) {
    std::uint64_t word;
    std::memcpy(&word, s.data() + i, sizeof word);
    if (!word_is_plain_value(word)) {
      const std::size_t stop = skip_class(s.substr(0, i + sizeof word), i, kValueChar);
      if (stop < i + sizeof word) return stop;
    }
    i += sizeof word;
  }
  return skip_class(s, i, kValueChar);
}

// kPartial: `line` is valid so far but the bytes that would complete it have not arrived.
enum class LineResult : unsigned char { kValid, kPartial, kBad };

// Validates a request line. `complete` says whether `line` is the whole line (its CR was found)
// or only the bytes received so far. On kValid the fields of `request` are set.
LineResult parse_request_line(std::string_view line, bool complete, Request& request) {
  const LineResult short_line = complete ? LineResult::kBad : LineResult::kPartial;

  const std::size_t method_end = skip_class(line, 0, kTokenChar);
  if (method_end == line.size()) return short_line;
  if (method_end == 0 || line[method_end] != ' ') return LineResult::kBad;

  // RFC 9112 §3.2: no whitespace or control byte may appear in the target, and a server must not
  // guess where a target with a space ends (§3: an invalid request-line is a 400).
  const std::size_t target_begin = method_end + 1;
  const std::size_t target_end = skip_class(line, target_begin, kTargetChar);
  if (target_end == line.size()) return short_line;
  if (target_end == target_begin || line[target_end] != ' ') return LineResult::kBad;

  // HTTP-version = "HTTP/" DIGIT "." DIGIT (RFC 9112 §2.3); '0' in the shape stands for any digit.
  constexpr std::string_view kShape = "HTTP/0.0";
  const std::string_view version = line.substr(target_end + 1);
  const std::size_t checkable = std::min(version.size(), kShape.size());
  for (std::size_t i = 0; i < checkable; ++i) {
    const bool ok = kShape[i] == '0' ? is_digit(version[i]) : version[i] == kShape[i];
    if (!ok) return LineResult::kBad;
  }
  if (version.size() > kShape.size()) return LineResult::kBad;  // "HTTP/1.10", trailing bytes
  if (version.size() < kShape.size() || !complete) return short_line;

  request.method_token = line.substr(0, method_end);
  request.method = method_from_token(request.method_token);
  request.target = line.substr(target_begin, target_end - target_begin);
  request.version_major = version[5] - '0';
  request.version_minor = version[7] - '0';
  return LineResult::kValid;
}

// Validates a field line (RFC 9112 §5): field-name ":" OWS field-value OWS. On kValid `header`
// holds the name and the trimmed value.
LineResult parse_header_line(std::string_view line, bool complete, Header& header) {
  const LineResult short_line = complete ? LineResult::kBad : LineResult::kPartial;

  // An empty name also catches obs-fold (a line starting with SP/HTAB), which RFC 9112 §5.2 lets
  // a server reject; whitespace before the colon must be rejected (§5.1, a smuggling vector).
  const std::size_t name_end = skip_class(line, 0, kTokenChar);
  if (name_end == line.size()) return short_line;
  if (name_end == 0 || line[name_end] != ':') return LineResult::kBad;

  std::size_t value_begin = name_end + 1;
  while (value_begin < line.size() && is_ows(line[value_begin])) ++value_begin;
  // NUL, CR, LF and other CTLs in a value are rejected (RFC 9110 §5.5), never passed on.
  if (skip_value_bytes(line, value_begin) != line.size()) return LineResult::kBad;
  if (!complete) return LineResult::kPartial;

  std::size_t value_end = line.size();
  while (value_end > value_begin && is_ows(line[value_end - 1])) --value_end;
  header.name = line.substr(0, name_end);
  header.value = line.substr(value_begin, value_end - value_begin);
  return LineResult::kValid;
}

// Offset just past the leading empty lines that are ignored (RFC 9112 §2.2).
std::size_t skip_leading_empty_lines(std::string_view buffer) {
  std::size_t pos = 0;
  for (std::size_t i = 0; i < kMaxLeadingEmptyLines; ++i) {
    if (buffer.size() - pos < 2 || buffer[pos] != '\r' || buffer[pos + 1] != '\n') break;
    pos += 2;
  }
  return pos;
}

constexpr ParseResult incomplete() {
  return {ParseStatus::kIncomplete, 0, Status::kBadRequest};
}

constexpr ParseResult error(Status status) {
  return {ParseStatus::kError, 0, status};
}

// Parses a head that must end within `head` (already cut to max_head_bytes by the caller).
ParseResult parse_head(std::string_view head, Request& request, std::size_t max_request_line,
                       std::size_t max_headers) {
  std::size_t pos = skip_leading_empty_lines(head);
  // A lone CR at the end may begin one more skippable empty line.
  if (pos < 2 * kMaxLeadingEmptyLines && head.size() - pos == 1 && head[pos] == '\r') {
    return incomplete();
  }

  // Only max_request_line + 1 bytes are examined: if they hold no CR, the line is too long.
  const std::size_t room = head.size() - pos;
  const std::string_view window =
      head.substr(pos, max_request_line < room ? max_request_line + 1 : room);
  const std::size_t line_end = window.find('\r');
  if (line_end == std::string_view::npos) {
    if (parse_request_line(window, false, request) == LineResult::kBad) {
      return error(Status::kBadRequest);
    }
    return window.size() > max_request_line ? error(Status::kUriTooLong) : incomplete();
  }
  if (parse_request_line(window.substr(0, line_end), true, request) != LineResult::kValid) {
    return error(Status::kBadRequest);
  }
  pos += line_end + 1;
  if (pos == head.size()) return incomplete();
  if (head[pos] != '\n') return error(Status::kBadRequest);  // bare CR (RFC 9112 §2.2)
  ++pos;
  // HTTP/2.0 and later are not spoken over this framing (RFC 9110 §2.5); minor versions of 1 are
  // left to check_request(), which is where the policy lives.
  if (request.version_major != 1) return error(Status::kHttpVersionNotSupported);

  std::size_t count = 0;
  for (;;) {
    if (pos == head.size()) return incomplete();
    const std::string_view rest = head.substr(pos);
    const std::size_t cr = rest.find('\r');
    if (cr == 0) {  // the empty line that ends the head
      if (rest.size() == 1) return incomplete();
      if (rest[1] != '\n') return error(Status::kBadRequest);
      request.header_count = count;
      return {ParseStatus::kComplete, pos + 2, Status::kBadRequest};
    }
    // The slots are fixed (picohttpparser's model); one line more is 431 (RFC 6585 §5).
    if (count >= max_headers) {
      return error(Status::kRequestHeaderFieldsTooLarge);
    }
    Header& header = request.header_slots[count];
    if (cr == std::string_view::npos) {
      return parse_header_line(rest, false, header) == LineResult::kBad ? error(Status::kBadRequest)
                                                                        : incomplete();
    }
    if (parse_header_line(rest.substr(0, cr), true, header) != LineResult::kValid) {
      return error(Status::kBadRequest);
    }
    pos += cr + 1;
    if (pos == head.size()) return incomplete();
    if (head[pos] != '\n') return error(Status::kBadRequest);
    ++pos;
    ++count;
  }
}

}  // namespace

ParseResult parse_request(std::string_view buffer, Request& request, const ParseLimits& limits) {
  request.header_count = 0;
  // Parsing only the first max_head_bytes bounds the work per call; a head that does not end
  // within them is too large however it continues.
  const bool over_limit = buffer.size() > limits.max_head_bytes;
  const ParseResult result =
      parse_head(over_limit ? buffer.substr(0, limits.max_head_bytes) : buffer, request,
                 limits.max_request_line, std::min(limits.max_headers, kMaxHeaders));
  if (result.status == ParseStatus::kIncomplete && over_limit) {
    return error(Status::kRequestHeaderFieldsTooLarge);
  }
  return result;
}

std::size_t find_head_end(std::string_view buffer, std::size_t scanned) {
  // Earlier calls saw a prefix of this buffer: a terminator wholly inside it would have been
  // found, so only one that straddles its end (starting up to 3 bytes back) can be new. Skipping
  // the leading empty lines again is cheap (a bounded few bytes) and keeps "\r\n\r\n" at the very
  // start from looking like an end.
  const std::size_t start = skip_leading_empty_lines(buffer);
  const std::size_t from = std::max(start, scanned >= 3 ? scanned - 3 : 0);
  const std::size_t found = buffer.find("\r\n\r\n", from);
  return found == std::string_view::npos ? std::string_view::npos : found + 4;
}

}  // namespace hybrid::http
