#include "hybrid/http/body_collector.h"

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>

namespace hybrid::http {
namespace {

constexpr BodyFraming kChunked{BodyKind::kChunked, 0};

BodyFraming length(std::uint64_t bytes) {
  return {BodyKind::kLength, bytes};
}

// Collects from `buffer` as a connection does from the bytes after a head: the buffer keeps
// what collect() left at its front.
void collect(BodyCollector& collector, std::string& buffer) {
  buffer.resize(collector.collect(std::span<char>(buffer.data(), buffer.size())));
}

TEST(BodyCollector, ContentLengthBodyBecomesThePayload) {
  BodyCollector collector(length(5));
  std::string buffer = "hello";
  collect(collector, buffer);
  EXPECT_TRUE(collector.done());
  EXPECT_EQ(collector.payload(), "hello");
  EXPECT_EQ(buffer, "");
}

TEST(BodyCollector, BytesAfterTheBodyMoveToTheFrontUnchanged) {
  BodyCollector collector(length(5));
  std::string buffer = "helloGET / HTTP/1.1\r\n\r\n";
  collect(collector, buffer);
  EXPECT_TRUE(collector.done());
  EXPECT_EQ(buffer, "GET / HTTP/1.1\r\n\r\n");
}

TEST(BodyCollector, UnfinishedBodyTakesEveryByte) {
  BodyCollector collector(length(10));
  std::string buffer = "hello";
  collect(collector, buffer);
  EXPECT_FALSE(collector.finished());
  EXPECT_EQ(collector.payload(), "hello");
  EXPECT_EQ(buffer, "");
}

TEST(BodyCollector, LaterReadsAppendToThePayload) {
  BodyCollector collector(length(10));
  std::string first = "hello";
  std::string second = "world!";
  collect(collector, first);
  collect(collector, second);
  EXPECT_TRUE(collector.done());
  EXPECT_EQ(collector.payload(), "helloworld");
  EXPECT_EQ(second, "!");
}

TEST(BodyCollector, EmptyInputChangesNothing) {
  BodyCollector collector(length(3));
  std::string buffer;
  collect(collector, buffer);
  EXPECT_FALSE(collector.finished());
  EXPECT_EQ(collector.payload(), "");
}

TEST(BodyCollector, BytesBeforeTheSpanAreNotTouched) {
  // The head stays at the front of the connection's buffer; only the part after it is given.
  BodyCollector collector(length(4));
  std::string buffer = "HEADbodyNEXT";
  const std::size_t rest = collector.collect(std::span<char>(buffer.data() + 4, 8));
  buffer.resize(4 + rest);
  EXPECT_EQ(buffer, "HEADNEXT");
  EXPECT_EQ(collector.payload(), "body");
}

TEST(BodyCollector, ChunkedBodyIsDecoded) {
  BodyCollector collector(kChunked);
  std::string buffer = "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n";
  collect(collector, buffer);
  EXPECT_TRUE(collector.done());
  EXPECT_EQ(collector.payload(), "hello world");
  EXPECT_EQ(buffer, "");
}

TEST(BodyCollector, ChunkExtensionsAndTrailersAreDropped) {
  BodyCollector collector(kChunked);
  std::string buffer = "3;name=\"v\";x\r\nabc\r\n0;last\r\nDigest: sha-256=x\r\n\r\nNEXT";
  collect(collector, buffer);
  EXPECT_TRUE(collector.done());
  EXPECT_EQ(collector.payload(), "abc");
  EXPECT_EQ(buffer, "NEXT");
}

TEST(BodyCollector, ChunkedBodySplitAtEveryByteCollectsTheSame) {
  const std::string wire =
      "4;a=b\r\nWiki\r\n5\r\npedia\r\n0\r\nX-T: 1\r\n\r\nGET / HTTP/1.1\r\n\r\n";
  for (std::size_t split = 0; split <= wire.size(); ++split) {
    BodyCollector collector(kChunked);
    std::string first = wire.substr(0, split);
    collect(collector, first);
    // What the first read left (the next request's bytes, if any) stays ahead of the second.
    std::string second = first + wire.substr(split);
    collect(collector, second);
    EXPECT_TRUE(collector.done()) << "split at " << split;
    EXPECT_EQ(collector.payload(), "Wikipedia") << "split at " << split;
    EXPECT_EQ(second, "GET / HTTP/1.1\r\n\r\n") << "split at " << split;
  }
}

TEST(BodyCollector, OversizeContentLengthFailsBeforeReading) {
  BodyCollector collector(length(11), {.max_body_bytes = 10});
  EXPECT_EQ(collector.error(), Status::kContentTooLarge);
  std::string buffer = "hello world";
  collect(collector, buffer);
  EXPECT_EQ(buffer, "hello world");
  EXPECT_EQ(collector.payload(), "");
}

TEST(BodyCollector, OversizeChunkFailsBeforeItsData) {
  BodyCollector collector(kChunked, {.max_body_bytes = 4});
  std::string buffer = "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
  collect(collector, buffer);
  EXPECT_EQ(collector.error(), Status::kContentTooLarge);
  EXPECT_EQ(collector.payload(), "abc");
  EXPECT_EQ(buffer, "\nde\r\n0\r\n\r\n");  // from the LF that ended the line
}

TEST(BodyCollector, MalformedChunkKeepsTheOffendingByte) {
  BodyCollector collector(kChunked);
  std::string buffer = "3\r\nabc\nX";  // a bare LF where CRLF must follow the data
  collect(collector, buffer);
  EXPECT_EQ(collector.error(), Status::kBadRequest);
  EXPECT_EQ(collector.payload(), "abc");
  EXPECT_EQ(buffer, "\nX");
}

TEST(BodyCollector, FinishedCollectorTakesNothing) {
  BodyCollector collector(length(2));
  std::string first = "ab";
  collect(collector, first);
  std::string more = "cd";
  collect(collector, more);
  EXPECT_EQ(more, "cd");
  EXPECT_EQ(collector.payload(), "ab");
}

TEST(BodyCollector, NoBodyIsDoneAtOnce) {
  BodyCollector collector(BodyFraming{});
  EXPECT_TRUE(collector.done());
  std::string buffer = "GET / HTTP/1.1\r\n\r\n";
  collect(collector, buffer);
  EXPECT_EQ(buffer, "GET / HTTP/1.1\r\n\r\n");
}

TEST(BodyCollector, ContinueSentIsRemembered) {
  BodyCollector collector(length(1));
  EXPECT_FALSE(collector.continue_sent());
  collector.set_continue_sent();
  EXPECT_TRUE(collector.continue_sent());
}

TEST(BodyCollector, PayloadCanBeMovedOut) {
  BodyCollector collector(length(3));
  std::string buffer = "abc";
  collect(collector, buffer);
  const std::string taken = std::move(collector.payload());
  EXPECT_EQ(taken, "abc");
}

// ---- storage: one allocation where the size is known, few where it is not ----

TEST(BodyCollector, AnnouncedLengthIsCollectedInOneAllocation) {
  BodyCollector collector(length(64 * 1024));
  const char* storage = collector.payload().data();
  for (int piece = 0; piece < 4; ++piece) {
    std::string buffer(16 * 1024, static_cast<char>('a' + piece));
    collect(collector, buffer);
    EXPECT_EQ(collector.payload().data(), storage) << "reallocated after piece " << piece;
  }
  EXPECT_TRUE(collector.done());
  EXPECT_EQ(collector.payload().size(), 64u * 1024);
}

TEST(BodyCollector, ChunkedBodyOf64KiBIsCollectedInOneAllocation) {
  BodyCollector collector(kChunked);
  const char* storage = nullptr;
  for (int piece = 0; piece < 4; ++piece) {
    std::string buffer = "4000\r\n" + std::string(16 * 1024, 'x') + "\r\n";
    collect(collector, buffer);
    if (piece == 0) storage = collector.payload().data();
    EXPECT_EQ(collector.payload().data(), storage) << "reallocated at chunk " << piece;
  }
  std::string end = "0\r\n\r\n";
  collect(collector, end);
  EXPECT_TRUE(collector.done());
  EXPECT_EQ(collector.payload(), std::string(64 * 1024, 'x'));
}

TEST(BodyCollector, ChunkedStorageStaysWithinTheLimit) {
  BodyCollector collector(kChunked, BodyLimits{.max_body_bytes = 1000});
  std::string buffer = "a\r\n0123456789\r\n";
  collect(collector, buffer);
  EXPECT_EQ(collector.payload(), "0123456789");
  EXPECT_LT(collector.payload().capacity(), 2000u);
}

TEST(BodyCollector, CollectsIntoTheStorageItIsGiven) {
  std::string storage(100, 'o');  // old content: dropped
  storage.reserve(128 * 1024);
  const char* memory = storage.data();
  BodyCollector collector(length(64 * 1024), {}, std::move(storage));
  std::string buffer(64 * 1024, 'n');
  collect(collector, buffer);
  EXPECT_TRUE(collector.done());
  EXPECT_EQ(collector.payload().data(), memory);
  EXPECT_EQ(collector.payload(), std::string(64 * 1024, 'n'));
}

}  // namespace
}  // namespace hybrid::http
