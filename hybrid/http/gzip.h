// gzip (RFC 1952) compression of whole small files, for on-the-fly Content-Encoding.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace hybrid::http {

// True for media types worth compressing: text, JavaScript, JSON, XML, SVG, WebAssembly. Already
// compressed formats (images, video, fonts, archives) are not.
bool is_compressible_type(std::string_view content_type);

// The gzip member of `data` at zlib's default level, or nullopt when zlib fails.
std::optional<std::string> gzip_compress(std::string_view data);

}  // namespace hybrid::http
