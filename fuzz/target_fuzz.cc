// Fuzzes the request-target pipeline a server runs on every request: split_target, then
// normalize_path on the path, then encode_location_path on the result (as a redirect would),
// checking the properties that keep a file lookup inside the document root.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "hybrid/http/target.h"

namespace {

using hybrid::http::Status;

// Abort (not assert) so the checks survive NDEBUG builds.
void check(bool condition) {
  if (!condition) std::abort();
}

void check_relative_path(std::string_view path) {
  check(!path.starts_with('/'));
  check(!path.ends_with('/'));
  for (char c : path) {
    const auto byte = static_cast<unsigned char>(c);
    check(byte >= 0x20 && byte != 0x7f && c != '\\');
  }
  // Every segment is a plain name: no empty (//), "." or ".." segment survives.
  std::size_t start = 0;
  while (!path.empty() && start <= path.size()) {
    const std::size_t end = std::min(path.find('/', start), path.size());
    const std::string_view segment = path.substr(start, end - start);
    check(!segment.empty() && segment != "." && segment != "..");
    start = end + 1;
  }
}

void check_location(std::string_view location) {
  check(location.starts_with('/'));
  check(!location.starts_with("//"));
  for (char c : location) {
    const auto byte = static_cast<unsigned char>(c);
    check(byte > 0x20 && byte < 0x7f && c != '\\' && c != '?' && c != '#' && c != '"');
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  // normalize_path directly, on exactly-sized output so ASan catches any write past the end.
  std::vector<char> out(input.size());
  hybrid::http::NormalizedPath direct = hybrid::http::normalize_path(input, out);
  check(direct.status == Status::kOk || direct.status == Status::kBadRequest);
  if (direct.status == Status::kOk) {
    check(direct.length <= out.size());
    check_relative_path(std::string_view(out.data(), direct.length));
  }

  hybrid::http::TargetParts parts;
  if (!hybrid::http::split_target(input, parts)) return 0;
  check(parts.path.starts_with('/'));
  check(parts.path.find_first_of("?#") == std::string_view::npos);

  std::vector<char> path(parts.path.size());
  const hybrid::http::NormalizedPath normalized = hybrid::http::normalize_path(parts.path, path);
  if (normalized.status != Status::kOk) return 0;
  const std::string_view relative(path.data(), normalized.length);
  check_relative_path(relative);
  if (relative.empty()) check(normalized.trailing_slash);

  // Encode, then normalize the encoding again: the redirect must lead to the same file.
  std::vector<char> location(3 * relative.size() + 2);
  const std::size_t location_size = hybrid::http::encode_location_path(relative, location);
  check(location_size > 0);
  const std::string_view encoded(location.data(), location_size);
  check_location(encoded);
  std::vector<char> again(encoded.size());
  const hybrid::http::NormalizedPath round_trip = hybrid::http::normalize_path(encoded, again);
  check(round_trip.status == Status::kOk);
  check(std::string_view(again.data(), round_trip.length) == relative);

  // Arbitrary bytes as a "relative path" (a caller's bug) still give a safe single-slash Location.
  std::vector<char> raw(3 * input.size() + 2);
  const std::size_t raw_size = hybrid::http::encode_location_path(input, raw);
  check(raw_size > 0);
  check_location(std::string_view(raw.data(), raw_size));
  return 0;
}
