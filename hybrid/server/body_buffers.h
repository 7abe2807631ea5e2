// Storage for large request and response bodies, kept for the next body instead of freed.
//
// Why: glibc gives the top of a heap back to the kernel once more than 128 KiB of it is free, so
// a server that collects a 64 KiB body, echoes it and frees it faults every page of the next body
// in again (and flushes the TLB when it gives them back). Measured on POST /api/echo of 64 KiB at
// 10 connections: half of the server's CPU in page faults and madvise. Bodies move between
// threads (collected by one, freed by another), so the buffers are shared: a lock-free stack,
// any thread may take or give.
#pragma once

#include <boost/lockfree/stack.hpp>
#include <cstddef>
#include <string>

namespace hybrid::server {

class BodyBuffers {
 public:
  // Worth keeping: at least kMinKept bytes of capacity (smaller ones cost malloc nothing worth
  // saving), at most kMaxKept (a rare huge body does not stay resident). At most kCount kept:
  // 8 MiB at worst.
  static constexpr std::size_t kMinKept = 16 * 1024;
  static constexpr std::size_t kMaxKept = 256 * 1024;
  static constexpr std::size_t kCount = 32;

  BodyBuffers() = default;
  ~BodyBuffers();
  BodyBuffers(const BodyBuffers&) = delete;
  BodyBuffers& operator=(const BodyBuffers&) = delete;

  // An empty string, with a kept buffer's capacity when there is one. Any thread.
  std::string take();
  // Keeps `buffer`'s storage for a later take() when it is worth keeping and there is room;
  // frees it otherwise. Any thread.
  void give(std::string buffer);

 private:
  boost::lockfree::stack<std::string*, boost::lockfree::capacity<kCount>> kept_;
};

}  // namespace hybrid::server
