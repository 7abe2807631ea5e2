// Session-ticket keys that rotate: a server can resume a TLS session from a ticket the client
// keeps (RFC 8446 §4.6.1, RFC 5077) without storing anything per session, but a ticket key that
// never changes would let whoever steals it decrypt every recorded session resumed with it, so
// the key is replaced every period. The previous key still opens tickets, so a ticket issued
// just before a rotation resumes; after the second rotation it no longer does.
//
// Thread-safety: every member may be called from any thread (the ticket callback runs on
// whichever worker does the handshake); a mutex guards the two keys.
#pragma once

#include <openssl/types.h>

#include <array>
#include <chrono>
#include <cstddef>
#include <mutex>
#include <optional>

namespace hybrid::tls {

class TicketKeys {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::size_t kNameBytes = 16;  // what OpenSSL's ticket callback passes

  struct Key {
    std::array<unsigned char, kNameBytes> name{};  // random: which key sealed a ticket
    std::array<unsigned char, 32> aes{};           // AES-256-CBC
    std::array<unsigned char, 32> hmac{};          // HMAC-SHA256
  };
  struct Found {
    Key key;
    bool is_current;  // false: the previous key; the ticket should be renewed
  };

  // Throws std::runtime_error if the random generator fails.
  explicit TicketKeys(std::chrono::seconds period, Clock::time_point now = Clock::now());
  ~TicketKeys();
  TicketKeys(const TicketKeys&) = delete;
  TicketKeys& operator=(const TicketKeys&) = delete;

  std::chrono::seconds period() const { return period_; }

  // A new current key; the current one becomes the previous, the previous one is forgotten.
  // Returns false (and keeps the keys) if the random generator fails.
  bool rotate(Clock::time_point now = Clock::now());

  // The key to seal a new ticket with, after rotating if the current one is a period old.
  Key current(Clock::time_point now);
  // The key named `name`, if it is the current or the previous one (after rotating if due).
  std::optional<Found> find(const unsigned char* name, Clock::time_point now);

  // Makes `context` issue and accept tickets sealed with these keys; the keys must outlive it.
  void install(SSL_CTX* context);
  // The keys installed in `context`, or null.
  static TicketKeys* installed_in(const SSL_CTX* context);

 private:
  void rotate_if_due(Clock::time_point now);  // with mutex_ held

  const std::chrono::seconds period_;
  std::mutex mutex_;
  Key current_;
  std::optional<Key> previous_;
  Clock::time_point current_since_;
};

}  // namespace hybrid::tls
