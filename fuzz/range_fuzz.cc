// Fuzzes the header values a range request brings: parse_range against sizes from empty to
// UINT64_MAX, with the multipart framing built from the result, then choose_coding and
// if_range_allows_range on the same bytes. Checks the properties the file responder relies on:
// every range lies inside the file, ranges ascend with gaps (so a 206 is never larger than the
// 200), and Content-Length computed up front equals the bytes actually framed.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string_view>
#include <vector>

#include "hybrid/http/content_coding.h"
#include "hybrid/http/range.h"

namespace {

using hybrid::http::AvailableCodings;
using hybrid::http::ByteRange;
using hybrid::http::Coding;
using hybrid::http::RangeOutcome;
using hybrid::http::RangeSet;

// Abort (not assert) so the checks survive NDEBUG builds.
void check(bool condition) {
  if (!condition) std::abort();
}

void check_multipart(const RangeSet& set, std::uint64_t size) {
  constexpr std::string_view kBoundary = "0123456789abcdef0123456789abcdef";
  constexpr std::string_view kType = "application/octet-stream";
  std::uint64_t total = 0;
  bool first = true;
  for (const ByteRange& range : set.parts()) {
    // Exactly the documented capacity, so ASan sees any write past it.
    std::vector<char> head(hybrid::http::kPartHeadOverhead + kType.size());
    const std::size_t written =
        hybrid::http::format_part_head(head, kBoundary, kType, range, size, first);
    check(written > 0);
    total += written + range.length();
    first = false;
  }
  std::vector<char> tail(kBoundary.size() + 8);
  const std::size_t tail_size = hybrid::http::format_multipart_tail(tail, kBoundary);
  check(tail_size == tail.size());
  check(hybrid::http::multipart_length(set, kBoundary, kType, size) == total + tail_size);
}

void check_ranges(std::string_view input, std::uint64_t size) {
  const RangeSet set = hybrid::http::parse_range(input, size);
  check(set.count <= hybrid::http::kMaxRanges);
  if (set.outcome != RangeOutcome::kSatisfiable) {
    check(set.count == 0);
    return;
  }
  check(set.count > 0);
  check(size > 0);
  std::uint64_t sum = 0;
  for (std::size_t i = 0; i < set.count; ++i) {
    const ByteRange range = set.ranges[i];
    check(range.first <= range.last);
    check(range.last < size);
    if (i > 0) check(set.ranges[i - 1].last + 1 < range.first);  // ascending, not even adjacent
    sum += range.length();
    check(sum <= size);

    std::array<char, hybrid::http::kMaxContentRangeLength> value;
    check(hybrid::http::format_content_range(value, range, size) > 0);
  }
  // Below 2^62 bytes the framing cannot overflow 64 bits (a real file is below 2^63).
  if (size < (std::uint64_t{1} << 62)) check_multipart(set, size);
}

void check_coding(std::string_view input) {
  constexpr AvailableCodings kAll[] = {{false, false}, {false, true}, {true, false}, {true, true}};
  std::array<std::optional<Coding>, 4> chosen;
  for (std::size_t i = 0; i < 4; ++i) {
    chosen[i] = hybrid::http::choose_coding(input, kAll[i]);
    check(chosen[i] != Coding::kGzip || kAll[i].gzip);
    check(chosen[i] != Coding::kBrotli || kAll[i].brotli);
  }
  // Refusing everything with both variants available means identity was refused too, and
  // identity acceptable on its own means something is acceptable whatever is available.
  if (!chosen[3]) check(!chosen[0]);
  if (chosen[0]) check(chosen[1] && chosen[2] && chosen[3]);
  check(hybrid::http::choose_coding(std::nullopt, kAll[3]) == Coding::kIdentity);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  // Empty, tiny, ordinary, the largest off_t, and the extremes of the type.
  constexpr std::uint64_t kLargestFile = (std::uint64_t{1} << 63) - 1;
  constexpr std::uint64_t kMax = UINT64_MAX;
  constexpr std::uint64_t kSizes[] = {0, 1, 2, 10, 100, 10000, kLargestFile, kMax - 1, kMax};
  for (std::uint64_t file_size : kSizes) check_ranges(input, file_size);
  check_ranges(input, size);  // a size the fuzzer controls too

  check_coding(input);

  // A weak tag never matches, whatever the server's tag; a strong one only itself.
  if (input.starts_with("W/")) check(!hybrid::http::if_range_allows_range(input, input, 0));
  if (hybrid::http::if_range_allows_range(input, "\"fixed\"", std::nullopt)) {
    check(input == "\"fixed\"");
  }
  return 0;
}
