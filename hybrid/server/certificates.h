// The certificates a TLS server serves, built from its options: the main chain and key, and one
// per virtual host whose site directory holds cert.pem and key.pem, chosen by SNI. Built at
// start-up and again on each reload; every build shares the server's one TicketKeys, so tickets
// issued before a reload still resume after it.
#pragma once

#include <memory>
#include <string_view>

#include "hybrid/server/server.h"
#include "hybrid/tls/sni.h"
#include "hybrid/tls/ticket_keys.h"

namespace hybrid::server {

// The names of a virtual host's certificate files in its site directory. The file responder
// never serves them when TLS is on (see is_certificate_file()).
inline constexpr std::string_view kSiteCertificate = "cert.pem";
inline constexpr std::string_view kSiteKey = "key.pem";

// Null without TLS (no tls_certificate). Throws std::runtime_error naming the file and OpenSSL's
// reason when one cannot be used, or std::invalid_argument when only one of the certificate and
// the key is given, or a site holds only one of its two files.
std::shared_ptr<const tls::SniContexts> load_certificates(
    const ServerOptions& options, const std::shared_ptr<tls::TicketKeys>& ticket_keys);

// True for a request path (decoded, relative to the site, without the leading '/') naming a
// site's certificate or key: "cert.pem" or "key.pem".
bool is_certificate_file(std::string_view relative_path);

}  // namespace hybrid::server
