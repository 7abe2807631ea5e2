#include "hybrid/http/response_head.h"

#include <gtest/gtest.h>

#include <array>
#include <string>
#include <vector>

#include "hybrid/http/http_date.h"

namespace hybrid::http {
namespace {

constexpr std::string_view kDate = "Sun, 06 Nov 1994 08:49:37 GMT";

std::string build(Status status, const ErrorResponseOptions& options) {
  std::array<char, 2048> out;
  const std::size_t size = build_error_response(out, status, options);
  return std::string(out.data(), size);
}

std::string head_of(const std::string& response) {
  return response.substr(0, response.find("\r\n\r\n") + 4);
}

std::string body_of(const std::string& response) {
  return response.substr(response.find("\r\n\r\n") + 4);
}

bool has_header_line(const std::string& response, std::string_view line) {
  return head_of(response).find("\r\n" + std::string(line) + "\r\n") != std::string::npos;
}

bool has_header(const std::string& response, std::string_view name) {
  return head_of(response).find("\r\n" + std::string(name) + ":") != std::string::npos;
}

// ---- ResponseHeadWriter -------------------------------------------------------------------

TEST(ResponseHeadWriter, WritesStatusLineDateServerHeadersAndBlankLine) {
  std::array<char, 256> out;
  ResponseHeadWriter writer(out, Status::kOk, kDate);
  writer.header("Content-Type", "text/plain").header("Content-Length", std::uint64_t{1234});
  const std::size_t size = writer.finish();
  EXPECT_TRUE(writer.ok());
  EXPECT_EQ(std::string_view(out.data(), size),
            "HTTP/1.1 200 OK\r\n"
            "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
            "Server: hybrid\r\n"
            "Content-Type: text/plain\r\n"
            "Content-Length: 1234\r\n"
            "\r\n");
}

TEST(ResponseHeadWriter, AssembledHeadMatchesTheWriterByteForByte) {
  std::array<char, 256> fields_room;
  ResponseHeadWriter fields(fields_room);
  fields.header("Content-Type", "text/plain").header("Content-Length", std::uint64_t{12});
  ASSERT_GT(fields.fields_size(), 0u);
  const std::string_view rendered(fields_room.data(), fields.fields_size());
  EXPECT_EQ(rendered, "Content-Type: text/plain\r\nContent-Length: 12\r\n");

  for (Status status : {Status::kOk, Status::kPartialContent}) {
    std::array<char, 256> expected_room;
    ResponseHeadWriter writer(expected_room, status, kDate);
    writer.header("Content-Type", "text/plain").header("Content-Length", std::uint64_t{12});
    writer.header("Connection", "close");
    const std::size_t expected = writer.finish();
    ASSERT_GT(expected, 0u);

    std::array<char, 256> out;
    const std::size_t size = assemble_head(out, status, kDate, rendered, "Connection: close\r\n");
    EXPECT_EQ(std::string_view(out.data(), size), std::string_view(expected_room.data(), expected));
    // Too small by one byte: nothing, not a truncated head.
    EXPECT_EQ(assemble_head(std::span<char>(out.data(), expected - 1), status, kDate, rendered,
                            "Connection: close\r\n"),
              0u);
  }
}

TEST(ResponseHeadWriter, AssembledHeadTakesEmptyViews) {
  // A default-constructed view holds a null pointer: nothing to copy, and nothing undefined.
  std::array<char, 256> expected_room;
  ResponseHeadWriter writer(expected_room, Status::kOk, kDate);
  const std::size_t expected = writer.finish();
  std::array<char, 256> out;
  const std::size_t size =
      assemble_head(out, Status::kOk, kDate, std::string_view{}, std::string_view{});
  EXPECT_EQ(std::string_view(out.data(), size), std::string_view(expected_room.data(), expected));
}

TEST(ResponseHeadWriter, FieldsOnlyWriterRejectsUnsafeValues) {
  std::array<char, 64> room;
  ResponseHeadWriter fields(room);
  fields.header("X-Bad", "a\r\nInjected: 1");
  EXPECT_EQ(fields.fields_size(), 0u);
}

TEST(ResponseHeadWriter, IntegerHeaderCoversTheWholeRange) {
  std::array<char, 256> out;
  ResponseHeadWriter writer(out, Status::kOk, kDate);
  writer.header("A", std::uint64_t{0}).header("B", UINT64_MAX);
  const std::string head(out.data(), writer.finish());
  EXPECT_NE(head.find("\r\nA: 0\r\n"), std::string::npos);
  EXPECT_NE(head.find("\r\nB: 18446744073709551615\r\n"), std::string::npos);
}

TEST(ResponseHeadWriter, EmptyDateMeansNow) {
  std::array<char, 256> out;
  ResponseHeadWriter writer(out, Status::kOk, "");
  const std::string head(out.data(), writer.finish());
  EXPECT_EQ(head.substr(17, 6), "Date: ");
  EXPECT_EQ(head.substr(23 + kHttpDateLength, 2), "\r\n");
}

TEST(ResponseHeadWriter, BufferTooSmallTurnsNotOkAndFinishReturnsZero) {
  for (std::size_t capacity : {0u, 10u, 60u, 70u}) {
    SCOPED_TRACE(capacity);
    std::vector<char> out(capacity);
    ResponseHeadWriter writer(out, Status::kOk, kDate);
    writer.header("Content-Type", "text/plain");
    EXPECT_EQ(writer.finish(), 0u);
    EXPECT_FALSE(writer.ok());
  }
}

TEST(ResponseHeadWriter, ExactlyFittingBufferSucceeds) {
  std::array<char, 256> big;
  ResponseHeadWriter reference(big, Status::kNotFound, kDate);
  const std::size_t needed = reference.finish();
  std::vector<char> out(needed);
  ResponseHeadWriter writer(out, Status::kNotFound, kDate);
  EXPECT_EQ(writer.finish(), needed);
}

TEST(ResponseHeadWriter, RefusesCrLfOrNulInNamesAndValues) {
  // RFC 9110 §5.5: a value carrying CR/LF would let its source inject headers.
  using namespace std::string_view_literals;
  const std::pair<std::string_view, std::string_view> kUnsafe[] = {
      {"Location", "/a\r\nSet-Cookie: x=1"},
      {"Location", "/a\nb"},
      {"Location", "/a\0b"sv},
      {"X\r\nEvil", "1"},
      {"Bad:Name", "1"},
  };
  for (const auto& [name, value] : kUnsafe) {
    SCOPED_TRACE(name);
    std::array<char, 256> out;
    ResponseHeadWriter writer(out, Status::kOk, kDate);
    writer.header(name, value);
    EXPECT_FALSE(writer.ok());
    EXPECT_EQ(writer.finish(), 0u);
  }
}

// ---- build_error_response -----------------------------------------------------------------

TEST(BuildErrorResponse, NotFoundIsACompleteResponseWithTheDefaultBody) {
  const std::string response = build(Status::kNotFound, {.keep_alive = true, .date = kDate});
  const std::string body(default_body(Status::kNotFound));
  EXPECT_EQ(response,
            "HTTP/1.1 404 Not Found\r\n"
            "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
            "Server: hybrid\r\n"
            "Content-Type: text/html; charset=utf-8\r\n"
            "Content-Length: " +
                std::to_string(body.size()) +
                "\r\n"
                "X-Content-Type-Options: nosniff\r\n"
                "Connection: keep-alive\r\n"
                "\r\n" +
                body);
}

TEST(BuildErrorResponse, ConnectionHeaderIsAlwaysExplicit) {
  EXPECT_TRUE(has_header_line(build(Status::kBadRequest, {.keep_alive = false, .date = kDate}),
                              "Connection: close"));
  EXPECT_TRUE(has_header_line(build(Status::kBadRequest, {.keep_alive = true, .date = kDate}),
                              "Connection: keep-alive"));
}

TEST(BuildErrorResponse, HeadKeepsTheContentLengthButSendsNoBody) {
  const std::string get = build(Status::kForbidden, {.date = kDate});
  const std::string head = build(Status::kForbidden, {.head_only = true, .date = kDate});
  EXPECT_EQ(head, head_of(get));
  EXPECT_TRUE(body_of(head).empty());
  EXPECT_TRUE(has_header_line(
      head, "Content-Length: " + std::to_string(default_body(Status::kForbidden).size())));
}

TEST(BuildErrorResponse, MethodNotAllowedCarriesAllow) {
  const std::string response =
      build(Status::kMethodNotAllowed, {.allow = "GET, HEAD", .date = kDate});
  EXPECT_TRUE(response.starts_with("HTTP/1.1 405 Method Not Allowed\r\n"));
  EXPECT_TRUE(has_header_line(response, "Allow: GET, HEAD"));
  EXPECT_FALSE(has_header(response, "Location"));
}

TEST(BuildErrorResponse, RedirectCarriesLocationAndABody) {
  const std::string response =
      build(Status::kMovedPermanently, {.keep_alive = true, .location = "/docs/", .date = kDate});
  EXPECT_TRUE(response.starts_with("HTTP/1.1 301 Moved Permanently\r\n"));
  EXPECT_TRUE(has_header_line(response, "Location: /docs/"));
  EXPECT_FALSE(has_header(response, "Allow"));
  EXPECT_EQ(body_of(response), default_body(Status::kMovedPermanently));
}

TEST(BuildErrorResponse, LocationWithCrLfFailsInsteadOfInjecting) {
  std::array<char, 2048> out;
  EXPECT_EQ(build_error_response(out, Status::kMovedPermanently,
                                 {.location = "/x\r\nSet-Cookie: a=b", .date = kDate}),
            0u);
}

TEST(BuildErrorResponse, NotModifiedAndNoContentHaveNoLengthTypeOrBody) {
  for (Status status : {Status::kNotModified, Status::kNoContent}) {
    SCOPED_TRACE(code(status));
    const std::string response = build(status, {.keep_alive = true, .date = kDate});
    EXPECT_FALSE(has_header(response, "Content-Length"));
    EXPECT_FALSE(has_header(response, "Content-Type"));
    EXPECT_TRUE(response.ends_with("Connection: keep-alive\r\n\r\n"));
  }
}

TEST(BuildErrorResponse, EveryErrorFitsInTwoKilobytes) {
  for (int value = 400; value < 600; ++value) {
    const auto status = static_cast<Status>(value);
    if (reason_phrase(status) == "Unknown") continue;
    SCOPED_TRACE(value);
    const std::string response =
        build(status, {.keep_alive = true,
                       .allow = "GET, HEAD, OPTIONS",
                       .location = "/a/very/long/location/that/is/still/reasonable/",
                       .date = kDate});
    ASSERT_FALSE(response.empty());
    EXPECT_EQ(body_of(response), default_body(status));
  }
}

TEST(BuildErrorResponse, TooSmallBufferReturnsZero) {
  const std::size_t full = build(Status::kNotFound, {.date = kDate}).size();
  for (std::size_t capacity : {std::size_t{0}, std::size_t{40}, full - 1}) {
    SCOPED_TRACE(capacity);
    std::vector<char> out(capacity);
    EXPECT_EQ(build_error_response(out, Status::kNotFound, {.date = kDate}), 0u);
  }
  std::vector<char> exact(full);
  EXPECT_EQ(build_error_response(exact, Status::kNotFound, {.date = kDate}), full);
}

}  // namespace
}  // namespace hybrid::http
