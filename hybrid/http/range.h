// Range requests (RFC 9110 §14): parsing a Range header against a representation's size, the
// If-Range precondition, Content-Range values and multipart/byteranges framing. Pure functions
// over caller-owned buffers: no allocation, safe to call from any thread.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <ctime>
#include <optional>
#include <span>
#include <string_view>

namespace hybrid::http {

// An inclusive, satisfiable byte range: first <= last < the representation's size.
struct ByteRange {
  std::uint64_t first = 0;
  std::uint64_t last = 0;  // inclusive

  // Never overflows: last < size <= UINT64_MAX.
  constexpr std::uint64_t length() const { return last - first + 1; }

  friend constexpr bool operator==(const ByteRange&, const ByteRange&) = default;
};

// More range-specs than this and the header is ignored (Apache Killer, CVE-2011-3192).
inline constexpr std::size_t kMaxRanges = 16;

enum class RangeOutcome {
  kIgnore,         // serve the whole representation with 200, as if no Range were sent
  kSatisfiable,    // serve 206 with ranges[0..count)
  kUnsatisfiable,  // serve 416 with Content-Range: bytes */size
};

struct RangeSet {
  RangeOutcome outcome = RangeOutcome::kIgnore;
  std::array<ByteRange, kMaxRanges> ranges{};
  std::size_t count = 0;  // > 0 exactly when outcome is kSatisfiable

  std::span<const ByteRange> parts() const { return {ranges.data(), count}; }
};

// Parses a Range field value (OWS-trimmed, as Request::find_header gives it) against a
// representation of `size` bytes. The caller applies Range only to a GET that would otherwise be
// answered 200 (RFC 9110 §14.2), and only if if_range_allows_range() agrees when If-Range is sent.
//
// kIgnore (200, whole representation; §14.2 lets a server ignore Range):
//  - the unit is not "bytes" (case-insensitive, §14.1), or there is no '=';
//  - any range-spec is malformed: not "a-b", "a-" or "-n" with 1*DIGIT numbers, whitespace
//    inside a spec, "a-b" with b < a (§14.1.1: invalid), an "other-range", or no spec at all.
//    OWS around commas and empty list elements ("0-1,,2-3") are accepted (§5.6.1);
//  - a first-pos that does not fit in 64 bits. By contrast a last-pos or suffix-length that does
//    not fit saturates: "a-99999999999999999999" means "from a to the end" and
//    "-99999999999999999999" means the whole representation, which is what any such number means
//    for a real file (§14.1.3 asks recipients to anticipate large numerals);
//  - more than kMaxRanges range-specs, satisfiable or not;
//  - after clamping and dropping unsatisfiable specs, two ranges that overlap or are adjacent,
//    or that are not in ascending order. This is hybrid's defence against Apache Killer
//    (CVE-2011-3192) and nginx's CVE-2017-7529: §14.2 lets a server ignore or coalesce such
//    requests, and ignoring is the simplest answer that cannot amplify. Ascending, gapped ranges
//    inside [0, size) imply that the sum of their lengths is below size, so no response to a
//    Range request is ever larger than the plain 200.
// kUnsatisfiable (416): every spec is well-formed but none overlaps the representation: an
//   int-range with first-pos >= size, or a suffix "-0" (§14.1.1). With size 0 every range,
//   suffixes included, is unsatisfiable: a 206 cannot describe zero bytes in Content-Range.
// kSatisfiable (206): the remaining ranges, in request order, each last-pos clamped to size - 1
//   and each suffix "-n" resolved to the last min(n, size) bytes.
RangeSet parse_range(std::string_view header_value, std::uint64_t size);

// If-Range (RFC 9110 §13.1.5): true when the Range header may be honoured. `if_range` is the
// field value; `strong_etag` the representation's current entity-tag with its quotes ("\"x\""),
// empty if none; `last_modified` its modification time, if known.
//  - An entity-tag matches only by strong comparison: a weak tag (W/"x") never matches, nor does
//    anything when the server's own tag is empty or weak.
//  - An HTTP-date (parsed by parse_http_date) matches only when it equals last_modified exactly.
//    hybrid does not additionally check that Last-Modified is a strong validator (§8.8.2.2).
//  - Anything else (malformed) is false.
// False means: ignore Range and send the whole representation with 200.
bool if_range_allows_range(std::string_view if_range, std::string_view strong_etag,
                           std::optional<std::time_t> last_modified);

// "bytes " + three 20-digit numbers + '-' + '/'.
inline constexpr std::size_t kMaxContentRangeLength = 6 + 20 + 1 + 20 + 1 + 20;

// Content-Range value "bytes 0-99/1234" (§14.4). Returns the bytes written, 0 if `out` is too
// small (kMaxContentRangeLength always suffices).
std::size_t format_content_range(std::span<char> out, ByteRange range, std::uint64_t size);

// Content-Range value of a 416, "bytes */1234" (§14.4). Returns the bytes written, 0 if `out` is
// too small (kMaxContentRangeLength always suffices).
std::size_t format_unsatisfied_range(std::span<char> out, std::uint64_t size);

// ---- multipart/byteranges (RFC 9110 §14.6, RFC 2046 §5.1.1) ----------------------------------
//
// A response to several ranges is framed without copying file data: the caller writes a part
// head, then sends the range's bytes straight from the file (sendfile), and so on, then the tail.
// The layout has no preamble and no epilogue:
//
//   --B\r\n                                     first part: no leading CRLF
//   Content-Type: text/plain\r\n                only when the 200 would have had one (§14.6)
//   Content-Range: bytes 0-99/1234\r\n
//   \r\n
//   <100 bytes of the file>
//   \r\n--B\r\n                                 later parts: the CRLF before "--" belongs to the
//   ...                                         delimiter (RFC 2046), so it leads each later head
//   \r\n--B--\r\n                               tail: close-delimiter and a final CRLF
//
// A single range should get a plain 206 with Content-Range, never multipart (§14.6).
//
// Boundaries are 1..70 characters from [A-Za-z0-9'+_.-]: valid RFC 2046 bchars that are also
// token characters, so "boundary=B" needs no quoting in Content-Type. A part's content type must
// not contain CR, LF or NUL (header injection, RFC 9110 §5.5). Functions given anything else
// return 0.

inline constexpr std::size_t kMaxBoundaryLength = 70;

// The bytes a part head needs besides the content type's own length:
// "\r\n--" B "\r\nContent-Type: " "\r\nContent-Range: " value "\r\n\r\n".
inline constexpr std::size_t kPartHeadOverhead =
    4 + kMaxBoundaryLength + 16 + 17 + kMaxContentRangeLength + 4;

// Writes the head of one body part. `first` selects the layout of the first part (no leading
// CRLF). Returns the bytes written, 0 if `out` is too small (kPartHeadOverhead +
// content_type.size() always suffices) or the boundary or content type is invalid.
std::size_t format_part_head(std::span<char> out, std::string_view boundary,
                             std::string_view content_type, ByteRange range, std::uint64_t size,
                             bool first);

// Writes the close-delimiter "\r\n--B--\r\n". Returns the bytes written, 0 if `out` is too small
// (kMaxBoundaryLength + 8 always suffices) or the boundary is invalid.
std::size_t format_multipart_tail(std::span<char> out, std::string_view boundary);

// The exact length of the multipart body built from `ranges` (every part head, every range's
// bytes, the tail): the response's Content-Length. 0 unless ranges.outcome is kSatisfiable and
// the boundary and content type are valid. `size` is a file size (below 2^63), so the sum cannot
// overflow.
std::uint64_t multipart_length(const RangeSet& ranges, std::string_view boundary,
                               std::string_view content_type, std::uint64_t size);

// The response's Content-Type value, "multipart/byteranges; boundary=B". Returns the bytes
// written, 0 if `out` is too small (kMaxBoundaryLength + 31 always suffices) or the boundary is
// invalid.
std::size_t format_multipart_content_type(std::span<char> out, std::string_view boundary);

inline constexpr std::size_t kBoundaryLength = 32;

// Writes a boundary of kBoundaryLength lowercase hex digits derived from `seed` (two rounds of
// splitmix64). The boundary must not occur in the parts (RFC 2046 §5.1.1) and file bytes are not
// scanned, so callers pass an unpredictable seed (e.g. random_device output mixed with a
// counter); a client that cannot guess the seed cannot plant the boundary in a file. Returns the
// bytes written, 0 if `out` is smaller than kBoundaryLength.
std::size_t make_boundary(std::span<char> out, std::uint64_t seed);

}  // namespace hybrid::http
