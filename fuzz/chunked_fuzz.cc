// libFuzzer target for the chunked decoder. The first byte chooses the limits and where the rest
// is split into two reads; the rest is the body. Besides ASan/UBSan's "no crash, no out-of-bounds
// read", it checks the contract in body_framing.h: any split decodes like one piece, data views
// lie inside the consumed bytes, and the payload never exceeds max_body_bytes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "hybrid/http/body_framing.h"

namespace {

using hybrid::http::BodyLimits;
using hybrid::http::ChunkedDecoder;
using hybrid::http::Status;

// abort() rather than assert(): the check must survive -DNDEBUG (RelWithDebInfo).
void check(bool condition) {
  if (!condition) std::abort();
}

struct Outcome {
  std::string payload;
  std::size_t consumed = 0;
  bool done = false;
  Status error = Status::kOk;

  bool operator==(const Outcome&) const = default;
};

// Feeds one read as a connection would: until it is used up or the decoder stops.
void feed(ChunkedDecoder& decoder, std::string_view piece, Outcome& outcome) {
  while (!outcome.done && outcome.error == Status::kOk) {
    const ChunkedDecoder::Step step = decoder.feed(piece);
    check(step.consumed <= piece.size());
    if (!step.data.empty()) {
      // Integers, not pointers: comparing unrelated pointers is unspecified.
      const auto begin = reinterpret_cast<std::uintptr_t>(piece.data());
      const auto first = reinterpret_cast<std::uintptr_t>(step.data.data());
      check(first >= begin && first + step.data.size() == begin + step.consumed);
    }
    check(step.done == decoder.done() && step.error == decoder.error());
    outcome.payload.append(step.data);
    outcome.consumed += step.consumed;
    outcome.done = step.done;
    outcome.error = step.error;
    piece.remove_prefix(step.consumed);
    if (piece.empty()) break;
    // Stopping early without finishing happens only after a data segment.
    check(step.done || step.error != Status::kOk || !step.data.empty());
  }
}

Outcome decode(std::string_view body, std::size_t split, const BodyLimits& limits) {
  ChunkedDecoder decoder(limits);
  Outcome outcome;
  feed(decoder, body.substr(0, split), outcome);
  feed(decoder, body.substr(split), outcome);
  // A finished decoder stays finished and takes nothing more.
  if (outcome.done || outcome.error != Status::kOk) {
    const ChunkedDecoder::Step again = decoder.feed(body);
    check(again.consumed == 0 && again.data.empty());
    check(again.done == outcome.done && again.error == outcome.error);
  }
  return outcome;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t selector = data[0];
  const std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);

  // Small limits reach the 413 and line/trailer bounds with short inputs.
  constexpr BodyLimits kSmall{.max_body_bytes = 64, .max_chunk_line = 16, .max_trailer_bytes = 32};
  const BodyLimits limits = (selector & 1) != 0 ? kSmall : BodyLimits{};
  const std::size_t split = (selector >> 1) * body.size() / 127;  // anywhere from 0 to the end

  const Outcome whole = decode(body, body.size(), limits);
  check(whole.consumed <= body.size());
  check(whole.payload.size() <= limits.max_body_bytes);
  check(!(whole.done && whole.error != Status::kOk));
  check(whole.error == Status::kOk || whole.error == Status::kBadRequest ||
        whole.error == Status::kContentTooLarge);
  // Unless it stopped, the decoder took every byte.
  if (!whole.done && whole.error == Status::kOk) check(whole.consumed == body.size());

  check(decode(body, split, limits) == whole);
  return 0;
}
