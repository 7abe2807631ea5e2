// An IPv4 or IPv6 network in CIDR notation ("127.0.0.0/8", "::1/128", "10.1.2.3"), for deciding
// which peers may read the metrics endpoint.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace hybrid::server {

class AddressRange {
 public:
  // Nullopt for anything but a numeric address with an optional prefix length in range.
  static std::optional<AddressRange> parse(std::string_view cidr);

  // `address` is numeric text as the server writes a peer ("127.0.0.1", "::1"). An IPv4-mapped
  // IPv6 address ("::ffff:10.0.0.1", what a dual-stack listener sees) is taken as its IPv4
  // address. False for text that is no address.
  bool contains(std::string_view address) const;

  // The loopback networks, 127.0.0.0/8 and ::1: the peers allowed by default.
  static const std::array<AddressRange, 2>& loopback();

 private:
  std::array<std::uint8_t, 16> bytes_{};  // IPv4 in the first four
  bool v6_ = false;
  unsigned prefix_ = 0;
};

}  // namespace hybrid::server
