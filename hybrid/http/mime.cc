// The extension table. Text types carry "; charset=utf-8" because a browser guessing the charset
// is both slow and a historical XSS vector (UTF-7); binary types carry none.
#include "hybrid/http/mime.h"

#include <algorithm>
#include <array>
#include <cstddef>

#include "hybrid/http/syntax.h"

namespace hybrid::http {
namespace {

struct ExtensionType {
  std::string_view extension;  // lowercase, without the dot
  std::string_view type;
};

constexpr std::string_view kHtml = "text/html; charset=utf-8";
constexpr std::string_view kJavaScript = "text/javascript; charset=utf-8";  // RFC 9239
constexpr std::string_view kJpeg = "image/jpeg";
constexpr std::string_view kTiff = "image/tiff";
constexpr std::string_view kOgg = "audio/ogg";
constexpr std::string_view kMp4 = "video/mp4";
constexpr std::string_view kYaml = "application/yaml";  // RFC 9512

// Sorted by extension (checked below) for binary search. XML is application/xml (RFC 7303 §4.1
// prefers it to text/xml) without a charset: the document's own declaration governs.
constexpr std::array kExtensionTable = std::to_array<ExtensionType>({
    {"7z", "application/x-7z-compressed"},
    {"aac", "audio/aac"},
    {"apng", "image/apng"},
    {"atom", "application/atom+xml"},
    {"avif", "image/avif"},
    {"bmp", "image/bmp"},
    {"bz2", "application/x-bzip2"},
    {"css", "text/css; charset=utf-8"},
    {"csv", "text/csv; charset=utf-8"},
    {"docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
    {"eot", "application/vnd.ms-fontobject"},
    {"epub", "application/epub+zip"},
    {"flac", "audio/flac"},
    {"gif", "image/gif"},
    {"gz", "application/gzip"},
    {"htm", kHtml},
    {"html", kHtml},
    {"ico", "image/x-icon"},  // what browsers expect; image/vnd.microsoft.icon is the IANA name
    {"ics", "text/calendar; charset=utf-8"},
    {"jpeg", kJpeg},
    {"jpg", kJpeg},
    {"js", kJavaScript},
    {"json", "application/json"},  // RFC 8259 §11: no charset parameter, UTF-8 by definition
    {"jsonld", "application/ld+json"},
    {"jxl", "image/jxl"},
    {"m3u8", "application/vnd.apple.mpegurl"},
    {"m4a", "audio/mp4"},
    {"m4v", kMp4},
    {"map", "application/json"},  // source maps
    {"md", "text/markdown; charset=utf-8"},
    {"mjs", kJavaScript},
    {"mov", "video/quicktime"},
    {"mp3", "audio/mpeg"},
    {"mp4", kMp4},
    {"oga", kOgg},
    {"ogg", kOgg},
    {"ogv", "video/ogg"},
    {"opus", kOgg},  // Ogg Opus files (RFC 7845 §9)
    {"otf", "font/otf"},
    {"pdf", "application/pdf"},
    {"png", "image/png"},
    {"pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation"},
    {"rss", "application/rss+xml"},
    {"svg", "image/svg+xml"},
    {"tar", "application/x-tar"},
    {"tif", kTiff},
    {"tiff", kTiff},
    {"ttf", "font/ttf"},
    {"txt", "text/plain; charset=utf-8"},
    {"vtt", "text/vtt; charset=utf-8"},
    {"wasm", "application/wasm"},  // needed for WebAssembly.instantiateStreaming
    {"wav", "audio/wav"},
    {"weba", "audio/webm"},
    {"webm", "video/webm"},
    {"webmanifest", "application/manifest+json"},
    {"webp", "image/webp"},
    {"woff", "font/woff"},
    {"woff2", "font/woff2"},
    {"xhtml", "application/xhtml+xml"},
    {"xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
    {"xml", "application/xml"},
    {"xz", "application/x-xz"},
    {"yaml", kYaml},
    {"yml", kYaml},
    {"zip", "application/zip"},
    {"zst", "application/zstd"},
});

constexpr std::size_t kMaxExtensionLength = [] {
  std::size_t longest = 0;
  for (const ExtensionType& entry : kExtensionTable) {
    longest = std::max(longest, entry.extension.size());
  }
  return longest;
}();

static_assert(std::is_sorted(kExtensionTable.begin(), kExtensionTable.end(),
                             [](const ExtensionType& a, const ExtensionType& b) {
                               return a.extension < b.extension;
                             }),
              "kExtensionTable must stay sorted for binary search");

bool equals_ignoring_case(std::string_view a, std::string_view lowercase) {
  if (a.size() != lowercase.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (ascii_lower(a[i]) != lowercase[i]) return false;
  }
  return true;
}

bool ends_with_ignoring_case(std::string_view text, std::string_view lowercase_suffix) {
  return text.size() >= lowercase_suffix.size() &&
         equals_ignoring_case(text.substr(text.size() - lowercase_suffix.size()), lowercase_suffix);
}

}  // namespace

std::optional<std::string_view> mime_type_for_extension(std::string_view file_name) {
  const std::size_t slash = file_name.rfind('/');
  const std::string_view base =
      slash == std::string_view::npos ? file_name : file_name.substr(slash + 1);
  const std::size_t dot = base.rfind('.');
  // A leading dot makes a hidden file (".bashrc"), not an extension.
  if (dot == std::string_view::npos || dot == 0) return std::nullopt;
  const std::string_view extension = base.substr(dot + 1);
  if (extension.empty() || extension.size() > kMaxExtensionLength) return std::nullopt;

  // Lowercase into a stack buffer: the table holds lowercase keys and we never allocate here.
  std::array<char, kMaxExtensionLength> buffer;
  std::transform(extension.begin(), extension.end(), buffer.begin(), ascii_lower);
  const std::string_view key(buffer.data(), extension.size());

  const auto* found = std::lower_bound(
      kExtensionTable.begin(), kExtensionTable.end(), key,
      [](const ExtensionType& entry, std::string_view k) { return entry.extension < k; });
  if (found == kExtensionTable.end() || found->extension != key) return std::nullopt;
  return found->type;
}

bool is_active_content_type(std::string_view content_type) {
  std::string_view media_type = content_type.substr(0, content_type.find(';'));
  while (!media_type.empty() && (media_type.back() == ' ' || media_type.back() == '\t')) {
    media_type.remove_suffix(1);
  }
  while (!media_type.empty() && (media_type.front() == ' ' || media_type.front() == '\t')) {
    media_type.remove_prefix(1);
  }
  // Everything a browser will render as a document able to run script: HTML, and any XML (an
  // XML document can pull in XHTML or SVG namespaces, and XSLT can produce HTML).
  for (std::string_view active : {"text/html", "application/xhtml+xml", "image/svg+xml", "text/xml",
                                  "application/xml", "text/xsl"}) {
    if (equals_ignoring_case(media_type, active)) return true;
  }
  return ends_with_ignoring_case(media_type, "+xml");
}

}  // namespace hybrid::http
