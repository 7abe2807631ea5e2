// Directory listings (what nginx calls autoindex) rendered from entries someone else has read: an
// HTML page and nginx's `autoindex_format json`. No file I/O here; hybrid/server reads directories.
#pragma once

#include <cstddef>
#include <cstdint>
#include <ctime>
#include <string>
#include <string_view>
#include <vector>

namespace hybrid::http {

struct ListingEntry {
  std::string name;  // one path segment as the file system has it (any bytes but '/' and NUL)
  bool directory = false;
  std::uint64_t size = 0;  // bytes; files only
  std::time_t mtime = 0;   // UTC
};

struct DirectoryListing {
  // The decoded request path, starting and ending with '/' ("/", "/docs/"). Shown, never linked.
  std::string path;
  std::vector<ListingEntry> entries;  // in the order rendered (see sort_listing)
  std::uint64_t omitted = 0;          // entries left out by a cap, noted after the table
  bool omitted_at_least = false;      // counting them stopped too: "at least N more"
};

// Directories first, then files, each group by name compared bytewise (memcmp order, so
// "B" < "a" < "é"): stable, locale-free, and the same on every request.
void sort_listing(std::vector<ListingEntry>& entries);

// The HTML page: "Index of <path>", a "../" row unless path is "/", then one row per entry with a
// relative link (percent_encode_segment), the name HTML-escaped (directories end in '/'), the
// modification time as "YYYY-MM-DD HH:MM:SS" UTC, and the size in binary units with the exact
// byte count in a title attribute ("-" for directories). Bytes that are not UTF-8 show as U+FFFD;
// the link still carries the real bytes.
std::string render_listing_html(const DirectoryListing& listing);

// nginx's JSON format: [{"name":"a","type":"directory","mtime":"<IMF-fixdate>"},
// {"name":"b","type":"file","mtime":"...","size":12}] — like nginx, only files carry a size.
// Names are JSON strings (append_json_string); `omitted` is not in the body (callers say it in a
// header) so the array stays what nginx clients parse.
std::string render_listing_json(const DirectoryListing& listing);

// Escaping, exposed for tests and reuse. Each appends to `out`.
//
// Text and attribute values: & < > " ' become entities; bytes that are not well-formed UTF-8 (RFC
// 3629: no overlong forms, surrogates or code points past U+10FFFF) become U+FFFD, one per byte.
void append_html_escaped(std::string_view text, std::string& out);
// RFC 3986 §2.3: every byte but the unreserved ALPHA / DIGIT / - . _ ~ becomes %XX (upper-case
// hex), so a name with '#', '?', '%', ':', ' ' or any non-ASCII byte links to itself.
void append_percent_encoded_segment(std::string_view segment, std::string& out);
// A JSON string with its quotes (RFC 8259 §7): '"' and '\' escaped, control bytes as \u00XX, and
// bytes that are not well-formed UTF-8 replaced by U+FFFD, one per byte, since a JSON text must
// be Unicode — such a name is shown, but cannot be fetched from its JSON name alone.
void append_json_string(std::string_view text, std::string& out);

}  // namespace hybrid::http
