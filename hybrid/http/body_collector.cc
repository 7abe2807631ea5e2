#include "hybrid/http/body_collector.h"

#include <cstring>
#include <string_view>

namespace hybrid::http {

BodyCollector::BodyCollector(BodyFraming framing, const BodyLimits& limits)
    : reader_(framing, limits) {}

std::size_t BodyCollector::collect(std::span<char> after_head) {
  std::size_t position = 0;
  while (position < after_head.size() && !reader_.finished()) {
    const BodyStep step = reader_.advance(
        std::string_view(after_head.data() + position, after_head.size() - position));
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
