// Telling a TLS client from a plain-HTTP one by the first bytes it sends, so that a TLS port can
// answer `http://` by mistake with 400 (as nginx does) instead of a handshake failure the
// browser shows as gibberish. Pure: bytes in, verdict out; no sockets, no OpenSSL.
#pragma once

#include <cstddef>
#include <span>

namespace hybrid::tls {

enum class ClientHelloSniff {
  kTls,       // a TLS handshake record: hand the connection to the TLS session
  kNotTls,    // anything else (an HTTP request line, SSLv2 or SSLv3 hellos): answer 400 and close
  kNeedMore,  // fewer than three bytes so far, all consistent with a TLS record
};

// Looks at the record header a ClientHello starts with (RFC 8446 §5.1, RFC 5246 §6.2.1):
// content type 22 (handshake), then legacy_record_version 3.1–3.4. TLS 1.3 clients write 3.1
// there; 3.0 is SSLv3, which we refuse anyway and treat as not TLS. Decides on the first three
// bytes only, because that is all a client is sure to have sent in its first segment; an HTTP
// request starts with a method token, never byte 0x16, so two bytes decide most non-TLS input.
ClientHelloSniff looks_like_tls_client_hello(std::span<const std::byte> first_bytes);

}  // namespace hybrid::tls
