#include "hybrid/http/mime.h"

#include <gtest/gtest.h>

namespace hybrid::http {
namespace {

struct ExtensionCase {
  std::string_view file_name;
  std::string_view type;
};

constexpr ExtensionCase kKnownExtensions[] = {
    {"index.html", "text/html; charset=utf-8"},
    {"index.htm", "text/html; charset=utf-8"},
    {"style.css", "text/css; charset=utf-8"},
    {"app.js", "text/javascript; charset=utf-8"},
    {"module.mjs", "text/javascript; charset=utf-8"},
    {"data.json", "application/json"},
    {"app.js.map", "application/json"},
    {"readme.txt", "text/plain; charset=utf-8"},
    {"README.md", "text/markdown; charset=utf-8"},
    {"table.csv", "text/csv; charset=utf-8"},
    {"feed.xml", "application/xml"},
    {"page.xhtml", "application/xhtml+xml"},
    {"logo.svg", "image/svg+xml"},
    {"a.png", "image/png"},
    {"a.jpg", "image/jpeg"},
    {"a.jpeg", "image/jpeg"},
    {"a.gif", "image/gif"},
    {"a.webp", "image/webp"},
    {"a.avif", "image/avif"},
    {"favicon.ico", "image/x-icon"},
    {"a.bmp", "image/bmp"},
    {"a.tif", "image/tiff"},
    {"a.tiff", "image/tiff"},
    {"f.woff", "font/woff"},
    {"f.woff2", "font/woff2"},
    {"f.ttf", "font/ttf"},
    {"f.otf", "font/otf"},
    {"f.eot", "application/vnd.ms-fontobject"},
    {"m.wasm", "application/wasm"},
    {"doc.pdf", "application/pdf"},
    {"v.mp4", "video/mp4"},
    {"a.m4a", "audio/mp4"},
    {"v.webm", "video/webm"},
    {"a.ogg", "audio/ogg"},
    {"a.oga", "audio/ogg"},
    {"v.ogv", "video/ogg"},
    {"a.opus", "audio/ogg"},
    {"a.mp3", "audio/mpeg"},
    {"a.wav", "audio/wav"},
    {"a.flac", "audio/flac"},
    {"a.aac", "audio/aac"},
    {"a.zip", "application/zip"},
    {"a.tar.gz", "application/gzip"},
    {"a.tar", "application/x-tar"},
    {"a.bz2", "application/x-bzip2"},
    {"a.xz", "application/x-xz"},
    {"a.7z", "application/x-7z-compressed"},
    {"a.zst", "application/zstd"},
    {"site.webmanifest", "application/manifest+json"},
    {"cal.ics", "text/calendar; charset=utf-8"},
    {"feed.rss", "application/rss+xml"},
    {"feed.atom", "application/atom+xml"},
    {"data.jsonld", "application/ld+json"},
    {"book.epub", "application/epub+zip"},
    {"subs.vtt", "text/vtt; charset=utf-8"},
};

TEST(MimeTypeForExtension, KnowsTheModernWeb) {
  for (const ExtensionCase& c : kKnownExtensions) {
    SCOPED_TRACE(c.file_name);
    EXPECT_EQ(mime_type_for_extension(c.file_name), c.type);
  }
}

TEST(MimeTypeForExtension, IgnoresCase) {
  EXPECT_EQ(mime_type_for_extension("INDEX.HTML"), "text/html; charset=utf-8");
  EXPECT_EQ(mime_type_for_extension("photo.JpG"), "image/jpeg");
  EXPECT_EQ(mime_type_for_extension("f.WOFF2"), "font/woff2");
}

TEST(MimeTypeForExtension, UsesTheLastDotOfTheLastSegment) {
  EXPECT_EQ(mime_type_for_extension("dir/archive.tar.xz"), "application/x-xz");
  EXPECT_EQ(mime_type_for_extension("v1.2/readme.txt"), "text/plain; charset=utf-8");
  EXPECT_EQ(mime_type_for_extension("site.html/README"), std::nullopt);
}

TEST(MimeTypeForExtension, NoExtensionOrUnknownOneIsNullopt) {
  for (std::string_view name :
       {"", "README", "Makefile", ".bashrc", "dir/.hidden", "trailing.", "a.unknown", "a.exe",
        "a.br", "a.verylongextensionname", "a.htmlx", "a.ht", "a.h\xc3\xa9"}) {
    SCOPED_TRACE(name);
    EXPECT_EQ(mime_type_for_extension(name), std::nullopt);
  }
}

struct ActiveCase {
  std::string_view type;
  bool active;
};

constexpr ActiveCase kActiveCases[] = {
    {"text/html", true},
    {"text/html; charset=utf-8", true},
    {"TEXT/HTML;charset=utf-8", true},
    {" text/html ; charset=utf-8", true},
    {"application/xhtml+xml", true},
    {"image/svg+xml", true},
    {"text/xml", true},
    {"application/xml", true},
    {"application/rss+xml", true},
    {"application/atom+xml; charset=utf-8", true},
    {"Application/Vnd.Foo+XML", true},
    {"text/plain; charset=utf-8", false},
    {"text/plain; note=text/html", false},
    {"text/css", false},
    {"text/javascript", false},
    {"application/json", false},
    {"image/png", false},
    {"application/octet-stream", false},
    {"text/htmlx", false},
    {"application/xml-dtd", false},
    {"", false},
};

TEST(IsActiveContentType, FlagsEveryDocumentTypeABrowserWouldRender) {
  for (const ActiveCase& c : kActiveCases) {
    SCOPED_TRACE(c.type);
    EXPECT_EQ(is_active_content_type(c.type), c.active);
  }
}

TEST(IsActiveContentType, OctetStreamConstantIsPassive) {
  EXPECT_EQ(kOctetStream, "application/octet-stream");
  EXPECT_FALSE(is_active_content_type(kOctetStream));
}

}  // namespace
}  // namespace hybrid::http
