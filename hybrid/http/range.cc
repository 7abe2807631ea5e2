#include "hybrid/http/range.h"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <limits>

#include "hybrid/http/http_date.h"
#include "hybrid/http/request.h"
#include "hybrid/http/syntax.h"

namespace hybrid::http {
namespace {

constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();

struct Number {
  std::uint64_t value = 0;
  bool overflow = false;
};

// 1*DIGIT, the whole of `digits`; nullopt if empty or not all digits. Overflow saturates and is
// reported, so the caller decides what a huge number means.
constexpr std::optional<Number> parse_number(std::string_view digits) {
  if (digits.empty()) return std::nullopt;
  Number number;
  for (char c : digits) {
    if (!is_digit(c)) return std::nullopt;
    const auto digit = static_cast<std::uint64_t>(c - '0');
    if (number.value > (kMax - digit) / 10) {
      number.overflow = true;
      number.value = kMax;
    } else if (!number.overflow) {
      number.value = number.value * 10 + digit;
    }
  }
  return number;
}

// One range-spec as written, before it meets the representation's size.
struct Spec {
  bool suffix = false;
  std::uint64_t first = 0;    // int-range first-pos
  std::uint64_t last = kMax;  // int-range last-pos (kMax when absent or huge), or suffix-length
};

std::optional<Spec> parse_spec(std::string_view spec) {
  const std::size_t dash = spec.find('-');
  if (dash == std::string_view::npos) return std::nullopt;  // other-range
  if (dash == 0) {
    // suffix-range = "-" suffix-length; a huge length saturates to "the whole representation".
    const std::optional<Number> length = parse_number(spec.substr(1));
    if (!length) return std::nullopt;
    return Spec{.suffix = true, .first = 0, .last = length->value};
  }
  // A first-pos beyond 64 bits cannot be a position in any file; rather than guess, ignore Range.
  const std::optional<Number> first = parse_number(spec.substr(0, dash));
  if (!first || first->overflow) return std::nullopt;
  Spec result{.suffix = false, .first = first->value, .last = kMax};
  const std::string_view last_digits = spec.substr(dash + 1);
  if (!last_digits.empty()) {
    const std::optional<Number> last = parse_number(last_digits);
    if (!last) return std::nullopt;
    // RFC 9110 §14.1.1: an int-range with last-pos < first-pos is invalid.
    if (last->value < first->value) return std::nullopt;
    result.last = last->value;  // saturated when huge: clamped to the end below
  }
  return result;
}

// The satisfiable part of a spec for a representation of `size` bytes (§14.1.1), if any.
std::optional<ByteRange> resolve(const Spec& spec, std::uint64_t size) {
  // Zero bytes cannot be described by "bytes first-last/0", so nothing is satisfiable.
  if (size == 0) return std::nullopt;
  if (spec.suffix) {
    if (spec.last == 0) return std::nullopt;
    return ByteRange{.first = spec.last >= size ? 0 : size - spec.last, .last = size - 1};
  }
  if (spec.first >= size) return std::nullopt;
  return ByteRange{.first = spec.first, .last = std::min(spec.last, size - 1)};
}

// Boundaries go unquoted into Content-Type, so they are limited to characters that are both
// RFC 2046 bchars and RFC 9110 tchars.
constexpr bool is_boundary_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '\'' || c == '+' ||
         c == '_' || c == '.' || c == '-';
}

bool valid_boundary(std::string_view boundary) {
  return !boundary.empty() && boundary.size() <= kMaxBoundaryLength &&
         std::all_of(boundary.begin(), boundary.end(), is_boundary_char);
}

// RFC 9110 §5.5: CR, LF and NUL would end or split the header line (header injection).
bool valid_field_value(std::string_view value) {
  return value.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

// etagc = %x21 / %x23-7E / obs-text (RFC 9110 §8.8.3).
bool is_strong_entity_tag(std::string_view tag) {
  if (tag.size() < 2 || tag.front() != '"' || tag.back() != '"') return false;
  return std::all_of(tag.begin() + 1, tag.end() - 1, [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte == 0x21 || (byte >= 0x23 && byte != 0x7f);
  });
}

constexpr std::size_t decimal_digits(std::uint64_t value) {
  std::size_t digits = 1;
  while (value >= 10) {
    value /= 10;
    ++digits;
  }
  return digits;
}

// Appends to a caller's buffer; once something does not fit, everything after is dropped and
// finish() reports 0.
class Appender {
 public:
  explicit Appender(std::span<char> out) : out_(out) {}

  Appender& text(std::string_view bytes) {
    if (!ok_ || out_.size() - size_ < bytes.size()) {
      ok_ = false;
      return *this;
    }
    if (!bytes.empty()) std::memcpy(out_.data() + size_, bytes.data(), bytes.size());
    size_ += bytes.size();
    return *this;
  }

  Appender& number(std::uint64_t value) {
    std::array<char, 20> digits;
    const auto [end, ec] = std::to_chars(digits.data(), digits.data() + digits.size(), value);
    return text(std::string_view(digits.data(), static_cast<std::size_t>(end - digits.data())));
  }

  // "bytes first-last/size" (RFC 9110 §14.4); content_range_length() must agree.
  Appender& content_range(ByteRange range, std::uint64_t size) {
    return text("bytes ").number(range.first).text("-").number(range.last).text("/").number(size);
  }

  std::size_t finish() const { return ok_ ? size_ : 0; }

 private:
  std::span<char> out_;
  std::size_t size_ = 0;
  bool ok_ = true;
};

constexpr std::string_view kContentTypePrefix = "Content-Type: ";
constexpr std::string_view kContentRangePrefix = "Content-Range: ";

constexpr std::size_t content_range_length(ByteRange range, std::uint64_t size) {
  return 6 + decimal_digits(range.first) + 1 + decimal_digits(range.last) + 1 +
         decimal_digits(size);
}

// Must agree byte for byte with format_part_head; the tests and the fuzzer check that it does.
constexpr std::size_t part_head_length(std::size_t boundary_size, std::size_t content_type_size,
                                       ByteRange range, std::uint64_t size, bool first) {
  std::size_t length = (first ? 0 : 2) + 2 + boundary_size + 2;
  if (content_type_size != 0) length += kContentTypePrefix.size() + content_type_size + 2;
  return length + kContentRangePrefix.size() + content_range_length(range, size) + 2 + 2;
}

}  // namespace

RangeSet parse_range(std::string_view header_value, std::uint64_t size) {
  const RangeSet ignore;
  const std::size_t equals = header_value.find('=');
  if (equals == std::string_view::npos || !iequals(header_value.substr(0, equals), "bytes")) {
    return ignore;
  }

  // Pass 1, syntax: every spec must parse before any is served, and a request with more specs
  // than kMaxRanges is refused before it costs more than one scan.
  std::array<Spec, kMaxRanges> specs;
  std::size_t spec_count = 0;
  std::string_view list = header_value.substr(equals + 1);
  while (true) {
    const std::size_t comma = list.find(',');
    const std::string_view element = trim_ows(list.substr(0, comma));
    if (!element.empty()) {
      if (spec_count == kMaxRanges) return ignore;  // CVE-2011-3192: too many ranges
      const std::optional<Spec> spec = parse_spec(element);
      if (!spec) return ignore;
      specs[spec_count++] = *spec;
    }
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  if (spec_count == 0) return ignore;  // 1#range-spec: "bytes=" and "bytes=," are malformed

  // Pass 2, against the size: drop what is unsatisfiable, clamp the rest.
  RangeSet result;
  for (const Spec& spec : std::span(specs.data(), spec_count)) {
    const std::optional<ByteRange> range = resolve(spec, size);
    if (!range) continue;
    // CVE-2011-3192 / CVE-2017-7529: overlapping, adjacent or unordered ranges would let a small
    // request make a response many times the file's size. Requiring a gap of at least one byte
    // after the previous range (prev.last + 1 < first; no overflow as prev.last < size) rejects
    // all three, and bounds the sum of the lengths by size.
    if (result.count != 0 && range->first <= result.ranges[result.count - 1].last + 1) {
      return ignore;
    }
    result.ranges[result.count++] = *range;
  }
  result.outcome = result.count == 0 ? RangeOutcome::kUnsatisfiable : RangeOutcome::kSatisfiable;
  return result;
}

bool if_range_allows_range(std::string_view if_range, std::string_view strong_etag,
                           std::optional<std::time_t> last_modified) {
  // RFC 9110 §13.1.5: If-Range needs a strong validator. A weak tag can never match.
  if (if_range.starts_with("W/")) return false;
  if (if_range.starts_with('"')) {
    // strong_etag cannot be weak if it equals a valid strong tag, and an empty one never matches.
    return is_strong_entity_tag(if_range) && if_range == strong_etag;
  }
  const std::optional<std::time_t> date = parse_http_date(if_range);
  return date.has_value() && last_modified.has_value() && *date == *last_modified;
}

std::size_t format_content_range(std::span<char> out, ByteRange range, std::uint64_t size) {
  return Appender(out).content_range(range, size).finish();
}

std::size_t format_unsatisfied_range(std::span<char> out, std::uint64_t size) {
  return Appender(out).text("bytes */").number(size).finish();
}

std::size_t format_part_head(std::span<char> out, std::string_view boundary,
                             std::string_view content_type, ByteRange range, std::uint64_t size,
                             bool first) {
  if (!valid_boundary(boundary) || !valid_field_value(content_type)) return 0;
  Appender appender(out);
  appender.text(first ? "--" : "\r\n--").text(boundary).text("\r\n");
  if (!content_type.empty()) appender.text(kContentTypePrefix).text(content_type).text("\r\n");
  appender.text(kContentRangePrefix).content_range(range, size).text("\r\n\r\n");
  return appender.finish();
}

std::size_t format_multipart_tail(std::span<char> out, std::string_view boundary) {
  if (!valid_boundary(boundary)) return 0;
  return Appender(out).text("\r\n--").text(boundary).text("--\r\n").finish();
}

std::uint64_t multipart_length(const RangeSet& ranges, std::string_view boundary,
                               std::string_view content_type, std::uint64_t size) {
  if (ranges.outcome != RangeOutcome::kSatisfiable || !valid_boundary(boundary) ||
      !valid_field_value(content_type)) {
    return 0;
  }
  std::uint64_t length = 0;
  bool first = true;
  for (const ByteRange& range : ranges.parts()) {
    length += part_head_length(boundary.size(), content_type.size(), range, size, first);
    length += range.length();
    first = false;
  }
  return length + 2 + 2 + boundary.size() + 2 + 2;  // "\r\n--" B "--\r\n"
}

std::size_t format_multipart_content_type(std::span<char> out, std::string_view boundary) {
  if (!valid_boundary(boundary)) return 0;
  return Appender(out).text("multipart/byteranges; boundary=").text(boundary).finish();
}

std::size_t make_boundary(std::span<char> out, std::uint64_t seed) {
  if (out.size() < kBoundaryLength) return 0;
  constexpr std::string_view kHex = "0123456789abcdef";
  std::size_t written = 0;
  for (int round = 0; round < 2; ++round) {
    // splitmix64 (Steele, Lea, Flood 2014): every output bit depends on every seed bit.
    seed += 0x9e3779b97f4a7c15;
    std::uint64_t z = seed;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
    z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
    z ^= z >> 31;
    for (int nibble = 0; nibble < 16; ++nibble) {
      out[written++] = kHex[z & 0xf];
      z >>= 4;
    }
  }
  return written;
}

}  // namespace hybrid::http
