#include "hybrid/http/status.h"

#include <gtest/gtest.h>

#include <string>

namespace hybrid::http {
namespace {

struct StatusCase {
  Status status;
  std::string_view reason;
  std::string_view line;
};

constexpr StatusCase kAllStatuses[] = {
    {Status::kContinue, "Continue", "HTTP/1.1 100 Continue"},
    {Status::kOk, "OK", "HTTP/1.1 200 OK"},
    {Status::kNoContent, "No Content", "HTTP/1.1 204 No Content"},
    {Status::kPartialContent, "Partial Content", "HTTP/1.1 206 Partial Content"},
    {Status::kMovedPermanently, "Moved Permanently", "HTTP/1.1 301 Moved Permanently"},
    {Status::kNotModified, "Not Modified", "HTTP/1.1 304 Not Modified"},
    {Status::kBadRequest, "Bad Request", "HTTP/1.1 400 Bad Request"},
    {Status::kForbidden, "Forbidden", "HTTP/1.1 403 Forbidden"},
    {Status::kNotFound, "Not Found", "HTTP/1.1 404 Not Found"},
    {Status::kMethodNotAllowed, "Method Not Allowed", "HTTP/1.1 405 Method Not Allowed"},
    {Status::kRequestTimeout, "Request Timeout", "HTTP/1.1 408 Request Timeout"},
    {Status::kPreconditionFailed, "Precondition Failed", "HTTP/1.1 412 Precondition Failed"},
    {Status::kContentTooLarge, "Content Too Large", "HTTP/1.1 413 Content Too Large"},
    {Status::kUriTooLong, "URI Too Long", "HTTP/1.1 414 URI Too Long"},
    {Status::kRangeNotSatisfiable, "Range Not Satisfiable", "HTTP/1.1 416 Range Not Satisfiable"},
    {Status::kExpectationFailed, "Expectation Failed", "HTTP/1.1 417 Expectation Failed"},
    {Status::kMisdirectedRequest, "Misdirected Request", "HTTP/1.1 421 Misdirected Request"},
    {Status::kRequestHeaderFieldsTooLarge, "Request Header Fields Too Large",
     "HTTP/1.1 431 Request Header Fields Too Large"},
    {Status::kInternalServerError, "Internal Server Error", "HTTP/1.1 500 Internal Server Error"},
    {Status::kNotImplemented, "Not Implemented", "HTTP/1.1 501 Not Implemented"},
    {Status::kServiceUnavailable, "Service Unavailable", "HTTP/1.1 503 Service Unavailable"},
    {Status::kHttpVersionNotSupported, "HTTP Version Not Supported",
     "HTTP/1.1 505 HTTP Version Not Supported"},
};

bool never_has_body(Status status) {
  return code(status) < 300 || status == Status::kNotModified;
}

TEST(Status, EveryStatusHasItsReasonPhraseAndStatusLine) {
  for (const StatusCase& c : kAllStatuses) {
    SCOPED_TRACE(code(c.status));
    EXPECT_EQ(reason_phrase(c.status), c.reason);
    EXPECT_EQ(status_line(c.status), c.line);
  }
}

TEST(Status, ErrorAndRedirectBodiesAreCompleteHtmlDocumentsNamingTheStatus) {
  for (const StatusCase& c : kAllStatuses) {
    if (never_has_body(c.status)) continue;
    SCOPED_TRACE(code(c.status));
    const std::string_view body = default_body(c.status);
    const std::string title = std::to_string(code(c.status)) + " " + std::string(c.reason);
    EXPECT_TRUE(body.starts_with("<!DOCTYPE html><html><head><title>" + title + "</title>"));
    EXPECT_NE(body.find("<h1>" + title + "</h1>"), std::string_view::npos);
    EXPECT_TRUE(body.ends_with("</body></html>\n"));
  }
}

TEST(Status, InformationalSuccessAndNotModifiedHaveNoBody) {
  for (const StatusCase& c : kAllStatuses) {
    if (!never_has_body(c.status)) continue;
    SCOPED_TRACE(code(c.status));
    EXPECT_TRUE(default_body(c.status).empty());
  }
}

TEST(Status, NotFoundBodyIsExactlyTheDocumentedPage) {
  EXPECT_EQ(default_body(Status::kNotFound),
            "<!DOCTYPE html><html><head><title>404 Not Found</title></head><body>"
            "<h1>404 Not Found</h1><p>The requested resource was not found on this server.</p>"
            "<hr><address>hybrid</address></body></html>\n");
}

TEST(Status, UnknownValueIsUnknownWithNoBodyAndA500StatusLine) {
  for (int value : {0, 199, 418, 599, 600, 65535}) {
    SCOPED_TRACE(value);
    const auto status = static_cast<Status>(value);
    EXPECT_EQ(reason_phrase(status), "Unknown");
    EXPECT_TRUE(default_body(status).empty());
    EXPECT_EQ(status_line(status), "HTTP/1.1 500 Internal Server Error");
  }
}

TEST(Status, CodeIsTheNumericValue) {
  EXPECT_EQ(code(Status::kNotFound), 404);
  EXPECT_EQ(code(Status::kHttpVersionNotSupported), 505);
}

}  // namespace
}  // namespace hybrid::http
