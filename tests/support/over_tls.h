// Running a black-box suite a second time over HTTPS: with HYBRID_TEST_OVER_TLS=1 in the
// environment, every TestClient speaks TLS to the server (verifying its certificate) and every
// hybridd that ServerProcess starts gets --tls-cert and --tls-key. The test's own assertions stay
// the same, so the suite checks that TLS changes nothing a client can see but the transport.
#pragma once

#include <filesystem>

namespace hybrid::test {

bool tests_run_over_tls();

// A self-signed ECDSA P-256 certificate for "localhost" and 127.0.0.1, made by the `openssl`
// command at first use in a temporary directory (no key is ever committed).
struct OverTlsFiles {
  std::filesystem::path certificate;
  std::filesystem::path key;
};
const OverTlsFiles& over_tls_files();

}  // namespace hybrid::test
