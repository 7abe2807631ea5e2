#include "hybrid/http/gzip.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <string>

namespace hybrid::http {
namespace {

std::string gunzip(const std::string& gzipped) {
  z_stream stream{};
  EXPECT_EQ(inflateInit2(&stream, 15 + 16), Z_OK);
  std::string out(1 << 20, '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gzipped.data()));
  stream.avail_in = static_cast<uInt>(gzipped.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(inflate(&stream, Z_FINISH), Z_STREAM_END);
  out.resize(out.size() - stream.avail_out);
  inflateEnd(&stream);
  return out;
}

TEST(Gzip, RoundTripsThroughARealGzipDecoder_Rfc1952) {
  std::string text;
  for (int i = 0; i < 2000; ++i) text += "body { color: #" + std::to_string(i) + "; }\n";
  std::optional<std::string> gzipped = gzip_compress(text);
  ASSERT_TRUE(gzipped);
  ASSERT_GE(gzipped->size(), 2u);
  EXPECT_EQ(static_cast<unsigned char>((*gzipped)[0]), 0x1f);  // gzip magic, not a zlib header
  EXPECT_EQ(static_cast<unsigned char>((*gzipped)[1]), 0x8b);
  EXPECT_LT(gzipped->size(), text.size());
  EXPECT_EQ(gunzip(*gzipped), text);
}

TEST(Gzip, EmptyInputIsAValidMember) {
  std::optional<std::string> gzipped = gzip_compress("");
  ASSERT_TRUE(gzipped);
  EXPECT_EQ(gunzip(*gzipped), "");
}

TEST(Gzip, CompressibleTypesAreTextLikeOnly) {
  EXPECT_TRUE(is_compressible_type("text/html; charset=utf-8"));
  EXPECT_TRUE(is_compressible_type("text/css"));
  EXPECT_TRUE(is_compressible_type("application/json"));
  EXPECT_TRUE(is_compressible_type("Image/SVG+XML"));
  EXPECT_TRUE(is_compressible_type("application/wasm"));
  EXPECT_FALSE(is_compressible_type("image/png"));
  EXPECT_FALSE(is_compressible_type("font/woff2"));
  EXPECT_FALSE(is_compressible_type("application/gzip"));
  EXPECT_FALSE(is_compressible_type("text/"));
  EXPECT_FALSE(is_compressible_type(""));
}

}  // namespace
}  // namespace hybrid::http
