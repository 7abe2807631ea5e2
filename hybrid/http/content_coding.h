// Choosing a content coding from Accept-Encoding (RFC 9110 §12.5.3), for serving precompressed
// siblings (file.br, file.gz) of a static file. Pure and allocation-free; any thread.
#pragma once

#include <optional>
#include <string_view>

#include "hybrid/http/request.h"

namespace hybrid::http {

enum class Coding : unsigned char { kIdentity, kGzip, kBrotli };

// Which precompressed variants of the representation exist. Identity always does.
struct AvailableCodings {
  bool brotli = false;
  bool gzip = false;
};

// The coding to send for an Accept-Encoding field value (nullopt: no such header).
//  - No header: identity. §12.5.3 would allow any coding, but a client that says nothing may not
//    decode one (like nginx's gzip_static, hybrid compresses only when asked).
//  - Otherwise the available coding with the highest qvalue (§12.4.2) wins; at equal q brotli is
//    preferred to gzip and gzip to identity. "x-gzip" is gzip (§8.4.1.3); "*" gives its q to
//    every coding, identity included, not named elsewhere; q=0 refuses. A coding that is neither
//    named nor covered by "*" is not acceptable.
//  - identity is acceptable unless refused by "identity;q=0", or by "*;q=0" without an explicit
//    identity entry. When not named and no "*" is present it is acceptable but least preferred,
//    so "gzip;q=0.5" still selects gzip.
//  - Names are case-insensitive; q is "q=" (either case) with at most three decimals, at most
//    1, with OWS allowed only around ';'. An element with a malformed weight or any other
//    parameter is ignored, as is an empty one. The first entry for a coding counts.
// Returns nullopt when everything available is refused. §12.5.3 then allows either 415 or
// ignoring the header; hybrid's file responder ignores it and sends identity, which every client
// can read. Whatever is chosen, the response carries "Vary: Accept-Encoding" whenever a
// precompressed variant exists.
std::optional<Coding> choose_coding(std::optional<std::string_view> accept_encoding,
                                    AvailableCodings available);

// The same for every Accept-Encoding line of `request`, read as one list in their order (a field
// sent on several lines is the comma-joined list of their values, RFC 9110 §5.3).
std::optional<Coding> choose_coding(const Request& request, AvailableCodings available);

// The Content-Encoding value: "br", "gzip", or "" for identity (no header is sent).
std::string_view coding_token(Coding coding);

// The precompressed sibling's file-name suffix: ".br", ".gz", or "" for identity.
std::string_view coding_suffix(Coding coding);

}  // namespace hybrid::http
