#include "hybrid/http/mime_sniffer.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "hybrid/http/mime.h"
#include "tests/support/temp_dir.h"

namespace hybrid::http {
namespace {

using namespace std::string_view_literals;

// A PNG signature and IHDR chunk: what libmagic needs to say image/png.
constexpr std::string_view kPngHeader =
    "\x89PNG\r\n\x1a\n"
    "\x00\x00\x00\x0dIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"sv;

constexpr std::string_view kHtmlDocument =
    "<!DOCTYPE html>\n<html><head><title>x</title></head>"
    "<body><script>alert(document.cookie)</script></body></html>\n";

class OpenFile {
 public:
  explicit OpenFile(const std::filesystem::path& path) : fd_(::open(path.c_str(), O_RDONLY)) {
    EXPECT_GE(fd_, 0) << path;
  }
  ~OpenFile() {
    if (fd_ >= 0) ::close(fd_);
  }
  OpenFile(const OpenFile&) = delete;
  OpenFile& operator=(const OpenFile&) = delete;

  int fd() const { return fd_; }
  struct stat stat() const {
    struct stat st {};
    EXPECT_EQ(::fstat(fd_, &st), 0);
    return st;
  }

 private:
  int fd_;
};

std::string sniff(MimeSniffer& sniffer, const std::filesystem::path& path) {
  OpenFile file(path);
  return std::string(sniffer.content_type(file.fd(), file.stat()));
}

class MimeSnifferTest : public ::testing::Test {
 protected:
  test::TempDir dir_;
  MimeSniffer sniffer_;
};

TEST_F(MimeSnifferTest, PngWithoutExtensionIsImagePng) {
  EXPECT_EQ(sniff(sniffer_, dir_.write("picture", kPngHeader)), "image/png");
}

TEST_F(MimeSnifferTest, PdfIsApplicationPdf) {
  EXPECT_EQ(sniff(sniffer_, dir_.write("paper", "%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n")),
            "application/pdf");
}

TEST_F(MimeSnifferTest, PlainTextCarriesItsCharset) {
  EXPECT_EQ(sniff(sniffer_, dir_.write("notes", "just some words\nand more words\n")),
            "text/plain; charset=us-ascii");
  EXPECT_EQ(sniff(sniffer_, dir_.write("utf8", "caf\xc3\xa9 cr\xc3\xa8me br\xc3\xbbl\xc3\xa9\n")),
            "text/plain; charset=utf-8");
}

TEST_F(MimeSnifferTest, BinaryCharsetParameterIsDropped) {
  const std::string type = sniff(sniffer_, dir_.write("png", kPngHeader));
  EXPECT_EQ(type.find("charset"), std::string::npos);
}

TEST_F(MimeSnifferTest, HtmlUnderAnUnknownExtensionIsNeverServedAsHtml) {
  // An upload named page.dat must not become a page on our origin (stored XSS).
  EXPECT_EQ(sniff(sniffer_, dir_.write("page.dat", kHtmlDocument)), kOctetStream);
}

TEST_F(MimeSnifferTest, SvgAndXmlAreNeverSniffedIntoActiveTypes) {
  const std::string svg =
      "<?xml version=\"1.0\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\">"
      "<script>alert(1)</script></svg>\n";
  const std::string xml = "<?xml version=\"1.0\"?>\n<root><item>1</item></root>\n";
  for (const auto& [name, content] : {std::pair{"image.bin", svg}, std::pair{"doc.bin", xml}}) {
    SCOPED_TRACE(name);
    const std::string type = sniff(sniffer_, dir_.write(name, content));
    EXPECT_FALSE(is_active_content_type(type)) << type;
  }
}

TEST_F(MimeSnifferTest, EmptyFileIsOctetStreamWithoutAskingLibmagic) {
  EXPECT_EQ(sniff(sniffer_, dir_.write("empty", "")), kOctetStream);
  EXPECT_EQ(sniffer_.magic_calls(), 0u);
}

TEST_F(MimeSnifferTest, CacheHitDoesNotCallLibmagicAgain) {
  const auto path = dir_.write("picture", kPngHeader);
  EXPECT_EQ(sniff(sniffer_, path), "image/png");
  EXPECT_EQ(sniffer_.magic_calls(), 1u);
  EXPECT_EQ(sniff(sniffer_, path), "image/png");
  EXPECT_EQ(sniff(sniffer_, path), "image/png");
  EXPECT_EQ(sniffer_.magic_calls(), 1u);
}

TEST_F(MimeSnifferTest, ChangedSizeIsACacheMiss) {
  const auto path = dir_.write("file", "plain text\n");
  EXPECT_EQ(sniff(sniffer_, path), "text/plain; charset=us-ascii");
  dir_.write("file", kPngHeader);  // same inode, new size
  EXPECT_EQ(sniff(sniffer_, path), "image/png");
  EXPECT_EQ(sniffer_.magic_calls(), 2u);
}

TEST_F(MimeSnifferTest, ChangedMtimeIsACacheMiss) {
  const auto path = dir_.write("file", "plain text\n");
  sniff(sniffer_, path);
  const timespec times[2] = {{0, UTIME_OMIT}, {1'000'000'000, 123}};
  ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), times, 0), 0);
  sniff(sniffer_, path);
  EXPECT_EQ(sniffer_.magic_calls(), 2u);
}

TEST_F(MimeSnifferTest, LeavesTheFileOffsetAlone) {
  OpenFile file(dir_.write("picture", kPngHeader));
  ASSERT_EQ(::lseek(file.fd(), 5, SEEK_SET), 5);
  EXPECT_EQ(sniffer_.content_type(file.fd(), file.stat()), "image/png");
  EXPECT_EQ(::lseek(file.fd(), 0, SEEK_CUR), 5);
}

TEST_F(MimeSnifferTest, LargeFileIsSniffedFromItsStart) {
  std::string big(std::string(kPngHeader) + std::string(1 << 20, '\0'));
  EXPECT_EQ(sniff(sniffer_, dir_.write("big", big)), "image/png");
}

TEST(MimeSnifferCache, IsBoundedByClearingWhenFull) {
  test::TempDir dir;
  MimeSniffer sniffer(2);
  const auto a = dir.write("a", "aaa\n");
  const auto b = dir.write("b", "bbbb\n");
  const auto c = dir.write("c", "ccccc\n");
  sniff(sniffer, a);
  sniff(sniffer, b);
  sniff(sniffer, a);  // hit
  EXPECT_EQ(sniffer.magic_calls(), 2u);
  sniff(sniffer, c);  // full: the cache is emptied, then holds c
  sniff(sniffer, c);  // hit
  EXPECT_EQ(sniffer.magic_calls(), 3u);
  sniff(sniffer, a);  // forgotten
  EXPECT_EQ(sniffer.magic_calls(), 4u);
}

TEST(MimeSnifferCache, ZeroCapacityStillAnswers) {
  test::TempDir dir;
  MimeSniffer sniffer(0);
  EXPECT_EQ(sniff(sniffer, dir.write("picture", kPngHeader)), "image/png");
}

}  // namespace
}  // namespace hybrid::http
