// Content-Type by file extension: the fast path for every file the modern web serves.
#pragma once

#include <optional>
#include <string_view>

namespace hybrid::http {

// The Content-Type for the extension of `file_name` (the part after the last '.' of the last path
// segment, compared case-insensitively), with "; charset=utf-8" on text types. nullopt when the
// name has no extension or one not in the table; callers then sniff the content.
std::optional<std::string_view> mime_type_for_extension(std::string_view file_name);

// True for types a browser may execute as a page (HTML, XHTML, SVG, XML). A sniffed type must never
// be one of these when the extension did not say so, or an upload named "x.txt" becomes XSS.
bool is_active_content_type(std::string_view content_type);

inline constexpr std::string_view kOctetStream = "application/octet-stream";

}  // namespace hybrid::http
