#include "hybrid/server/address_range.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>
#include <string>

namespace hybrid::server {
namespace {

struct Address {
  std::array<std::uint8_t, 16> bytes{};
  bool v6 = false;
};

std::optional<Address> parse_address(std::string_view text) {
  if (text.empty() || text.size() > INET6_ADDRSTRLEN) return std::nullopt;
  const std::string terminated(text);
  Address address;
  if (::inet_pton(AF_INET, terminated.c_str(), address.bytes.data()) == 1) return address;
  if (::inet_pton(AF_INET6, terminated.c_str(), address.bytes.data()) != 1) return std::nullopt;
  static constexpr std::uint8_t kMappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::memcmp(address.bytes.data(), kMappedPrefix, sizeof kMappedPrefix) == 0) {
    std::memmove(address.bytes.data(), address.bytes.data() + 12, 4);
    std::memset(address.bytes.data() + 4, 0, 12);
    return address;
  }
  address.v6 = true;
  return address;
}

}  // namespace

std::optional<AddressRange> AddressRange::parse(std::string_view cidr) {
  const std::size_t slash = cidr.find('/');
  std::optional<Address> address = parse_address(cidr.substr(0, slash));
  if (!address) return std::nullopt;
  AddressRange range;
  range.bytes_ = address->bytes;
  range.v6_ = address->v6;
  const unsigned bits = range.v6_ ? 128 : 32;
  range.prefix_ = bits;
  if (slash != std::string_view::npos) {
    const std::string_view length = cidr.substr(slash + 1);
    auto [end, error] =
        std::from_chars(length.data(), length.data() + length.size(), range.prefix_);
    if (length.empty() || error != std::errc() || end != length.data() + length.size() ||
        range.prefix_ > bits) {
      return std::nullopt;
    }
  }
  return range;
}

bool AddressRange::contains(std::string_view text) const {
  std::optional<Address> address = parse_address(text);
  if (!address || address->v6 != v6_) return false;
  const unsigned whole = prefix_ / 8;
  if (std::memcmp(address->bytes.data(), bytes_.data(), whole) != 0) return false;
  const unsigned rest = prefix_ % 8;
  if (rest == 0) return true;
  const auto mask = static_cast<std::uint8_t>(0xff << (8 - rest));
  return (address->bytes[whole] & mask) == (bytes_[whole] & mask);
}

const std::array<AddressRange, 2>& AddressRange::loopback() {
  static const std::array<AddressRange, 2> ranges = {*parse("127.0.0.0/8"), *parse("::1")};
  return ranges;
}

}  // namespace hybrid::server
