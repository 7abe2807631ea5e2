#include "hybrid/tls/sni.h"

#include <openssl/ssl.h>

#include <cctype>
#include <stdexcept>

namespace hybrid::tls {
namespace {

// DNS names are case-insensitive (RFC 4343); "example.com." names the same host, and although
// RFC 6066 §3 forbids the trailing dot in SNI, clients have sent it.
std::string canonical_host(std::string_view name) {
  if (name.ends_with('.')) name.remove_suffix(1);
  std::string lower(name);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower;
}

int ssl_ex_data_index() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

// Runs during the ClientHello, before the certificate is chosen. The set comes from the SSL
// object, not the callback's argument: one SSL_CTX may be the fallback of an old and a new set
// while a reload is under way.
int on_server_name(SSL* ssl, int*, void*) {
  const auto* contexts = static_cast<const SniContexts*>(SSL_get_ex_data(ssl, ssl_ex_data_index()));
  const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  if (contexts == nullptr || name == nullptr) return SSL_TLSEXT_ERR_NOACK;
  SSL_CTX* chosen = contexts->pick(name).native_handle();
  if (chosen != SSL_get_SSL_CTX(ssl)) SSL_set_SSL_CTX(ssl, chosen);
  return SSL_TLSEXT_ERR_OK;
}

}  // namespace

SniContexts::SniContexts(std::shared_ptr<const TlsContext> fallback)
    : fallback_(std::move(fallback)) {
  if (!fallback_) throw std::invalid_argument("SNI needs a fallback certificate");
  // SSL_CTX_set_tlsext_servername_callback, without the macro's C cast.
  SSL_CTX_callback_ctrl(fallback_->native_handle(), SSL_CTRL_SET_TLSEXT_SERVERNAME_CB,
                        reinterpret_cast<void (*)()>(on_server_name));
}

void SniContexts::add(std::string_view host_name, std::shared_ptr<const TlsContext> context) {
  std::string key = canonical_host(host_name);
  if (key.empty()) throw std::invalid_argument("an empty host name cannot select a certificate");
  if (!context || context->ticket_keys() != fallback_->ticket_keys()) {
    throw std::invalid_argument("the certificate for " + key +
                                " must share the fallback's session ticket keys");
  }
  if (!by_name_.emplace(key, std::move(context)).second) {
    throw std::invalid_argument("two certificates for the host name " + key);
  }
}

const TlsContext& SniContexts::pick(std::string_view server_name) const {
  const auto found = by_name_.find(canonical_host(server_name));
  return found == by_name_.end() ? *fallback_ : *found->second;
}

void SniContexts::attach(SSL* ssl) const {
  SSL_set_ex_data(ssl, ssl_ex_data_index(), const_cast<SniContexts*>(this));
}

}  // namespace hybrid::tls
