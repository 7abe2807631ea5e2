#include "hybrid/http/router.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

namespace hybrid::http {
namespace {

using Kind = RouteMatch::Kind;

struct Routed {
  Kind kind;
  std::size_t route;
  std::string allow;
};

Routed route(const Router& router, std::string_view method, std::string_view path,
             RouteParams& params) {
  RouteMatch match = router.match(method, path, params);
  return {match.kind, match.route, std::string(match.allow)};
}

TEST(Router, ExactRouteIsFound) {
  Router router;
  EXPECT_EQ(router.add("GET /api/hello"), 0u);
  RouteParams params;
  Routed result = route(router, "GET", "/api/hello", params);
  EXPECT_EQ(result.kind, Kind::kFound);
  EXPECT_EQ(result.route, 0u);
  EXPECT_EQ(route(router, "GET", "/api/hello/", params).kind, Kind::kNotFound);
  EXPECT_EQ(route(router, "GET", "/api", params).kind, Kind::kNotFound);
}

TEST(Router, IdsFollowRegistrationOrder) {
  Router router;
  EXPECT_EQ(router.add("GET /a"), 0u);
  EXPECT_EQ(router.add("POST /a"), 1u);
  EXPECT_EQ(router.add("/b"), 2u);
  RouteParams params;
  EXPECT_EQ(route(router, "POST", "/a", params).route, 1u);
  EXPECT_EQ(route(router, "DELETE", "/b", params).route, 2u);
}

TEST(Router, ParameterTakesOneSegment) {
  Router router;
  router.add("GET /items/{id}");
  RouteParams params;
  EXPECT_EQ(route(router, "GET", "/items/42", params).kind, Kind::kFound);
  EXPECT_EQ(params.get("id"), "42");
  EXPECT_EQ(params.get("other"), std::nullopt);
  EXPECT_EQ(route(router, "GET", "/items/42/x", params).kind, Kind::kNotFound);
  EXPECT_EQ(route(router, "GET", "/items/", params).kind, Kind::kNotFound);  // empty segment
}

TEST(Router, RestTakesTheRemainderEvenEmpty) {
  Router router;
  router.add("GET /static/{path...}");
  RouteParams params;
  EXPECT_EQ(route(router, "GET", "/static/a/b/c.css", params).kind, Kind::kFound);
  EXPECT_EQ(params.get("path"), "a/b/c.css");
  EXPECT_EQ(route(router, "GET", "/static/", params).kind, Kind::kFound);
  EXPECT_EQ(params.get("path"), "");
  EXPECT_EQ(route(router, "GET", "/static", params).kind, Kind::kNotFound);
}

TEST(Router, LiteralBeatsParameterBeatsRest) {
  Router router;
  const std::size_t rest = router.add("GET /a/{rest...}");
  const std::size_t param = router.add("GET /a/{x}");
  const std::size_t literal = router.add("GET /a/b");
  RouteParams params;
  EXPECT_EQ(route(router, "GET", "/a/b", params).route, literal);
  EXPECT_EQ(route(router, "GET", "/a/c", params).route, param);
  EXPECT_EQ(route(router, "GET", "/a/c/d", params).route, rest);
}

TEST(Router, LeftmostDifferenceDecides) {
  Router router;
  const std::size_t left_literal = router.add("GET /a/{x}/c");
  const std::size_t left_param = router.add("GET /{y}/b/c");
  RouteParams params;
  EXPECT_EQ(route(router, "GET", "/a/b/c", params).route, left_literal);
  EXPECT_EQ(route(router, "GET", "/z/b/c", params).route, left_param);
  EXPECT_EQ(params.get("y"), "z");
}

TEST(Router, MoreSpecificShapeWithoutTheMethodDoesNotHideAMatch) {
  Router router;
  const std::size_t any = router.add("GET /a/{x}");
  router.add("POST /a/b");
  RouteParams params;
  Routed result = route(router, "GET", "/a/b", params);
  EXPECT_EQ(result.kind, Kind::kFound);
  EXPECT_EQ(result.route, any);
}

TEST(Router, MethodBeatsMethodlessOnTheSameShape) {
  Router router;
  const std::size_t methodless = router.add("/a/{x}");
  const std::size_t get = router.add("GET /a/{x}");
  RouteParams params;
  EXPECT_EQ(route(router, "GET", "/a/1", params).route, get);
  EXPECT_EQ(route(router, "PUT", "/a/1", params).route, methodless);
}

TEST(Router, GetAnswersHeadUnlessHeadHasARoute) {
  Router router;
  const std::size_t get = router.add("GET /a");
  RouteParams params;
  EXPECT_EQ(route(router, "HEAD", "/a", params).route, get);
  const std::size_t head = router.add("HEAD /a");
  EXPECT_EQ(route(router, "HEAD", "/a", params).route, head);
}

TEST(Router, OtherMethodIs405WithAllow) {
  Router router;
  router.add("GET /a");
  router.add("DELETE /a");
  router.add("POST /a");
  RouteParams params;
  Routed result = route(router, "PUT", "/a", params);
  EXPECT_EQ(result.kind, Kind::kMethodNotAllowed);
  EXPECT_EQ(result.allow, "GET, HEAD, POST, DELETE, OPTIONS");
}

TEST(Router, AllowUnitesEveryShapeOfThePath) {
  Router router;
  router.add("GET /a/{x}");
  router.add("PATCH /a/b");
  router.add("PURGE /a/b");
  RouteParams params;
  EXPECT_EQ(route(router, "PUT", "/a/b", params).allow, "GET, HEAD, PATCH, OPTIONS, PURGE");
}

TEST(Router, OptionsIsAnsweredFromTheTable) {
  Router router;
  router.add("POST /echo");
  RouteParams params;
  Routed result = route(router, "OPTIONS", "/echo", params);
  EXPECT_EQ(result.kind, Kind::kOptions);
  EXPECT_EQ(result.allow, "POST, OPTIONS");
  const std::size_t options = router.add("OPTIONS /echo");
  EXPECT_EQ(route(router, "OPTIONS", "/echo", params).route, options);
}

TEST(Router, MethodsAreCaseSensitive) {
  Router router;
  router.add("GET /a");
  RouteParams params;
  EXPECT_EQ(route(router, "get", "/a", params).kind, Kind::kMethodNotAllowed);
}

TEST(Router, SegmentsAreDecodedOneByOne) {
  Router router;
  router.add("GET /items/{id}");
  router.add("GET /a%20b");
  RouteParams params;
  EXPECT_EQ(route(router, "GET", "/items/a%2Fb", params).kind, Kind::kFound);
  EXPECT_EQ(params.get("id"), "a/b");
  EXPECT_EQ(route(router, "GET", "/a%20b", params).kind, Kind::kFound);
  EXPECT_EQ(route(router, "GET", "/a b", params).kind, Kind::kFound);
}

TEST(Router, MalformedEscapesAreBadRequests) {
  Router router;
  router.add("GET /items/{id}");
  RouteParams params;
  EXPECT_EQ(route(router, "GET", "/items/%zz", params).kind, Kind::kBadRequest);
  EXPECT_EQ(route(router, "GET", "/items/%4", params).kind, Kind::kBadRequest);
  EXPECT_EQ(route(router, "GET", "/items/a%00", params).kind, Kind::kBadRequest);
}

TEST(Router, ConflictsAreRejected) {
  Router router;
  router.add("GET /a/{x}");
  EXPECT_THROW(router.add("GET /a/{x}"), std::invalid_argument);
  EXPECT_THROW(router.add("GET /a/{y}"), std::invalid_argument);  // the same shape
  router.add("/b");
  EXPECT_THROW(router.add("/b"), std::invalid_argument);
}

TEST(Router, NearMissesAreNoConflict) {
  Router router;
  router.add("GET /a/{x}");
  EXPECT_NO_THROW(router.add("POST /a/{x}"));
  EXPECT_NO_THROW(router.add("GET /a/{x}/c"));
  EXPECT_NO_THROW(router.add("GET /a/{x...}"));
  EXPECT_NO_THROW(router.add("GET /a/b"));
  EXPECT_NO_THROW(router.add("/a/{x}"));
}

TEST(Router, MalformedPatternsAreRejected) {
  for (std::string_view pattern :
       {"", "GET", "GET a", "GET /a/{", "GET /a/{}", "GET /a/{1x}", "GET /a{b}", "GET /a/{x...}/b",
        "GET /a/{x}/{x}", "G(T /a", " /a", "GET /%zz"}) {
    Router router;
    EXPECT_THROW(router.add(pattern), std::invalid_argument) << pattern;
  }
}

TEST(Router, UnknownPathIsNotFound) {
  Router router;
  router.add("GET /a");
  RouteParams params;
  EXPECT_EQ(route(router, "GET", "/b", params).kind, Kind::kNotFound);
  EXPECT_EQ(route(router, "GET", "", params).kind, Kind::kNotFound);
}

TEST(Router, HundredRoutesFindTheirOwn) {
  Router router;
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(router.add("GET /api/v1/resource" + std::to_string(i) + "/{id}"),
              static_cast<std::size_t>(i));
  }
  RouteParams params;
  for (int i = 0; i < 100; i += 7) {
    Routed result = route(
        router, "GET", "/api/v1/resource" + std::to_string(i) + "/x" + std::to_string(i), params);
    EXPECT_EQ(result.kind, Kind::kFound);
    EXPECT_EQ(result.route, static_cast<std::size_t>(i));
    EXPECT_EQ(params.get("id"), "x" + std::to_string(i));
  }
}

TEST(Router, SixteenParametersFitSeventeenDoNot) {
  std::string sixteen = "GET ";
  std::string path;
  for (int i = 0; i < 16; ++i) {
    sixteen += "/{p" + std::to_string(i) + "}";
    path += "/v" + std::to_string(i);
  }
  Router router;
  router.add(sixteen);
  RouteParams params;
  EXPECT_EQ(route(router, "GET", path, params).kind, Kind::kFound);
  EXPECT_EQ(params.size(), 16u);
  EXPECT_EQ(params.get("p15"), "v15");
  Router other;
  EXPECT_THROW(other.add(sixteen + "/{p16}"), std::invalid_argument);
}

}  // namespace
}  // namespace hybrid::http
