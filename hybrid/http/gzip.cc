#include "hybrid/http/gzip.h"

#include <zlib.h>

#include "hybrid/http/request.h"

namespace hybrid::http {

bool is_compressible_type(std::string_view content_type) {
  std::string_view type = content_type.substr(0, content_type.find(';'));
  while (!type.empty() && type.back() == ' ') type.remove_suffix(1);
  if (type.size() > 5 && iequals(type.substr(0, 5), "text/")) return true;
  for (std::string_view compressible :
       {"application/javascript", "application/json", "application/xml", "image/svg+xml",
        "application/wasm", "application/manifest+json", "application/ld+json",
        "application/rss+xml", "application/atom+xml", "image/x-icon", "image/bmp"}) {
    if (iequals(type, compressible)) return true;
  }
  return false;
}

std::optional<std::string> gzip_compress(std::string_view data) {
  z_stream stream{};
  // windowBits 15 + 16: a gzip wrapper instead of zlib's own (RFC 1952, what Content-Encoding:
  // gzip means).
  if (deflateInit2(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
      Z_OK) {
    return std::nullopt;
  }
  std::string out(deflateBound(&stream, static_cast<uLong>(data.size())), '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  int result = deflate(&stream, Z_FINISH);
  std::size_t produced = out.size() - stream.avail_out;
  deflateEnd(&stream);
  if (result != Z_STREAM_END) return std::nullopt;
  out.resize(produced);
  return out;
}

}  // namespace hybrid::http
