#include "tests/support/over_tls.h"

#include <cstdlib>
#include <stdexcept>
#include <string>
#include <string_view>

#include "tests/support/temp_dir.h"

namespace hybrid::test {

bool tests_run_over_tls() {
  const char* value = std::getenv("HYBRID_TEST_OVER_TLS");
  return value != nullptr && std::string_view(value) == "1";
}

const OverTlsFiles& over_tls_files() {
  static TempDir directory;
  static const OverTlsFiles files = [] {
    OverTlsFiles made{directory.path() / "cert.pem", directory.path() / "key.pem"};
    const std::string command =
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 "
        "-subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout '" +
        made.key.string() + "' -out '" + made.certificate.string() + "' 2>&1 >/dev/null";
    if (std::system(command.c_str()) != 0) {
      throw std::runtime_error("openssl could not make the test certificate: " + command);
    }
    return made;
  }();
  return files;
}

}  // namespace hybrid::test
