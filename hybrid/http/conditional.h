// Validators and conditional requests (RFC 9110 §8.8, §13) as pure functions: a stat() result in,
// an ETag and Last-Modified out; a request's precondition headers in, a decision out. No
// allocation; every view argument is only read during the call.
#pragma once

#include <sys/stat.h>

#include <cstddef>
#include <ctime>
#include <optional>
#include <span>
#include <string_view>

#include "hybrid/http/request.h"

namespace hybrid::http {

// Room for any ETag format_etag() writes with a suffix of up to 12 bytes: two quotes, three
// 64-bit numbers in hex (at most 16 digits each) and two dashes take 52.
inline constexpr std::size_t kMaxEtagLength = 64;

// Writes a strong entity-tag (RFC 9110 §8.8.3) for the file `st` describes, quotes included:
//   "<inode>-<size>-<mtime in ns>[coding_suffix]"   (lower-case hex, no leading zeros)
// e.g. "\"1a2b-3c4-17f0e2d4a1b2c3d4-br\"". The modification time in nanoseconds changes on every
// write a filesystem with fine timestamps can see; inode and size catch a file replaced by rename
// within the same tick. A strong tag must differ between representations that differ in content,
// so a pre-compressed variant gets its coding as suffix ("-br", "-gz"; RFC 9110 §8.8.3.3), and
// an If-None-Match from a client holding the gzip variant never validates the identity one.
// Returns the bytes written, or 0 (and nothing is written) if `out` is too small or the suffix
// holds a byte that is not etagc (%x21 / %x23-7E / %x80-FF; a DQUOTE would end the tag).
std::size_t format_etag(const struct stat& st, std::string_view coding_suffix, std::span<char> out);

// The Last-Modified time to send (RFC 9110 §8.8.2), or nullopt when the file's mtime is 0 or 1:
// reproducible-build tools (Nix, some Debian packaging, `touch -d @1`) set those on purpose, and a
// Last-Modified of 1970 would let every cached copy validate forever.
std::optional<std::time_t> usable_last_modified(const struct stat& st);

enum class Precondition : unsigned char {
  kProceed,             // evaluate the request normally (200, 206, ...)
  kNotModified,         // answer 304 with the validators, no content
  kPreconditionFailed,  // answer 412
};

// Evaluates If-Match, If-Unmodified-Since, If-None-Match and If-Modified-Since in the order of
// RFC 9110 §13.2.2 (steps 1-4; If-Range, step 5, belongs to range handling) against the selected
// representation, whose entity-tag is `etag` (as written by format_etag(); empty if none) and whose
// modification time is `last_modified` (nullopt if unknown, e.g. from usable_last_modified()):
//  1. If-Match present and no strong match (a malformed list matches nothing)  → 412
//  2. else If-Unmodified-Since a valid date and last_modified > it             → 412
//  3. If-None-Match present and a weak match: GET/HEAD → 304, other methods    → 412
//  4. else (no If-None-Match) GET/HEAD, If-Modified-Since a valid date,
//     and last_modified <= it                                                  → 304
// An invalid or repeated date field is ignored (§13.1.3, §13.1.4), never an error; several
// If-Match or If-None-Match lines are one combined list (§5.3). "*" matches the representation.
// Methods that select no representation (CONNECT, OPTIONS, TRACE) always proceed (§13.2.1).
// Contract: call this only when the response without preconditions would be 2xx, i.e. a current
// representation exists (§13.2.1: a 404 stays 404 whatever If-Match says).
Precondition evaluate_preconditions(const Request& request, std::string_view etag,
                                    std::optional<std::time_t> last_modified);

// True when the If-Match / If-None-Match field value `list` ("*" / #entity-tag) matches `etag`.
// entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE (RFC 9110 §8.8.3); elements are separated by commas
// with optional whitespace, and empty elements are allowed (§5.6.1). Weak comparison ignores "W/"
// on both sides; strong comparison also requires both tags to be strong (§8.8.3.2). "*" alone
// matches any etag, even an empty one (a representation without a tag still exists), while no tag
// matches an empty or malformed `etag`. A malformed list (a bare token, a missing quote, "*" among
// tags, a lower-case "w/") matches nothing, even if an element before the error would have.
bool etag_list_matches(std::string_view list, std::string_view etag, bool weak_comparison);

}  // namespace hybrid::http
