#include "hybrid/server/response_exchange.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "hybrid/http/status.h"
#include "hybrid/server/handler.h"
#include "hybrid/server/service.h"

namespace hybrid::server {
namespace {

using namespace std::chrono_literals;

// Every wait for another thread is bounded by this, so a broken exchange fails instead of hanging.
constexpr auto kPatience = 5s;

// The reactor's side: records each exchange_ready() call (from any thread).
class RecordingListener final : public ExchangeListener {
 public:
  void exchange_ready(std::shared_ptr<ResponseExchange> exchange) override {
    {
      std::lock_guard lock(mutex_);
      calls_.push_back(std::move(exchange));
    }
    called_.notify_all();
  }

  std::size_t calls() const {
    std::lock_guard lock(mutex_);
    return calls_.size();
  }

  std::shared_ptr<ResponseExchange> last() const {
    std::lock_guard lock(mutex_);
    return calls_.empty() ? nullptr : calls_.back();
  }

  // Waits (bounded) until at least `count` calls have come.
  bool wait_for_calls(std::size_t count) {
    std::unique_lock lock(mutex_);
    return called_.wait_for(lock, kPatience, [&] { return calls_.size() >= count; });
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable called_;
  std::vector<std::shared_ptr<ResponseExchange>> calls_;
};

// The worker's side: "sends" by keeping the bytes.
class RecordingSink final : public InlineSink {
 public:
  bool send_now(std::string& bytes, std::chrono::steady_clock::time_point) override {
    ++calls;
    sent += bytes;
    bytes.clear();
    return succeed;
  }

  int calls = 0;
  std::string sent;
  bool succeed = true;
};

// A flag another thread raises, awaited with a bound.
class Signal {
 public:
  void raise() {
    {
      std::lock_guard lock(mutex_);
      raised_ = true;
    }
    changed_.notify_all();
  }
  bool wait_for(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return raised_; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  bool raised_ = false;
};

class ResponseExchangeTest : public testing::Test {
 protected:
  // Made on the test's thread, which is then the exchange's inline (worker) thread.
  std::shared_ptr<ResponseExchange> make(ExchangeRequest request = {}) {
    return std::make_shared<ResponseExchange>(std::move(request), hooks_, listener_, &sink_,
                                              &owner_);
  }

  // Takes the stream bytes as the owner does; returns them.
  static std::string take(ResponseExchange& exchange, bool* ended = nullptr) {
    std::string bytes;
    const bool done = exchange.take_stream_bytes(bytes);
    if (ended != nullptr) *ended = done;
    return bytes;
  }

  ServiceHooks hooks_;
  RecordingListener listener_;
  RecordingSink sink_;
  int owner_ = 0;
};

// ---- Responder ----

TEST_F(ResponseExchangeTest, ResponderAnswersOnce) {
  auto exchange = make();
  Responder responder = make_responder(exchange);
  EXPECT_TRUE(responder.send(Response::text("first")));
  EXPECT_FALSE(responder.send(Response::text("second")));
  ASSERT_EQ(exchange->answer(), ResponseExchange::Answer::kResponse);
  EXPECT_EQ(exchange->take_response().body, "first");
}

TEST_F(ResponseExchangeTest, ExchangeTakesOnlyTheFirstAnswer) {
  auto exchange = make();
  EXPECT_TRUE(exchange->respond(Response::text("first")));
  EXPECT_FALSE(exchange->respond(Response::text("second")));
  EXPECT_EQ(exchange->take_response().body, "first");
}

TEST_F(ResponseExchangeTest, DroppedResponderAnswers500) {
  auto exchange = make();
  { Responder dropped = make_responder(exchange); }
  ASSERT_EQ(exchange->answer(), ResponseExchange::Answer::kResponse);
  const Response response = exchange->take_response();
  EXPECT_EQ(response.status, 500);
  EXPECT_EQ(response.body, http::default_body(http::Status::kInternalServerError));
}

TEST_F(ResponseExchangeTest, DroppedResponderUsesTheErrorFormatter) {
  hooks_.error = [](int status) {
    return Response::json("{\"error\":" + std::to_string(status) + "}", status);
  };
  auto exchange = make();
  { Responder dropped = make_responder(exchange); }
  const Response response = exchange->take_response();
  EXPECT_EQ(response.status, 500);
  EXPECT_EQ(response.content_type, "application/json");
  EXPECT_EQ(response.body, "{\"error\":500}");
}

TEST_F(ResponseExchangeTest, MovedFromResponderDoesNothing) {
  auto exchange = make();
  Responder moved_from = make_responder(exchange);
  Responder holder = std::move(moved_from);
  EXPECT_FALSE(moved_from);
  EXPECT_FALSE(moved_from.connected());
  EXPECT_FALSE(moved_from.send(Response::text("from the moved-from")));
  { Responder gone = std::move(moved_from); }  // destroying it answers nothing either
  EXPECT_FALSE(exchange->answered());
  EXPECT_TRUE(holder.send(Response::text("from the holder")));
  EXPECT_EQ(exchange->take_response().body, "from the holder");
}

TEST_F(ResponseExchangeTest, AfterHookSeesTheResponseBeforeItIsKept) {
  hooks_.after = [](std::string_view, std::string_view, Response& response) {
    response.header("X-After", "1");
  };
  auto exchange = make();
  make_responder(exchange).send(Response::text("ok"));
  const Response response = exchange->take_response();
  ASSERT_EQ(response.headers.size(), 1U);
  EXPECT_EQ(response.headers[0].first, "X-After");
}

// ---- parking and the listener ----

TEST_F(ResponseExchangeTest, AnswerBeforeParkIsTheWorkersAndNotifiesNobody) {
  auto exchange = make();
  make_responder(exchange).send(Response::text("now"));
  EXPECT_EQ(exchange->park(), ResponseExchange::Answer::kResponse);
  EXPECT_EQ(listener_.calls(), 0U);
}

TEST_F(ResponseExchangeTest, ParkWithoutAnAnswerFindsNone) {
  auto exchange = make();
  Responder responder = make_responder(exchange);
  EXPECT_EQ(exchange->park(), ResponseExchange::Answer::kNone);
  EXPECT_EQ(exchange->answer(), ResponseExchange::Answer::kNone);
  EXPECT_EQ(listener_.calls(), 0U);
}

TEST_F(ResponseExchangeTest, AnswerFromAnotherThreadAfterParkNotifiesTheListenerOnce) {
  auto exchange = make();
  Responder responder = make_responder(exchange);
  ASSERT_EQ(exchange->park(), ResponseExchange::Answer::kNone);
  std::thread answering(
      [responder = std::move(responder)]() mutable { responder.send(Response::text("later")); });
  answering.join();
  EXPECT_EQ(listener_.calls(), 1U);
  EXPECT_EQ(listener_.last(), exchange);
  ASSERT_EQ(exchange->answer(), ResponseExchange::Answer::kResponse);
  EXPECT_EQ(exchange->take_response().body, "later");
}

TEST_F(ResponseExchangeTest, StreamWritesNotifyOnceUntilTheOwnerTakesThem) {
  auto exchange = make();
  ResponseStream stream = make_responder(exchange).stream();
  ASSERT_EQ(exchange->park(), ResponseExchange::Answer::kStream);
  take(*exchange);  // the worker sends the head
  std::thread writer([&] {
    stream.write("a");
    stream.write("b");
    stream.write("c");
  });
  writer.join();
  EXPECT_EQ(listener_.calls(), 1U);  // three writes, one wake-up
  EXPECT_EQ(take(*exchange), "1\r\na\r\n1\r\nb\r\n1\r\nc\r\n");
  std::thread more([&] { stream.write("d"); });
  more.join();
  EXPECT_EQ(listener_.calls(), 2U);  // taken: the next write tells again
}

// ---- close ----

TEST_F(ResponseExchangeTest, AfterCloseAResponderCannotAnswer) {
  auto exchange = make();
  Responder responder = make_responder(exchange);
  exchange->close();
  EXPECT_FALSE(responder.connected());
  EXPECT_FALSE(responder.send(Response::text("too late")));
  EXPECT_EQ(exchange->answer(), ResponseExchange::Answer::kNone);
}

TEST_F(ResponseExchangeTest, AfterCloseAStreamCannotWrite) {
  auto exchange = make();
  ResponseStream stream = make_responder(exchange).stream();
  ASSERT_TRUE(stream.connected());
  exchange->close();
  EXPECT_FALSE(stream.connected());
  EXPECT_FALSE(stream.write("too late"));
  EXPECT_EQ(stream.buffered(), 0U);
}

// ---- stream framing ----

TEST_F(ResponseExchangeTest, StreamHeadAnnouncesChunkedCoding) {
  auto exchange = make();
  ResponseStream stream = make_responder(exchange).stream(201, "text/event-stream");
  const std::string head = take(*exchange);
  EXPECT_TRUE(head.starts_with("HTTP/1.1 201 Created\r\n")) << head;
  EXPECT_NE(head.find("\r\nContent-Type: text/event-stream\r\n"), std::string::npos) << head;
  EXPECT_NE(head.find("\r\nTransfer-Encoding: chunked\r\n"), std::string::npos) << head;
  EXPECT_EQ(head.find("Content-Length"), std::string::npos) << head;
  EXPECT_TRUE(head.ends_with("\r\n\r\n")) << head;
}

TEST_F(ResponseExchangeTest, ChunkSizesAreHexadecimal) {
  auto exchange = make();
  ResponseStream stream = make_responder(exchange).stream();
  take(*exchange);
  stream.write(std::string(26, 'x'));
  stream.write(std::string(300, 'y'));
  EXPECT_EQ(take(*exchange),
            "1a\r\n" + std::string(26, 'x') + "\r\n12c\r\n" + std::string(300, 'y') + "\r\n");
}

TEST_F(ResponseExchangeTest, EmptyWriteAddsNoChunk) {
  auto exchange = make();
  ResponseStream stream = make_responder(exchange).stream();
  take(*exchange);
  EXPECT_TRUE(stream.write(""));  // an empty chunk would end the body
  EXPECT_EQ(take(*exchange), "");
}

TEST_F(ResponseExchangeTest, FinishSendsTheLastChunkAndEndsTheStream) {
  auto exchange = make();
  ResponseStream stream = make_responder(exchange).stream();
  take(*exchange);
  stream.write("hi");
  stream.finish();
  EXPECT_FALSE(stream.write("after the end"));
  bool ended = false;
  EXPECT_EQ(take(*exchange, &ended), "2\r\nhi\r\n0\r\n\r\n");
  EXPECT_TRUE(ended);
}

TEST_F(ResponseExchangeTest, DestroyedStreamFinishes) {
  auto exchange = make();
  { ResponseStream stream = make_responder(exchange).stream(); }
  bool ended = false;
  EXPECT_TRUE(take(*exchange, &ended).ends_with("\r\n\r\n0\r\n\r\n"));
  EXPECT_TRUE(ended);
}

TEST_F(ResponseExchangeTest, Http10StreamIsRawBytesEndedByTheClose) {
  ExchangeRequest http10;
  http10.version_minor = 0;
  auto exchange = make(http10);
  ResponseStream stream = make_responder(exchange).stream();
  const std::string head = take(*exchange);
  EXPECT_EQ(head.find("Transfer-Encoding"), std::string::npos) << head;
  EXPECT_NE(head.find("\r\nConnection: close\r\n"), std::string::npos) << head;
  stream.write("raw");
  stream.finish();
  bool ended = false;
  EXPECT_EQ(take(*exchange, &ended), "raw");
  EXPECT_TRUE(ended);
}

TEST_F(ResponseExchangeTest, HeadStreamIsTheHeadAlone) {
  ExchangeRequest head;
  head.head_only = true;
  auto exchange = make(head);
  ResponseStream stream = make_responder(exchange).stream();
  EXPECT_FALSE(stream.connected());  // nothing to write: the body is not sent
  EXPECT_FALSE(stream.write("body"));
  bool ended = false;
  const std::string bytes = take(*exchange, &ended);
  EXPECT_TRUE(ended);
  EXPECT_NE(bytes.find("\r\nTransfer-Encoding: chunked\r\n"), std::string::npos) << bytes;
  EXPECT_EQ(bytes.find("\r\n\r\n"), bytes.size() - 4) << bytes;  // the head, and nothing after
}

TEST_F(ResponseExchangeTest, StreamWithAnUnsafeFieldAnswers500) {
  auto exchange = make();
  ResponseStream stream = make_responder(exchange).stream(200, "text/plain", {{"X-Bad", "a\r\nb"}});
  EXPECT_FALSE(stream.connected());
  ASSERT_EQ(exchange->answer(), ResponseExchange::Answer::kResponse);
  EXPECT_EQ(exchange->take_response().status, 500);
}

TEST_F(ResponseExchangeTest, StreamWhoseAfterHookThrowsAnswers500) {
  // As for send(): the client gets a 500, not a request that is never answered.
  hooks_.after = [](std::string_view, std::string_view, Response&) {
    throw std::runtime_error("after hook");
  };
  auto exchange = make();
  ResponseStream stream;
  EXPECT_NO_THROW(stream = make_responder(exchange).stream());
  EXPECT_FALSE(stream.connected());
  ASSERT_EQ(exchange->answer(), ResponseExchange::Answer::kResponse);
  EXPECT_EQ(exchange->take_response().status, 500);
}

// ---- backpressure ----

TEST_F(ResponseExchangeTest, BufferedCountsBytesNotYetTaken) {
  auto exchange = make();
  ResponseStream stream = make_responder(exchange).stream();
  take(*exchange);
  EXPECT_EQ(stream.buffered(), 0U);
  stream.write("hello");
  EXPECT_EQ(stream.buffered(), std::string_view("5\r\nhello\r\n").size());
  take(*exchange);
  EXPECT_EQ(stream.buffered(), 0U);
}

TEST_F(ResponseExchangeTest, WaitForRoomReturnsAtOnceBelowTheLowWater) {
  auto exchange = make();
  ResponseStream stream = make_responder(exchange).stream();
  ASSERT_EQ(exchange->park(), ResponseExchange::Answer::kStream);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(stream.wait_for_room(1024, 30s));
  EXPECT_LT(std::chrono::steady_clock::now() - start, kPatience);
}

TEST_F(ResponseExchangeTest, WaitingWriterIsReleasedWhenTheOwnerTakesBytes) {
  auto exchange = make();
  ResponseStream stream = make_responder(exchange).stream();
  ASSERT_EQ(exchange->park(), ResponseExchange::Answer::kStream);
  take(*exchange);
  Signal returned;
  std::atomic<bool> result{false};
  std::thread writer([&] {
    stream.write("payload");
    result = stream.wait_for_room(0, 30s);  // far beyond kPatience: only a take releases it
    returned.raise();
  });
  ASSERT_TRUE(listener_.wait_for_calls(1));  // the write is in
  EXPECT_FALSE(returned.wait_for(50ms));     // and the writer waits
  EXPECT_EQ(take(*exchange), "7\r\npayload\r\n");
  EXPECT_TRUE(returned.wait_for(kPatience));
  writer.join();
  EXPECT_TRUE(result);
}

TEST_F(ResponseExchangeTest, WaitingWriterIsReleasedByCloseAndLearnsTheClientIsGone) {
  auto exchange = make();
  ResponseStream stream = make_responder(exchange).stream();
  ASSERT_EQ(exchange->park(), ResponseExchange::Answer::kStream);
  Signal returned;
  std::atomic<bool> result{true};
  std::thread writer([&] {
    stream.write("payload");
    result = stream.wait_for_room(0, 30s);
    returned.raise();
  });
  ASSERT_TRUE(listener_.wait_for_calls(1));
  exchange->close();
  EXPECT_TRUE(returned.wait_for(kPatience));
  writer.join();
  EXPECT_FALSE(result);
  EXPECT_FALSE(stream.connected());
}

TEST_F(ResponseExchangeTest, WaitForRoomOnTheInlineThreadSendsThroughTheSink) {
  auto exchange = make();
  ResponseStream stream = make_responder(exchange).stream();
  stream.write("now");
  EXPECT_TRUE(stream.wait_for_room(0, 1s));
  EXPECT_EQ(sink_.calls, 1);
  EXPECT_TRUE(sink_.sent.ends_with("\r\n\r\n3\r\nnow\r\n")) << sink_.sent;
  EXPECT_EQ(stream.buffered(), 0U);
}

TEST_F(ResponseExchangeTest, FailedInlineSendDisconnectsTheStream) {
  sink_.succeed = false;
  auto exchange = make();
  ResponseStream stream = make_responder(exchange).stream();
  EXPECT_FALSE(stream.wait_for_room(0, 1s));
  EXPECT_FALSE(stream.connected());
  EXPECT_FALSE(stream.write("more"));
}

TEST_F(ResponseExchangeTest, AfterParkTheSinkIsNotUsed) {
  auto exchange = make();
  ResponseStream stream = make_responder(exchange).stream();
  ASSERT_EQ(exchange->park(), ResponseExchange::Answer::kStream);
  take(*exchange);
  EXPECT_TRUE(stream.wait_for_room(0, 1s));  // nothing buffered: returns without sending
  EXPECT_EQ(sink_.calls, 0);
}

}  // namespace
}  // namespace hybrid::server
