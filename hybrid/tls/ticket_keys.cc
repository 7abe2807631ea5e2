#include "hybrid/tls/ticket_keys.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace hybrid::tls {
namespace {

bool fill_random(TicketKeys::Key& key) {
  return RAND_bytes(key.name.data(), static_cast<int>(key.name.size())) == 1 &&
         RAND_priv_bytes(key.aes.data(), static_cast<int>(key.aes.size())) == 1 &&
         RAND_priv_bytes(key.hmac.data(), static_cast<int>(key.hmac.size())) == 1;
}

void forget(TicketKeys::Key& key) {
  OPENSSL_cleanse(&key, sizeof key);
}

int ex_data_index() {
  static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

bool set_hmac_key(EVP_MAC_CTX* mac, TicketKeys::Key& key) {
  char digest[] = "SHA256";
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY, key.hmac.data(), key.hmac.size()),
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_end()};
  return EVP_MAC_CTX_set_params(mac, params) == 1;
}

// OpenSSL's contract (SSL_CTX_set_tlsext_ticket_key_evp_cb(3)): sealing returns 1 after
// filling name, IV and both contexts; opening returns 1 (key found), 2 (found, but issue a new
// ticket under the current key), 0 (unknown key: full handshake) or -1 (failure).
int on_ticket(SSL* ssl, unsigned char* name, unsigned char* iv, EVP_CIPHER_CTX* cipher,
              EVP_MAC_CTX* mac, int seal) {
  TicketKeys* keys = TicketKeys::installed_in(SSL_get_SSL_CTX(ssl));
  if (keys == nullptr) return -1;
  const auto now = TicketKeys::Clock::now();
  if (seal != 0) {
    TicketKeys::Key key = keys->current(now);
    const bool sealed =
        RAND_bytes(iv, EVP_CIPHER_get_iv_length(EVP_aes_256_cbc())) == 1 &&
        EVP_EncryptInit_ex(cipher, EVP_aes_256_cbc(), nullptr, key.aes.data(), iv) == 1 &&
        set_hmac_key(mac, key);
    std::memcpy(name, key.name.data(), key.name.size());
    forget(key);
    return sealed ? 1 : -1;
  }
  std::optional<TicketKeys::Found> found = keys->find(name, now);
  if (!found) return 0;
  const bool opened =
      EVP_DecryptInit_ex(cipher, EVP_aes_256_cbc(), nullptr, found->key.aes.data(), iv) == 1 &&
      set_hmac_key(mac, found->key);
  forget(found->key);
  if (!opened) return -1;
  // Always a fresh ticket, not only for a previous key's: TLS 1.3 clients use each ticket once
  // (RFC 8446 §C.4), and after a resumption OpenSSL sends a new ticket only when told to, so a
  // plain 1 here made every other connection of such a client a full handshake (measured: 500
  // of 1098 resumed, benches/compare --tls). A ticket costs one AES and one HMAC.
  return 2;
}

}  // namespace

TicketKeys::TicketKeys(std::chrono::seconds period, Clock::time_point now)
    : period_(period), current_since_(now) {
  if (period <= std::chrono::seconds::zero()) {
    throw std::invalid_argument("the session ticket key period must be positive");
  }
  if (!fill_random(current_)) throw std::runtime_error("no random bytes for a ticket key");
}

TicketKeys::~TicketKeys() {
  forget(current_);
  if (previous_) forget(*previous_);
}

bool TicketKeys::rotate(Clock::time_point now) {
  Key fresh;
  if (!fill_random(fresh)) return false;
  std::lock_guard lock(mutex_);
  if (previous_) forget(*previous_);
  previous_ = current_;
  current_ = fresh;
  current_since_ = now;
  forget(fresh);
  return true;
}

void TicketKeys::rotate_if_due(Clock::time_point now) {
  if (now - current_since_ < period_) return;
  Key fresh;
  if (!fill_random(fresh)) return;  // keep sealing with the old key rather than fail handshakes
  if (previous_) forget(*previous_);
  // Idle for two periods or more: the current key is as stale as a previous one would be.
  if (now - current_since_ < 2 * period_) {
    previous_ = current_;
  } else {
    previous_.reset();
  }
  current_ = fresh;
  current_since_ = now;
  forget(fresh);
}

TicketKeys::Key TicketKeys::current(Clock::time_point now) {
  std::lock_guard lock(mutex_);
  rotate_if_due(now);
  return current_;
}

std::optional<TicketKeys::Found> TicketKeys::find(const unsigned char* name,
                                                  Clock::time_point now) {
  std::lock_guard lock(mutex_);
  rotate_if_due(now);
  const auto named = [name](const Key& key) {
    return std::equal(key.name.begin(), key.name.end(), name);
  };
  if (named(current_)) return Found{current_, true};
  if (previous_ && named(*previous_)) return Found{*previous_, false};
  return std::nullopt;
}

void TicketKeys::install(SSL_CTX* context) {
  SSL_CTX_set_ex_data(context, ex_data_index(), this);
  SSL_CTX_set_tlsext_ticket_key_evp_cb(context, on_ticket);
}

TicketKeys* TicketKeys::installed_in(const SSL_CTX* context) {
  return static_cast<TicketKeys*>(SSL_CTX_get_ex_data(context, ex_data_index()));
}

}  // namespace hybrid::tls
