#include "hybrid/http/directory_listing.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <ctime>

#include "hybrid/http/http_date.h"

namespace hybrid::http {
namespace {

constexpr std::string_view kReplacementCharacter = "\xef\xbf\xbd";  // U+FFFD in UTF-8

// The length of the well-formed UTF-8 sequence at the start of `text` (RFC 3629 §4), 0 if none.
std::size_t utf8_sequence_length(std::string_view text) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char lead = byte(0);
  if (lead < 0x80) return 1;
  std::size_t length = 0;
  unsigned char low = 0x80;   // the second byte's range, narrowed to refuse overlong forms,
  unsigned char high = 0xbf;  // surrogates and code points past U+10FFFF
  if (lead >= 0xc2 && lead <= 0xdf) {
    length = 2;
  } else if (lead >= 0xe0 && lead <= 0xef) {
    length = 3;
    if (lead == 0xe0) low = 0xa0;
    if (lead == 0xed) high = 0x9f;
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    length = 4;
    if (lead == 0xf0) low = 0x90;
    if (lead == 0xf4) high = 0x8f;
  } else {
    return 0;
  }
  if (text.size() < length || byte(1) < low || byte(1) > high) return 0;
  for (std::size_t i = 2; i < length; ++i) {
    if (byte(i) < 0x80 || byte(i) > 0xbf) return 0;
  }
  return length;
}

// Calls `ascii(c)` for each ASCII byte and appends multi-byte sequences as they are, or U+FFFD
// for each byte that starts none.
template <typename Ascii>
void append_unicode(std::string_view text, std::string& out, Ascii ascii) {
  while (!text.empty()) {
    const std::size_t length = utf8_sequence_length(text);
    if (length == 1) {
      ascii(text.front());
    } else if (length == 0) {
      out.append(kReplacementCharacter);
    } else {
      out.append(text.substr(0, length));
    }
    text.remove_prefix(std::max<std::size_t>(length, 1));
  }
}

constexpr char kHexDigits[] = "0123456789ABCDEF";

bool is_unreserved(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

// "2023-11-14 22:13:20"
void append_iso_time(std::time_t t, std::string& out) {
  std::tm utc{};
  std::array<char, 32> text{};
  if (::gmtime_r(&t, &utc) == nullptr) return;
  out.append(text.data(), std::strftime(text.data(), text.size(), "%Y-%m-%d %H:%M:%S", &utc));
}

// "999 B", "1.0 KiB", "12.3 MiB": what a reader compares at a glance; the title has the bytes.
void append_human_size(std::uint64_t size, std::string& out) {
  constexpr std::array<const char*, 6> kUnits = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  std::array<char, 32> text{};
  int length = 0;
  if (size < 1024) {
    length =
        std::snprintf(text.data(), text.size(), "%llu B", static_cast<unsigned long long>(size));
  } else {
    double scaled = static_cast<double>(size);
    std::size_t unit = 0;
    while (scaled >= 1024 && unit + 1 < kUnits.size()) {
      scaled /= 1024;
      ++unit;
    }
    length = std::snprintf(text.data(), text.size(), "%.1f %s", scaled, kUnits[unit]);
  }
  out.append(text.data(), static_cast<std::size_t>(std::max(length, 0)));
}

}  // namespace

void sort_listing(std::vector<ListingEntry>& entries) {
  std::sort(entries.begin(), entries.end(), [](const ListingEntry& a, const ListingEntry& b) {
    if (a.directory != b.directory) return a.directory;
    return a.name < b.name;  // char_traits<char>::compare is memcmp: unsigned bytes
  });
}

void append_html_escaped(std::string_view text, std::string& out) {
  append_unicode(text, out, [&out](char c) {
    switch (c) {
      case '&':
        out.append("&amp;");
        break;
      case '<':
        out.append("&lt;");
        break;
      case '>':
        out.append("&gt;");
        break;
      case '"':
        out.append("&quot;");
        break;
      case '\'':
        out.append("&#39;");
        break;
      default:
        out.push_back(c);
    }
  });
}

void append_percent_encoded_segment(std::string_view segment, std::string& out) {
  for (const char c : segment) {
    if (is_unreserved(c)) {
      out.push_back(c);
    } else {
      const auto byte = static_cast<unsigned char>(c);
      out.push_back('%');
      out.push_back(kHexDigits[byte >> 4]);
      out.push_back(kHexDigits[byte & 0xf]);
    }
  }
}

void append_json_string(std::string_view text, std::string& out) {
  out.push_back('"');
  append_unicode(text, out, [&out](char c) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (byte < 0x20 || byte == 0x7f) {
      out.append("\\u00");
      out.push_back(kHexDigits[byte >> 4]);
      out.push_back(kHexDigits[byte & 0xf]);
    } else {
      out.push_back(c);
    }
  });
  out.push_back('"');
}

std::string render_listing_html(const DirectoryListing& listing) {
  std::string page;
  page.reserve(512 + listing.entries.size() * 160);
  std::string title = "Index of ";
  append_html_escaped(listing.path, title);
  // An empty icon: a listing would otherwise make the browser ask for /favicon.ico, which a
  // directory served this way rarely has (a 404 in the log per page view).
  page.append(
      "<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"utf-8\">\n"
      "<link rel=\"icon\" href=\"data:,\">\n<title>");
  page.append(title);
  page.append(
      "</title>\n<style>td{padding:0 2em 0 0}td:nth-child(3){text-align:right}</style>\n"
      "</head>\n<body>\n<h1>");
  page.append(title);
  page.append("</h1>\n<table>\n<tr><th>Name</th><th>Last modified (UTC)</th><th>Size</th></tr>\n");
  if (listing.path != "/")
    page.append("<tr><td><a href=\"../\">../</a></td><td></td><td></td></tr>\n");
  for (const ListingEntry& entry : listing.entries) {
    const std::string_view slash = entry.directory ? "/" : "";
    page.append("<tr><td><a href=\"");
    append_percent_encoded_segment(entry.name, page);
    page.append(slash);
    page.append("\">");
    append_html_escaped(entry.name, page);
    page.append(slash);
    page.append("</a></td><td>");
    append_iso_time(entry.mtime, page);
    if (entry.directory) {
      page.append("</td><td>-</td></tr>\n");
    } else {
      page.append("</td><td title=\"");
      page.append(std::to_string(entry.size));
      page.append(" bytes\">");
      append_human_size(entry.size, page);
      page.append("</td></tr>\n");
    }
  }
  page.append("</table>\n");
  if (listing.omitted > 0) {
    page.append("<p>\xe2\x80\xa6 ");  // U+2026
    if (listing.omitted_at_least) page.append("at least ");
    page.append(std::to_string(listing.omitted));
    page.append(" more not shown</p>\n");
  }
  page.append("</body>\n</html>\n");
  return page;
}

std::string render_listing_json(const DirectoryListing& listing) {
  std::string json;
  json.reserve(4 + listing.entries.size() * 96);
  json.push_back('[');
  std::array<char, kHttpDateLength> date{};
  for (std::size_t i = 0; i < listing.entries.size(); ++i) {
    const ListingEntry& entry = listing.entries[i];
    json.append(i == 0 ? "\n{\"name\":" : ",\n{\"name\":");
    append_json_string(entry.name, json);
    json.append(entry.directory ? ",\"type\":\"directory\"" : ",\"type\":\"file\"");
    format_http_date(entry.mtime, date);
    json.append(",\"mtime\":\"");
    json.append(date.data(), date.size());
    json.push_back('"');
    if (!entry.directory) {
      json.append(",\"size\":");
      json.append(std::to_string(entry.size));
    }
    json.push_back('}');
  }
  json.append("\n]\n");
  return json;
}

}  // namespace hybrid::http
