#include "hybrid/tls/client_hello.h"

#include <gtest/gtest.h>

#include <string_view>
#include <vector>

namespace hybrid::tls {
namespace {

ClientHelloSniff sniff(std::vector<unsigned char> bytes) {
  return looks_like_tls_client_hello(std::as_bytes(std::span(bytes)));
}

ClientHelloSniff sniff(std::string_view text) {
  return looks_like_tls_client_hello(std::as_bytes(std::span(text.data(), text.size())));
}

TEST(ClientHelloSniff, Tls13HelloWithLegacyRecordVersion) {
  EXPECT_EQ(sniff({0x16, 0x03, 0x01, 0x02, 0x00, 0x01}), ClientHelloSniff::kTls);
}
TEST(ClientHelloSniff, RecordVersionsTls10ToTls13) {
  for (unsigned char minor = 1; minor <= 4; ++minor) {
    EXPECT_EQ(sniff({0x16, 0x03, minor}), ClientHelloSniff::kTls) << int{minor};
  }
}
TEST(ClientHelloSniff, Sslv3RecordIsNotTls) {
  EXPECT_EQ(sniff({0x16, 0x03, 0x00}), ClientHelloSniff::kNotTls);
}
TEST(ClientHelloSniff, UnknownMinorIsNotTls) {
  EXPECT_EQ(sniff({0x16, 0x03, 0x05}), ClientHelloSniff::kNotTls);
}
TEST(ClientHelloSniff, Sslv2HelloIsNotTls) {
  EXPECT_EQ(sniff({0x80, 0x2e, 0x01, 0x00, 0x02}), ClientHelloSniff::kNotTls);
}
TEST(ClientHelloSniff, ApplicationDataRecordIsNotAHello) {
  EXPECT_EQ(sniff({0x17, 0x03, 0x03}), ClientHelloSniff::kNotTls);
}
TEST(ClientHelloSniff, PlainHttpRequest) {
  EXPECT_EQ(sniff("GET / HTTP/1.1\r\nHost: a\r\n\r\n"), ClientHelloSniff::kNotTls);
}
TEST(ClientHelloSniff, OneByteOfHttpDecides) {
  EXPECT_EQ(sniff("G"), ClientHelloSniff::kNotTls);
}
TEST(ClientHelloSniff, WrongMajorDecidesAtTwoBytes) {
  EXPECT_EQ(sniff({0x16, 0x02}), ClientHelloSniff::kNotTls);
}
TEST(ClientHelloSniff, NothingYetNeedsMore) {
  EXPECT_EQ(sniff(""), ClientHelloSniff::kNeedMore);
}
TEST(ClientHelloSniff, PrefixOfARecordNeedsMore) {
  EXPECT_EQ(sniff({0x16}), ClientHelloSniff::kNeedMore);
  EXPECT_EQ(sniff({0x16, 0x03}), ClientHelloSniff::kNeedMore);
}

}  // namespace
}  // namespace hybrid::tls
