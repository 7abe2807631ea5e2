// The certificates a TLS listener serves, by host name (RFC 6066 §3, Server Name Indication):
// a fallback for clients that send no name or an unknown one, and one context per virtual host.
// Each TlsSession holds the set it started with, so a reload (SIGHUP) builds a new set and
// swaps it in while open connections keep theirs.
//
// Thread-safety: add() while building, from one thread; afterwards the set is immutable and
// pick() and the servername callback run on any thread.
#pragma once

#include <openssl/types.h>

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "hybrid/tls/tls_context.h"

namespace hybrid::tls {

class SniContexts {
 public:
  explicit SniContexts(std::shared_ptr<const TlsContext> fallback);

  // Serves `context` to clients naming `host_name` (compared without case and without one
  // trailing dot). Throws std::invalid_argument for an empty or duplicate name, or a context
  // whose ticket keys are not the fallback's: OpenSSL seals tickets with the keys of the context
  // a session started on and opens them with those of the context SNI picked, so one set of
  // contexts must share one TicketKeys.
  void add(std::string_view host_name, std::shared_ptr<const TlsContext> context);

  // The context for `server_name` ("" or unknown: the fallback).
  const TlsContext& pick(std::string_view server_name) const;

  // Makes `ssl` (new, created from fallback()) switch to pick(name) when its ClientHello names
  // a host. This set must outlive `ssl`.
  void attach(SSL* ssl) const;

  const TlsContext& fallback() const { return *fallback_; }

 private:
  std::shared_ptr<const TlsContext> fallback_;
  std::unordered_map<std::string, std::shared_ptr<const TlsContext>> by_name_;  // lower case
};

}  // namespace hybrid::tls
