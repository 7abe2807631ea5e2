#include "hybrid/server/address_range.h"

#include <gtest/gtest.h>

namespace hybrid::server {
namespace {

bool in(std::string_view cidr, std::string_view address) {
  auto range = AddressRange::parse(cidr);
  EXPECT_TRUE(range) << cidr;
  return range && range->contains(address);
}

TEST(AddressRangeTest, Ipv4Networks) {
  EXPECT_TRUE(in("10.1.0.0/16", "10.1.255.3"));
  EXPECT_FALSE(in("10.1.0.0/16", "10.2.0.1"));
  EXPECT_TRUE(in("192.168.1.128/25", "192.168.1.200"));
  EXPECT_FALSE(in("192.168.1.128/25", "192.168.1.127"));
  EXPECT_TRUE(in("0.0.0.0/0", "8.8.8.8"));
  EXPECT_TRUE(in("127.0.0.2", "127.0.0.2"));  // no prefix: one address
  EXPECT_FALSE(in("127.0.0.2", "127.0.0.1"));
}

TEST(AddressRangeTest, Ipv6NetworksAndMappedIpv4) {
  EXPECT_TRUE(in("::1", "::1"));
  EXPECT_FALSE(in("::1", "::2"));
  EXPECT_TRUE(in("fd00::/8", "fd12:3456::1"));
  EXPECT_FALSE(in("fd00::/8", "fe80::1"));
  // A dual-stack listener reports IPv4 peers mapped into IPv6.
  EXPECT_TRUE(in("127.0.0.0/8", "::ffff:127.0.0.1"));
  EXPECT_FALSE(in("::1", "127.0.0.1"));  // families do not mix
  EXPECT_FALSE(in("0.0.0.0/0", "::1"));
}

TEST(AddressRangeTest, RejectsWhatIsNoNetwork) {
  for (std::string_view bad : {"", "localhost", "10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/x",
                               "10.0.0.0/8/8", "10.0.0", "1.2.3.4 ", "/8"}) {
    EXPECT_FALSE(AddressRange::parse(bad)) << bad;
  }
}

TEST(AddressRangeTest, TextThatIsNoAddressIsNotContained) {
  auto all = AddressRange::parse("0.0.0.0/0");
  ASSERT_TRUE(all);
  EXPECT_FALSE(all->contains(""));
  EXPECT_FALSE(all->contains("-"));
  EXPECT_FALSE(all->contains("1.2.3.4.5"));
}

TEST(AddressRangeTest, LoopbackIsBothFamilies) {
  const auto& loopback = AddressRange::loopback();
  EXPECT_TRUE(loopback[0].contains("127.9.8.7"));
  EXPECT_TRUE(loopback[1].contains("::1"));
  EXPECT_FALSE(loopback[0].contains("10.0.0.1"));
}

}  // namespace
}  // namespace hybrid::server
