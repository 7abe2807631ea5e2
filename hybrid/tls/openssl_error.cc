#include "hybrid/tls/openssl_error.h"

#include <openssl/err.h>

namespace hybrid::tls {

std::string take_openssl_errors() {
  std::string reasons;
  while (const unsigned long error = ERR_get_error()) {
    if (!reasons.empty()) reasons += "; ";
    const char* reason = ERR_reason_error_string(error);
    if (reason != nullptr) {
      reasons += reason;
    } else {
      char code[256];
      ERR_error_string_n(error, code, sizeof code);
      reasons += code;
    }
  }
  return reasons;
}

}  // namespace hybrid::tls
