#include "hybrid/server/body_buffers.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstddef>
#include <string>
#include <thread>
#include <vector>

namespace hybrid::server {
namespace {

std::string with_capacity(std::size_t bytes) {
  std::string buffer;
  buffer.reserve(bytes);
  buffer.assign(100, 'x');  // content a later take() must not see
  return buffer;
}

TEST(BodyBuffers, NothingKeptGivesAnEmptyString) {
  BodyBuffers buffers;
  std::string taken = buffers.take();
  EXPECT_TRUE(taken.empty());
  EXPECT_LT(taken.capacity(), BodyBuffers::kMinKept);
}

TEST(BodyBuffers, ALargeBufferComesBackEmptyWithItsStorage) {
  BodyBuffers buffers;
  std::string body = with_capacity(64 * 1024);
  const char* storage = body.data();
  buffers.give(std::move(body));
  std::string taken = buffers.take();
  EXPECT_TRUE(taken.empty());
  EXPECT_EQ(taken.data(), storage);
  EXPECT_GE(taken.capacity(), 64u * 1024);
  EXPECT_TRUE(buffers.take().empty());  // taken once only
  EXPECT_LT(buffers.take().capacity(), BodyBuffers::kMinKept);
}

TEST(BodyBuffers, SmallAndHugeBuffersAreNotKept) {
  BodyBuffers buffers;
  buffers.give(with_capacity(BodyBuffers::kMinKept / 2));
  buffers.give(with_capacity(BodyBuffers::kMaxKept * 2));
  EXPECT_LT(buffers.take().capacity(), BodyBuffers::kMinKept);
}

TEST(BodyBuffers, AtMostCountBuffersAreKept) {
  BodyBuffers buffers;
  for (std::size_t i = 0; i < BodyBuffers::kCount + 10; ++i) buffers.give(with_capacity(32 * 1024));
  std::size_t kept = 0;
  while (buffers.take().capacity() >= BodyBuffers::kMinKept) ++kept;
  EXPECT_EQ(kept, BodyBuffers::kCount);
}

// Collected on one thread, freed on another: every buffer given is taken at most once.
TEST(BodyBuffers, ThreadsGiveAndTakeConcurrently) {
  BodyBuffers buffers;
  std::atomic<int> reused{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&buffers, &reused, t] {
      for (int i = 0; i < 2000; ++i) {
        std::string body = buffers.take();
        if (body.capacity() >= BodyBuffers::kMinKept) reused.fetch_add(1);
        EXPECT_TRUE(body.empty());
        body.reserve(20 * 1024);
        body.assign(16 * 1024, static_cast<char>('a' + t));  // writes the whole buffer
        buffers.give(std::move(body));
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_GT(reused.load(), 0);
}

}  // namespace
}  // namespace hybrid::server
