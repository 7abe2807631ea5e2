#include "hybrid/server/body_buffers.h"

#include <memory>
#include <utility>

namespace hybrid::server {

BodyBuffers::~BodyBuffers() {
  kept_.consume_all([](std::string* buffer) { delete buffer; });
}

std::string BodyBuffers::take() {
  std::string* kept = nullptr;
  if (!kept_.pop(kept)) return {};
  std::unique_ptr<std::string> owner(kept);
  return std::move(*owner);
}

void BodyBuffers::give(std::string buffer) {
  if (buffer.capacity() < kMinKept || buffer.capacity() > kMaxKept) return;
  buffer.clear();
  auto kept = std::make_unique<std::string>(std::move(buffer));
  if (kept_.bounded_push(kept.get())) kept.release();
}

}  // namespace hybrid::server
