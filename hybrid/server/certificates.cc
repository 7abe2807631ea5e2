#include "hybrid/server/certificates.h"

#include <filesystem>
#include <stdexcept>
#include <string>
#include <system_error>

#include "hybrid/server/virtual_hosts.h"

namespace hybrid::server {

std::shared_ptr<const tls::SniContexts> load_certificates(
    const ServerOptions& options, const std::shared_ptr<tls::TicketKeys>& ticket_keys) {
  if (options.tls_certificate.empty() != options.tls_key.empty()) {
    throw std::invalid_argument("a TLS certificate needs its key, and a key its certificate");
  }
  if (options.tls_certificate.empty()) return nullptr;
  auto contexts = std::make_shared<tls::SniContexts>(std::make_shared<const tls::TlsContext>(
      tls::CertificateFiles{options.tls_certificate, options.tls_key}, ticket_keys));
  if (options.vhosts.empty()) return contexts;

  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(options.vhosts, error)) {
    const std::string name = entry.path().filename().string();
    char host[256];
    // The same names VirtualHosts serves: a directory that is no site has no certificate either.
    if (!entry.is_directory(error) || name == "default" ||
        normalize_host(name, host, sizeof host) != name.size() ||
        std::string_view(host, name.size()) != name) {
      continue;
    }
    const std::filesystem::path chain = entry.path() / kSiteCertificate;
    const std::filesystem::path key = entry.path() / kSiteKey;
    const bool has_chain = std::filesystem::exists(chain, error);
    const bool has_key = std::filesystem::exists(key, error);
    if (!has_chain && !has_key) continue;
    if (has_chain != has_key) {
      throw std::invalid_argument("site '" + entry.path().string() + "' holds " +
                                  std::string(has_chain ? kSiteCertificate : kSiteKey) +
                                  " without " +
                                  std::string(has_chain ? kSiteKey : kSiteCertificate));
    }
    contexts->add(name, std::make_shared<const tls::TlsContext>(tls::CertificateFiles{chain, key},
                                                                ticket_keys));
  }
  if (error) {
    throw std::system_error(error, "virtual hosts '" + options.vhosts.string() + "'");
  }
  return contexts;
}

bool is_certificate_file(std::string_view relative_path) {
  return relative_path == kSiteCertificate || relative_path == kSiteKey;
}

}  // namespace hybrid::server
