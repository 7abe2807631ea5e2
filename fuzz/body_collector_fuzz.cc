// libFuzzer target for the body collector: the bytes after a request's head, collected in place as
// a connection does. The input's first bytes choose the framing, the limits and how the rest
// arrives in reads:
//   byte 0     bit 0: chunked, else Content-Length; bits 1-2: the limits (default, small, 0, 1 KiB)
//   bytes 1-2  Content-Length, little-endian (0: no body)
//   byte 3     low 4 bits: how many read sizes follow (0: one read of everything)
//   then       that many read sizes (0-255 bytes each, used in turn), then the wire bytes.
// Checks, beyond ASan/UBSan's: the reads give what one read gives (payload, done or error, the
// bytes left for the next request); that is what a plain BodyReader over the same bytes finds;
// the payload never exceeds max_body_bytes; the head in front of the collected bytes is never
// touched; an unfinished body takes every byte; a finished collector takes nothing.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>
#include <string_view>

#include "hybrid/http/body_collector.h"
#include "hybrid/http/body_framing.h"

namespace {

using hybrid::http::BodyCollector;
using hybrid::http::BodyFraming;
using hybrid::http::BodyKind;
using hybrid::http::BodyLimits;
using hybrid::http::BodyReader;
using hybrid::http::BodyStep;
using hybrid::http::Status;

// abort() rather than assert(): the check must survive -DNDEBUG (RelWithDebInfo).
void check(bool condition) {
  if (!condition) std::abort();
}

// What stays in front of the collected bytes, as a request's head does in a connection's input.
constexpr std::string_view kHead = "POST /upload HTTP/1.1\r\nHost: fuzz\r\n\r\n";

struct Outcome {
  std::string payload;
  bool done = false;
  Status error = Status::kOk;
  std::string rest;  // the bytes left after the head: the next request's, or the undecodable

  bool operator==(const Outcome&) const = default;
};

// The wire bytes arriving in reads of the given sizes (used in turn), collected after each read
// like Connection::frame_input() does, into one buffer that starts with the head.
Outcome collect(BodyFraming framing, const BodyLimits& limits, std::string_view wire,
                std::span<const std::uint8_t> read_sizes) {
  BodyCollector collector(framing, limits);
  std::string buffer(kHead);
  std::size_t next_size = 0;
  while (true) {
    std::size_t take = wire.size();
    if (!read_sizes.empty()) take = std::min<std::size_t>(read_sizes[next_size], wire.size());
    next_size = read_sizes.empty() ? 0 : (next_size + 1) % read_sizes.size();
    buffer.append(wire.substr(0, take));
    wire.remove_prefix(take);

    const bool was_finished = collector.finished();
    const std::string before = was_finished ? buffer : std::string();
    const std::size_t after_head = buffer.size() - kHead.size();
    const std::size_t left = collector.collect({buffer.data() + kHead.size(), after_head});
    check(left <= after_head);
    buffer.resize(kHead.size() + left);
    check(std::string_view(buffer).starts_with(kHead));
    if (was_finished) check(buffer == before);                       // takes nothing
    if (!collector.finished()) check(left == 0);                     // every byte is the body's
    check(collector.payload().size() <= limits.max_body_bytes);      // RFC 9110 §15.5.14
    check(!(collector.done() && collector.error() != Status::kOk));  // one or the other
    if (wire.empty()) break;
  }
  return {collector.payload(), collector.done(), collector.error(), buffer.substr(kHead.size())};
}

// The reference: a plain BodyReader over all the bytes at once; the rest is what it did not take.
Outcome read_whole(BodyFraming framing, const BodyLimits& limits, std::string_view wire) {
  BodyReader reader(framing, limits);
  Outcome outcome;
  std::size_t consumed = 0;
  while (consumed < wire.size() && !reader.finished()) {
    const BodyStep step = reader.advance(wire.substr(consumed));
    outcome.payload.append(step.data);
    consumed += step.consumed;
    if (step.consumed == 0) break;
  }
  outcome.done = reader.done();
  outcome.error = reader.error();
  outcome.rest = wire.substr(consumed);
  return outcome;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 4) return 0;
  const std::uint8_t flags = data[0];
  const std::uint64_t content_length = data[1] | (std::uint64_t{data[2]} << 8);
  const std::size_t size_count = std::min<std::size_t>(data[3] & 0x0f, size - 4);
  const std::span<const std::uint8_t> read_sizes(data + 4, size_count);
  const std::string_view wire(reinterpret_cast<const char*>(data + 4 + size_count),
                              size - 4 - size_count);

  BodyFraming framing;
  if ((flags & 1) != 0) {
    framing = {BodyKind::kChunked, 0};
  } else if (content_length > 0) {
    framing = {BodyKind::kLength, content_length};
  }
  // Small limits reach the 413 and the line and trailer bounds with short inputs.
  constexpr BodyLimits kLimits[] = {
      {},
      {.max_body_bytes = 64, .max_chunk_line = 16, .max_trailer_bytes = 32},
      {.max_body_bytes = 0, .max_chunk_line = 4, .max_trailer_bytes = 0},
      {.max_body_bytes = 1024, .max_chunk_line = 64, .max_trailer_bytes = 256},
  };
  const BodyLimits& limits = kLimits[(flags >> 1) & 3];

  const Outcome whole = collect(framing, limits, wire, {});
  check(whole == read_whole(framing, limits, wire));
  // The rest is exactly the input's tail: nothing after the body is lost, moved or altered.
  check(std::string_view(wire).ends_with(whole.rest));
  // Read sizes that are all 0 would never deliver a byte.
  bool delivers = false;
  for (const std::uint8_t read_size : read_sizes) delivers = delivers || read_size > 0;
  if (delivers) check(collect(framing, limits, wire, read_sizes) == whole);
  return 0;
}
