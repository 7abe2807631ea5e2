// libFuzzer target for the request-head parser. Besides "no crash, no out-of-bounds read" (ASan,
// and libFuzzer hands us a heap block of exactly `size` bytes), it checks the contracts in
// request_parser.h that a wrong index would silently break.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "hybrid/http/request_parser.h"

namespace {

using hybrid::http::find_head_end;
using hybrid::http::Header;
using hybrid::http::parse_request;
using hybrid::http::ParseLimits;
using hybrid::http::ParseResult;
using hybrid::http::ParseStatus;
using hybrid::http::Request;

// abort() rather than assert(): the check must survive -DNDEBUG (RelWithDebInfo).
void check(bool condition) {
  if (!condition) std::abort();
}

// Comparing addresses of unrelated objects is unspecified, so compare as integers.
bool inside(std::string_view view, std::string_view buffer) {
  const auto begin = reinterpret_cast<std::uintptr_t>(buffer.data());
  const auto first = reinterpret_cast<std::uintptr_t>(view.data());
  return view.empty() || (first >= begin && first + view.size() <= begin + buffer.size());
}

void check_views(const Request& request, std::string_view head) {
  check(inside(request.method_token, head));
  check(inside(request.target, head));
  check(!request.method_token.empty() && !request.target.empty());
  check(request.header_count <= hybrid::http::kMaxHeaders);
  for (const Header& header : request.headers()) {
    check(inside(header.name, head) && inside(header.value, head));
    check(!header.name.empty());
    // Trimmed values never start or end with whitespace.
    if (!header.value.empty()) {
      check(header.value.front() != ' ' && header.value.front() != '\t');
      check(header.value.back() != ' ' && header.value.back() != '\t');
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view buffer(reinterpret_cast<const char*>(data), size);

  // Small limits reach the 414/431 paths with short inputs; the defaults cover the rest.
  constexpr ParseLimits kSmall{.max_request_line = 64, .max_head_bytes = 256};
  for (const ParseLimits& limits : {ParseLimits{}, kSmall}) {
    Request request;
    const ParseResult result = parse_request(buffer, request, limits);
    if (result.status != ParseStatus::kComplete) continue;
    check(result.consumed <= size && result.consumed <= limits.max_head_bytes);
    // Views lie inside the head itself, not merely inside the buffer.
    check_views(request, buffer.substr(0, result.consumed));
    // The head ends with its empty line.
    check(buffer.substr(0, result.consumed).ends_with("\r\n\r\n"));
  }

  // find_head_end: a one-shot search agrees with the parser (header contract) ...
  Request request;
  const ParseResult unlimited =
      parse_request(buffer, request, ParseLimits{.max_request_line = size, .max_head_bytes = size});
  const std::size_t one_shot = find_head_end(buffer, 0);
  if (unlimited.status == ParseStatus::kComplete) check(one_shot == unlimited.consumed);
  if (one_shot != std::string_view::npos) {
    check(one_shot <= size);
    check(unlimited.status != ParseStatus::kIncomplete);
    if (unlimited.status == ParseStatus::kComplete) check(unlimited.consumed == one_shot);
  }

  // ... and an incremental search in reads whose sizes come from the input equals it.
  std::size_t scanned = 0;
  std::size_t incremental = std::string_view::npos;
  std::size_t length = 0;
  while (length < size) {
    length += 1 + static_cast<std::size_t>(data[length] % 7);
    if (length > size) length = size;
    incremental = find_head_end(buffer.substr(0, length), scanned);
    if (incremental != std::string_view::npos) break;
    scanned = length;
  }
  check(incremental == one_shot);
  return 0;
}
