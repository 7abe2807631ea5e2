#include "hybrid/tls/client_hello.h"

#include <cstdint>

namespace hybrid::tls {
namespace {

constexpr std::byte kHandshakeRecord{22};
constexpr std::byte kMajorVersion{3};
constexpr std::uint8_t kLowestMinor = 1;   // TLS 1.0 in the record layer (TLS 1.3 hellos say so)
constexpr std::uint8_t kHighestMinor = 4;  // TLS 1.3

}  // namespace

ClientHelloSniff looks_like_tls_client_hello(std::span<const std::byte> first_bytes) {
  if (first_bytes.empty()) return ClientHelloSniff::kNeedMore;
  if (first_bytes[0] != kHandshakeRecord) return ClientHelloSniff::kNotTls;
  if (first_bytes.size() < 2) return ClientHelloSniff::kNeedMore;
  if (first_bytes[1] != kMajorVersion) return ClientHelloSniff::kNotTls;
  if (first_bytes.size() < 3) return ClientHelloSniff::kNeedMore;
  const auto minor = std::to_integer<std::uint8_t>(first_bytes[2]);
  return minor >= kLowestMinor && minor <= kHighestMinor ? ClientHelloSniff::kTls
                                                         : ClientHelloSniff::kNotTls;
}

}  // namespace hybrid::tls
