#include "hybrid/http/body_collector.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <utility>

namespace hybrid::http {

BodyCollector::BodyCollector(BodyFraming framing, const BodyLimits& limits, std::string storage)
    : reader_(framing, limits),
      max_payload_(static_cast<std::size_t>(
          std::min<std::uint64_t>(limits.max_body_bytes, std::size_t{1} << 30))),
      payload_(std::move(storage)) {
  payload_.clear();
  // A known length is allocated once: growing by doubling copied a 64 KiB body twice more and
  // ended in a 128 KiB block, which glibc serves with mmap, so every page faulted afresh on each
  // request. Pages the client never sends stay untouched, so a short body announced long costs
  // address space, not memory; past kMaxUpfront it grows as it arrives.
  constexpr std::uint64_t kMaxUpfront = 8 << 20;
  if (framing.kind == BodyKind::kLength && reader_.error() == Status::kOk) {
    payload_.reserve(static_cast<std::size_t>(std::min(framing.length, kMaxUpfront)));
  }
}

void BodyCollector::grow(std::size_t needed) {
  // A chunked body's length is unknown: start at 64 KiB and double. Growing from the string's
  // own 15 bytes took five reallocations to reach 64 KiB and ended in a 128 KiB block, served by
  // mmap and faulted in afresh on every request (POST /api/echo of 64 KiB in 16 KiB chunks:
  // ~275 µs of server CPU per request, most of it page faults).
  constexpr std::size_t kFirstChunked = 64 * 1024;
  const std::size_t wanted = std::max({payload_.size() + needed, 2 * payload_.capacity(),
                                       std::min<std::size_t>(kFirstChunked, max_payload_)});
  payload_.reserve(std::min(wanted, std::max(max_payload_, payload_.size() + needed)));
}

std::size_t BodyCollector::collect(std::span<char> after_head) {
  std::size_t position = 0;
  while (position < after_head.size() && !reader_.finished()) {
    const BodyStep step = reader_.advance(
        std::string_view(after_head.data() + position, after_head.size() - position));
    if (step.data.size() > payload_.capacity() - payload_.size()) grow(step.data.size());
    payload_.append(step.data);
    position += step.consumed;
    if (step.consumed == 0) break;  // an error: the offending byte stays
  }
  const std::size_t rest = after_head.size() - position;
  // Later bytes (the next request's) close the gap, right behind the head.
  if (position > 0 && rest > 0) std::memmove(after_head.data(), after_head.data() + position, rest);
  return rest;
}

}  // namespace hybrid::http
