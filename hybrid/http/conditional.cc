#include "hybrid/http/conditional.h"

#include <algorithm>
#include <array>
#include <cstdint>

#include "hybrid/http/http_date.h"
#include "hybrid/http/syntax.h"

namespace hybrid::http {
namespace {

// etagc = %x21 / %x23-7E / obs-text (RFC 9110 §8.8.3): visible ASCII except DQUOTE, plus 0x80-FF.
constexpr bool is_etagc(char c) {
  const auto byte = static_cast<unsigned char>(c);
  return byte == 0x21 || (byte >= 0x23 && byte <= 0x7E) || byte >= 0x80;
}

// Lower-case hex without leading zeros ("0" for zero); returns the digits written (1..16).
std::size_t write_hex(std::uint64_t value, char* out) {
  constexpr char kDigits[] = "0123456789abcdef";
  char reversed[16];
  std::size_t count = 0;
  do {
    reversed[count++] = kDigits[value & 0xF];
    value >>= 4;
  } while (value != 0);
  std::reverse_copy(reversed, reversed + count, out);
  return count;
}

struct EntityTag {
  bool weak = false;
  std::string_view opaque;  // with its quotes
};

// Consumes one entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE from the front of `text`. The weak
// prefix is case-sensitive (%s"W/"), and nothing but etagc may stand between the quotes: no
// spaces, no backslash escapes (RFC 9110 §8.8.3 is not a quoted-string).
std::optional<EntityTag> take_entity_tag(std::string_view& text) {
  EntityTag tag;
  std::string_view rest = text;
  if (rest.starts_with("W/")) {
    tag.weak = true;
    rest.remove_prefix(2);
  }
  if (rest.empty() || rest.front() != '"') return std::nullopt;
  std::size_t end = 1;
  while (end < rest.size() && rest[end] != '"') {
    if (!is_etagc(rest[end])) return std::nullopt;
    ++end;
  }
  if (end == rest.size()) return std::nullopt;  // no closing quote
  tag.opaque = rest.substr(0, end + 1);
  text = rest.substr(end + 1);
  return tag;
}

std::optional<EntityTag> parse_entity_tag(std::string_view text) {
  std::optional<EntityTag> tag = take_entity_tag(text);
  if (!text.empty()) return std::nullopt;
  return tag;
}

// RFC 9110 §8.8.3.2: weak comparison matches equal opaque-tags whatever their W/; strong
// comparison matches them only when neither is weak.
bool tags_match(const EntityTag& a, const EntityTag& b, bool weak_comparison) {
  if (!weak_comparison && (a.weak || b.weak)) return false;
  return a.opaque == b.opaque;
}

// Matches one If-Match / If-None-Match list that may arrive over several field lines: RFC 9110
// §5.3 makes "If-Match: a" + "If-Match: b" the same as "If-Match: a, b", so the lines are fed in
// order and judged as one list.
class ListMatcher {
 public:
  ListMatcher(std::string_view etag, bool weak_comparison) : weak_comparison_(weak_comparison) {
    // A plain member plus a flag, not std::optional: GCC 12 at -O2 warns (maybe-uninitialized)
    // through the optional's storage.
    if (std::optional<EntityTag> parsed = parse_entity_tag(etag)) {
      ours_ = *parsed;
      have_ours_ = true;
    }
  }

  void add_line(std::string_view line) {
    line = trim_ows(line);
    if (line == "*") {
      if (star_) malformed_ = true;  // "*, *" is not the grammar
      star_ = true;
      return;
    }
    while (!malformed_) {
      // Empty elements ("a, ,b", a leading or trailing comma) are allowed (§5.6.1).
      while (!line.empty() && (is_ows(line.front()) || line.front() == ',')) line.remove_prefix(1);
      if (line.empty()) return;
      const std::optional<EntityTag> tag = take_entity_tag(line);
      if (!tag) {
        malformed_ = true;
        return;
      }
      ++tags_;
      if (have_ours_ && tags_match(*tag, ours_, weak_comparison_)) matched_ = true;
      line = trim_ows(line);
      if (!line.empty() && line.front() != ',') malformed_ = true;  // e.g. "\"a\" \"b\""
    }
  }

  bool matches() const {
    if (malformed_) return false;
    if (star_) return tags_ == 0;  // "*" must be the whole field value
    return matched_;
  }

 private:
  EntityTag ours_{};
  bool have_ours_ = false;
  bool weak_comparison_;
  bool star_ = false;
  bool matched_ = false;
  bool malformed_ = false;
  std::size_t tags_ = 0;
};

bool header_list_matches(const Request& request, std::string_view name, std::string_view etag,
                         bool weak_comparison) {
  ListMatcher matcher(etag, weak_comparison);
  for (const Header& header : request.headers()) {
    if (iequals(header.name, name)) matcher.add_line(header.value);
  }
  return matcher.matches();
}

// The date of a singleton date field, or nullopt when it is absent, invalid or repeated: two
// lines combine into "date, date", which is no HTTP-date, and §13.1.3 says to ignore a value with
// more than one member.
std::optional<std::time_t> single_date(const Request& request, std::string_view name) {
  std::optional<std::string_view> value;
  for (const Header& header : request.headers()) {
    if (!iequals(header.name, name)) continue;
    if (value) return std::nullopt;
    value = header.value;
  }
  if (!value) return std::nullopt;
  return parse_http_date(*value);
}

}  // namespace

std::size_t format_etag(const struct stat& st, std::string_view coding_suffix,
                        std::span<char> out) {
  if (!std::all_of(coding_suffix.begin(), coding_suffix.end(), is_etagc)) return 0;
  // Unsigned arithmetic: a pre-1970 or far-future mtime wraps instead of overflowing, and the tag
  // only has to be stable and distinct, not readable.
  const std::uint64_t mtime_ns = static_cast<std::uint64_t>(st.st_mtim.tv_sec) * 1'000'000'000U +
                                 static_cast<std::uint64_t>(st.st_mtim.tv_nsec);
  std::array<char, 52> head;  // '"' + 3 × 16 hex digits + 2 × '-' + room to spare
  std::size_t length = 0;
  head[length++] = '"';
  length += write_hex(static_cast<std::uint64_t>(st.st_ino), head.data() + length);
  head[length++] = '-';
  length += write_hex(static_cast<std::uint64_t>(st.st_size), head.data() + length);
  head[length++] = '-';
  length += write_hex(mtime_ns, head.data() + length);

  const std::size_t total = length + coding_suffix.size() + 1;
  if (total > out.size()) return 0;
  char* p = std::copy_n(head.data(), length, out.data());
  p = std::copy(coding_suffix.begin(), coding_suffix.end(), p);
  *p = '"';
  return total;
}

std::optional<std::time_t> usable_last_modified(const struct stat& st) {
  if (st.st_mtim.tv_sec == 0 || st.st_mtim.tv_sec == 1) return std::nullopt;
  return st.st_mtim.tv_sec;
}

Precondition evaluate_preconditions(const Request& request, std::string_view etag,
                                    std::optional<std::time_t> last_modified) {
  bool get_or_head = false;
  switch (request.method) {
    case Method::kConnect:
    case Method::kOptions:
    case Method::kTrace:
      return Precondition::kProceed;  // §13.2.1: no selected representation to test
    case Method::kGet:
    case Method::kHead:
      get_or_head = true;
      break;
    default:
      break;
  }

  // Step 1: If-Match, strong comparison (§13.1.1). Step 2 only without it: the entity-tag is the
  // more accurate validator, so If-Unmodified-Since is then ignored (§13.1.4).
  if (request.count_headers("If-Match") > 0) {
    if (!header_list_matches(request, "If-Match", etag, /*weak_comparison=*/false)) {
      return Precondition::kPreconditionFailed;
    }
  } else if (last_modified) {
    // §13.1.4: ignored if invalid or if the representation has no modification date.
    const std::optional<std::time_t> since = single_date(request, "If-Unmodified-Since");
    if (since && *last_modified > *since) return Precondition::kPreconditionFailed;
  }

  // Step 3: If-None-Match, weak comparison (§13.1.2). Step 4 only without it (§13.1.3: a recipient
  // MUST ignore If-Modified-Since when If-None-Match is present, even a malformed one).
  if (request.count_headers("If-None-Match") > 0) {
    if (header_list_matches(request, "If-None-Match", etag, /*weak_comparison=*/true)) {
      return get_or_head ? Precondition::kNotModified : Precondition::kPreconditionFailed;
    }
  } else if (get_or_head && last_modified) {
    const std::optional<std::time_t> since = single_date(request, "If-Modified-Since");
    if (since && *last_modified <= *since) return Precondition::kNotModified;
  }
  return Precondition::kProceed;
}

bool etag_list_matches(std::string_view list, std::string_view etag, bool weak_comparison) {
  ListMatcher matcher(etag, weak_comparison);
  matcher.add_line(list);
  return matcher.matches();
}

}  // namespace hybrid::http
