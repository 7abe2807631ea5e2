#include "hybrid/http/router.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

// Counts heap allocations, so a test can prove that a match after warm-up makes none. Only the
// counter is new: the memory still comes from malloc. Sanitizer runtimes replace operator new
// themselves (ThreadSanitizer's would clash at link time), so there the count is left out.
#if defined(__has_feature)
#if __has_feature(thread_sanitizer) || __has_feature(address_sanitizer)
#define HYBRID_SANITIZED 1
#endif
#endif
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
#define HYBRID_SANITIZED 1
#endif

namespace {
std::atomic<std::size_t> allocations{0};
}  // namespace

#ifndef HYBRID_SANITIZED
void* operator new(std::size_t size) {
  allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* memory = std::malloc(size == 0 ? 1 : size)) return memory;
  throw std::bad_alloc();
}
void operator delete(void* memory) noexcept {
  std::free(memory);
}
void operator delete(void* memory, std::size_t) noexcept {
  std::free(memory);
}
#endif

namespace hybrid::http {
namespace {

// Adds the patterns in order; route ids are then their positions.
Router make_router(std::initializer_list<std::string_view> patterns) {
  Router router;
  for (std::string_view pattern : patterns) router.add(pattern);
  return router;
}

// The route id a GET of `path` finds, or kNoRoute.
std::size_t route_of(const Router& router, std::string_view path, std::string_view method = "GET") {
  RouteParams params;
  const RouteMatch match = router.match(method, path, params);
  return match.result == RouteResult::kFound ? match.route : kNoRoute;
}

// ---- exact routes ---------------------------------------------------------------------------

TEST(Router, ExactPathMatches) {
  const Router router = make_router({"GET /api/health", "GET /api/items"});
  EXPECT_EQ(route_of(router, "/api/health"), 0u);
  EXPECT_EQ(route_of(router, "/api/items"), 1u);
}

TEST(Router, ExactPathIsNotAPrefix) {
  const Router router = make_router({"GET /api/items"});
  RouteParams params;
  for (std::string_view path : {"/api", "/api/", "/api/items/", "/api/items/1", "/api/itemsx"}) {
    SCOPED_TRACE(path);
    EXPECT_EQ(router.match("GET", path, params).result, RouteResult::kNotFound);
  }
}

TEST(Router, RootPatternMatchesOnlyRoot) {
  const Router router = make_router({"GET /"});
  EXPECT_EQ(route_of(router, "/"), 0u);
  EXPECT_EQ(route_of(router, "/index.html"), kNoRoute);
  EXPECT_EQ(route_of(router, "//"), kNoRoute);
}

TEST(Router, TrailingSlashPatternIsExact) {
  const Router router = make_router({"GET /docs/"});
  EXPECT_EQ(route_of(router, "/docs/"), 0u);
  EXPECT_EQ(route_of(router, "/docs"), kNoRoute);
  EXPECT_EQ(route_of(router, "/docs/intro"), kNoRoute);
}

TEST(Router, EmptyRouterFindsNothing) {
  const Router router;
  RouteParams params;
  EXPECT_EQ(router.match("GET", "/", params).result, RouteResult::kNotFound);
}

// ---- {name} ---------------------------------------------------------------------------------

TEST(Router, ParamCapturesOneSegment) {
  const Router router = make_router({"GET /api/items/{id}"});
  RouteParams params;
  const RouteMatch match = router.match("GET", "/api/items/42", params);
  ASSERT_EQ(match.result, RouteResult::kFound);
  EXPECT_EQ(match.route, 0u);
  EXPECT_EQ(params.get("id"), "42");
  ASSERT_EQ(params.all().size(), 1u);
  EXPECT_EQ(params.all()[0].name, "id");
}

TEST(Router, ParamDoesNotSpanSlash) {
  const Router router = make_router({"GET /api/items/{id}"});
  EXPECT_EQ(route_of(router, "/api/items/42/parts"), kNoRoute);
}

TEST(Router, ParamDoesNotMatchEmptySegment) {
  const Router router = make_router({"GET /api/items/{id}"});
  EXPECT_EQ(route_of(router, "/api/items/"), kNoRoute);
}

TEST(Router, SeveralParamsInOrder) {
  const Router router = make_router({"GET /users/{user}/posts/{post}"});
  RouteParams params;
  ASSERT_EQ(router.match("GET", "/users/ann/posts/7", params).result, RouteResult::kFound);
  EXPECT_EQ(params.get("user"), "ann");
  EXPECT_EQ(params.get("post"), "7");
  ASSERT_EQ(params.all().size(), 2u);
  EXPECT_EQ(params.all()[0].name, "user");
  EXPECT_EQ(params.all()[1].name, "post");
}

TEST(Router, UnknownParamNameIsNullopt) {
  const Router router = make_router({"GET /items/{id}"});
  RouteParams params;
  ASSERT_EQ(router.match("GET", "/items/1", params).result, RouteResult::kFound);
  EXPECT_EQ(params.get("ID"), std::nullopt);
  EXPECT_EQ(params.get("name"), std::nullopt);
}

TEST(Router, ParamsAreClearedByAFailedMatch) {
  const Router router = make_router({"GET /items/{id}"});
  RouteParams params;
  ASSERT_EQ(router.match("GET", "/items/1", params).result, RouteResult::kFound);
  EXPECT_EQ(router.match("GET", "/nothing", params).result, RouteResult::kNotFound);
  EXPECT_EQ(params.get("id"), std::nullopt);
  EXPECT_TRUE(params.all().empty());
}

TEST(Router, ParamNamesComeFromTheMatchedPattern) {
  // Same shape, different names: each method's route reports its own.
  const Router router = make_router({"GET /a/{x}", "POST /a/{y}"});
  RouteParams params;
  ASSERT_EQ(router.match("GET", "/a/1", params).route, 0u);
  EXPECT_EQ(params.get("x"), "1");
  EXPECT_EQ(params.get("y"), std::nullopt);
  ASSERT_EQ(router.match("POST", "/a/2", params).route, 1u);
  EXPECT_EQ(params.get("y"), "2");
  EXPECT_EQ(params.get("x"), std::nullopt);
}

// ---- {name...} ------------------------------------------------------------------------------

TEST(Router, RestMatchesDeepPath) {
  const Router router = make_router({"GET /static/{path...}"});
  RouteParams params;
  ASSERT_EQ(router.match("GET", "/static/css/site/main.css", params).result, RouteResult::kFound);
  EXPECT_EQ(params.get("path"), "css/site/main.css");
}

TEST(Router, RestMatchesOneSegment) {
  const Router router = make_router({"GET /static/{path...}"});
  RouteParams params;
  ASSERT_EQ(router.match("GET", "/static/app.js", params).result, RouteResult::kFound);
  EXPECT_EQ(params.get("path"), "app.js");
}

TEST(Router, RestMatchesEmptyRemainder) {
  const Router router = make_router({"GET /static/{path...}"});
  RouteParams params;
  ASSERT_EQ(router.match("GET", "/static/", params).result, RouteResult::kFound);
  EXPECT_EQ(params.get("path"), "");
}

TEST(Router, RestNeedsTheSlashBeforeIt) {
  const Router router = make_router({"GET /static/{path...}"});
  EXPECT_EQ(route_of(router, "/static"), kNoRoute);
  EXPECT_EQ(route_of(router, "/staticx/a"), kNoRoute);
}

TEST(Router, RestKeepsEmptySegmentsAndTrailingSlash) {
  const Router router = make_router({"GET /files/{path...}"});
  RouteParams params;
  ASSERT_EQ(router.match("GET", "/files/a//b/", params).result, RouteResult::kFound);
  EXPECT_EQ(params.get("path"), "a//b/");
}

TEST(Router, RestAtRootMatchesEverything) {
  const Router router = make_router({"/{path...}"});
  RouteParams params;
  ASSERT_EQ(router.match("GET", "/", params).result, RouteResult::kFound);
  EXPECT_EQ(params.get("path"), "");
  ASSERT_EQ(router.match("DELETE", "/a/b", params).result, RouteResult::kFound);
  EXPECT_EQ(params.get("path"), "a/b");
}

TEST(Router, ParamThenRest) {
  const Router router = make_router({"GET /repos/{owner}/{path...}"});
  RouteParams params;
  ASSERT_EQ(router.match("GET", "/repos/ann/src/main.cc", params).result, RouteResult::kFound);
  EXPECT_EQ(params.get("owner"), "ann");
  EXPECT_EQ(params.get("path"), "src/main.cc");
}

// ---- precedence ----------------------------------------------------------------------------

TEST(Router, LiteralBeatsParam) {
  // Registered param-first, so registration order cannot be what decides.
  const Router router = make_router({"GET /items/{id}", "GET /items/new"});
  EXPECT_EQ(route_of(router, "/items/new"), 1u);
  EXPECT_EQ(route_of(router, "/items/old"), 0u);
}

TEST(Router, ParamBeatsRest) {
  const Router router = make_router({"GET /items/{rest...}", "GET /items/{id}"});
  EXPECT_EQ(route_of(router, "/items/7"), 1u);
  EXPECT_EQ(route_of(router, "/items/7/parts"), 0u);
  EXPECT_EQ(route_of(router, "/items/"), 0u);
}

TEST(Router, LiteralBeatsRest) {
  const Router router = make_router({"GET /{rest...}", "GET /favicon.ico"});
  EXPECT_EQ(route_of(router, "/favicon.ico"), 1u);
  EXPECT_EQ(route_of(router, "/favicon.png"), 0u);
}

TEST(Router, EarlierSegmentDecidesFirst) {
  // Left to right: the literal in segment 1 wins even though the other pattern has more literals.
  const Router router = make_router({"GET /{a}/b/c", "GET /x/{b}/{c}"});
  EXPECT_EQ(route_of(router, "/x/b/c"), 1u);
  EXPECT_EQ(route_of(router, "/y/b/c"), 0u);
}

TEST(Router, BacktracksFromLiteralToParam) {
  const Router router = make_router({"GET /a/{x}/c", "GET /{y}/b/d"});
  RouteParams params;
  const RouteMatch match = router.match("GET", "/a/b/d", params);
  ASSERT_EQ(match.result, RouteResult::kFound);
  EXPECT_EQ(match.route, 1u);
  EXPECT_EQ(params.get("y"), "a");
  EXPECT_EQ(params.get("x"), std::nullopt);
  EXPECT_EQ(route_of(router, "/a/b/c"), 0u);
}

TEST(Router, BacktracksFromParamToRest) {
  const Router router = make_router({"GET /a/{x}/c", "GET /a/{rest...}"});
  RouteParams params;
  ASSERT_EQ(router.match("GET", "/a/b/d", params).route, 1u);
  EXPECT_EQ(params.get("rest"), "b/d");
}

TEST(Router, BacktracksToFindTheMethod) {
  // The literal branch matches the path but has no POST route; the param branch has one.
  const Router router = make_router({"GET /a/b", "POST /{x}/b"});
  EXPECT_EQ(route_of(router, "/a/b", "POST"), 1u);
  EXPECT_EQ(route_of(router, "/a/b", "GET"), 0u);
}

TEST(Router, MethodSpecificBeatsMethodLess) {
  const Router router = make_router({"/a/{x}", "GET /a/{y}"});
  RouteParams params;
  ASSERT_EQ(router.match("GET", "/a/1", params).route, 1u);
  EXPECT_EQ(params.get("y"), "1");
}

TEST(Router, MethodLessAnswersTheOtherMethods) {
  const Router router = make_router({"/a/{x}", "GET /a/{y}"});
  RouteParams params;
  ASSERT_EQ(router.match("POST", "/a/1", params).route, 0u);
  EXPECT_EQ(params.get("x"), "1");
  EXPECT_EQ(route_of(router, "/a/1", "BREW"), 0u);  // a token no route names
}

TEST(Router, LiteralMethodLessBeatsParamWithMethod) {
  // Path precedence comes first; the method only orders patterns of the same shape.
  const Router router = make_router({"GET /{x}", "/a"});
  EXPECT_EQ(route_of(router, "/a"), 1u);
  EXPECT_EQ(route_of(router, "/b"), 0u);
}

// ---- conflicts -----------------------------------------------------------------------------

struct ConflictCase {
  std::string_view first;
  std::string_view second;
};

constexpr ConflictCase kConflicts[] = {
    {"GET /a", "GET /a"},
    {"GET /a/{x}", "GET /a/{y}"},
    {"/a/{x}", "/a/{y}"},
    {"GET /a/{x}/b", "GET /a/{y}/b"},
    {"GET /s/{p...}", "GET /s/{q...}"},
    {"GET /a%62", "GET /ab"},  // the same literal once decoded
    {"/", "/"},
};

TEST(Router, ConflictsAreRejected) {
  for (const ConflictCase& c : kConflicts) {
    SCOPED_TRACE(std::string(c.first) + " then " + std::string(c.second));
    Router router;
    router.add(c.first);
    EXPECT_THROW(router.add(c.second), std::invalid_argument);
  }
}

TEST(Router, ConflictMessageNamesBothPatterns) {
  Router router;
  router.add("GET /a/{x}");
  try {
    router.add("GET /a/{y}");
    FAIL() << "no exception";
  } catch (const std::invalid_argument& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find("GET /a/{x}"), std::string::npos) << message;
    EXPECT_NE(message.find("GET /a/{y}"), std::string::npos) << message;
  }
}

constexpr ConflictCase kNearMisses[] = {
    {"GET /a/{x}", "POST /a/{x}"},    {"GET /a/{x}", "HEAD /a/{x}"},
    {"/a/{x}", "GET /a/{y}"},         {"GET /a/{x}", "GET /a/b"},
    {"GET /a/{x}", "GET /a/{x...}"},  {"GET /a/b", "GET /a/b/"},
    {"GET /a/b", "GET /a/c"},         {"GET /a/{x}/b", "GET /a/{x}/c"},
    {"GET /a/{x}/b", "GET /{x}/a/b"}, {"GET /a", "get /a"},
    {"GET /a/{p...}", "GET /a/"},
};

TEST(Router, NearMissesAreAccepted) {
  for (const ConflictCase& c : kNearMisses) {
    SCOPED_TRACE(std::string(c.first) + " then " + std::string(c.second));
    Router router;
    EXPECT_EQ(router.add(c.first), 0u);
    EXPECT_NO_THROW(EXPECT_EQ(router.add(c.second), 1u));
  }
}

TEST(Router, RejectedPatternLeavesRouterAsItWas) {
  Router router;
  router.add("GET /a/{x}");
  EXPECT_THROW(router.add("GET /a/{y}"), std::invalid_argument);
  EXPECT_THROW(router.add("GET /b/{"), std::invalid_argument);
  EXPECT_EQ(router.size(), 1u);
  EXPECT_EQ(router.add("POST /a/{y}"), 1u);
  RouteParams params;
  ASSERT_EQ(router.match("GET", "/a/1", params).route, 0u);
  EXPECT_EQ(params.get("x"), "1");
}

// ---- malformed patterns --------------------------------------------------------------------

struct MalformedCase {
  std::string_view name;
  std::string_view pattern;
};

constexpr MalformedCase kMalformed[] = {
    {"empty", ""},
    {"no_leading_slash", "a/b"},
    {"method_without_path", "GET"},
    {"method_no_slash", "GET a"},
    {"two_spaces", "GET  /a"},
    {"empty_method", " /a"},
    {"bad_method_token", "GE(T /a"},
    {"method_with_tab", "GET\t/a"},
    {"empty_name", "/a/{}"},
    {"empty_rest_name", "/a/{...}"},
    {"name_starts_with_digit", "/a/{1x}"},
    {"name_with_dash", "/a/{x-y}"},
    {"unclosed_brace", "/a/{x"},
    {"unopened_brace", "/a/x}"},
    {"brace_inside_segment", "/a{b}"},
    {"brace_after_text", "/a/b{c}"},
    {"text_after_brace", "/a/{b}c"},
    {"nested_braces", "/a/{{b}}"},
    {"rest_not_last", "/a/{x...}/b"},
    {"rest_before_slash", "/a/{x...}/"},
    {"duplicate_names", "/a/{x}/{x}"},
    {"duplicate_param_and_rest", "/a/{x}/{x...}"},
    {"bad_escape", "/a%zz"},
    {"short_escape", "/a%4"},
    {"encoded_nul", "/a%00"},
    {"space_in_path", "GET /a b"},
    {"query", "/a?b=1"},
    {"fragment", "/a#b"},
    {"control_byte", "/a\x01"},
};

TEST(Router, MalformedPatternsAreRejected) {
  for (const MalformedCase& c : kMalformed) {
    SCOPED_TRACE(c.name);
    Router router;
    EXPECT_THROW(router.add(c.pattern), std::invalid_argument);
  }
}

TEST(Router, WellFormedUnusualPatternsAreAccepted) {
  Router router;
  EXPECT_NO_THROW(router.add("M-SEARCH /_x/{_}/{a9_Z}"));
  EXPECT_NO_THROW(router.add("GET /caf\xc3\xa9/%7Euser"));
  EXPECT_NO_THROW(router.add("GET /a//b"));
}

// ---- percent-decoding -----------------------------------------------------------------------

TEST(Router, LiteralMatchesEncodedPath) {
  const Router router = make_router({"GET /caf\xc3\xa9/menu"});
  EXPECT_EQ(route_of(router, "/caf%C3%A9/menu"), 0u);
  EXPECT_EQ(route_of(router, "/caf%c3%a9/%6Denu"), 0u);
  EXPECT_EQ(route_of(router, "/caf\xc3\xa9/menu"), 0u);
}

TEST(Router, EncodedPatternLiteralMatchesPlainPath) {
  const Router router = make_router({"GET /%7Euser/a%20b"});
  EXPECT_EQ(route_of(router, "/~user/a%20b"), 0u);
  EXPECT_EQ(route_of(router, "/%7euser/a%20b"), 0u);
}

TEST(Router, EncodedSlashStaysInsideParam) {
  const Router router = make_router({"GET /files/{name}"});
  RouteParams params;
  ASSERT_EQ(router.match("GET", "/files/a%2Fb", params).result, RouteResult::kFound);
  EXPECT_EQ(params.get("name"), "a/b");
  EXPECT_EQ(route_of(router, "/files/a/b"), kNoRoute);
}

TEST(Router, EncodedSlashDoesNotSeparateLiterals) {
  const Router router = make_router({"GET /a/b", "GET /a%2Fb"});
  EXPECT_EQ(route_of(router, "/a/b"), 0u);
  EXPECT_EQ(route_of(router, "/a%2Fb"), 1u);
  EXPECT_EQ(route_of(router, "/a%2fb"), 1u);
}

TEST(Router, ParamValueIsDecoded) {
  const Router router = make_router({"GET /search/{term}/{page}"});
  RouteParams params;
  ASSERT_EQ(router.match("GET", "/search/caf%C3%A9%20au%20lait/2", params).result,
            RouteResult::kFound);
  EXPECT_EQ(params.get("term"), "caf\xc3\xa9 au lait");
  EXPECT_EQ(params.get("page"), "2");
}

TEST(Router, RestValueIsDecodedAndJoined) {
  const Router router = make_router({"GET /static/{path...}"});
  RouteParams params;
  ASSERT_EQ(router.match("GET", "/static/a%20b/c%2Fd/e", params).result, RouteResult::kFound);
  EXPECT_EQ(params.get("path"), "a b/c/d/e");
}

TEST(Router, BadEscapesAreBadRequest) {
  const Router router = make_router({"/{path...}"});
  RouteParams params;
  for (std::string_view path : {"/%zz", "/%4", "/%", "/a%g0", "/%0g/b", "/x/%00", "/%2"}) {
    SCOPED_TRACE(path);
    EXPECT_EQ(router.match("GET", path, params).result, RouteResult::kBadRequest);
  }
}

TEST(Router, EscapeCutByTheEndOfThePathIsBadRequest) {
  // The bytes after the view are valid hex: only the path's own length may decide.
  const Router router = make_router({"/{path...}"});
  RouteParams params;
  constexpr std::string_view kBuffer = "/a%41";
  EXPECT_EQ(router.match("GET", kBuffer.substr(0, 4), params).result, RouteResult::kBadRequest);
  EXPECT_EQ(router.match("GET", kBuffer.substr(0, 3), params).result, RouteResult::kBadRequest);
}

TEST(Router, RawNulIsBadRequest) {
  const Router router = make_router({"/{path...}"});
  RouteParams params;
  EXPECT_EQ(router.match("GET", std::string_view("/a\0b", 4), params).result,
            RouteResult::kBadRequest);
}

TEST(Router, BadEscapeIsBadRequestEvenWithoutARoute) {
  const Router router = make_router({"GET /a"});
  RouteParams params;
  EXPECT_EQ(router.match("GET", "/b/%zz", params).result, RouteResult::kBadRequest);
}

TEST(Router, PathWithoutLeadingSlashIsBadRequest) {
  const Router router = make_router({"/{path...}"});
  RouteParams params;
  EXPECT_EQ(router.match("OPTIONS", "*", params).result, RouteResult::kBadRequest);
  EXPECT_EQ(router.match("GET", "", params).result, RouteResult::kBadRequest);
}

// ---- methods -------------------------------------------------------------------------------

TEST(Router, HeadIsAnsweredByGet) {
  const Router router = make_router({"GET /a"});
  EXPECT_EQ(route_of(router, "/a", "HEAD"), 0u);
}

TEST(Router, HeadRouteBeatsGetForHead) {
  const Router router = make_router({"GET /a", "HEAD /a"});
  EXPECT_EQ(route_of(router, "/a", "HEAD"), 1u);
  EXPECT_EQ(route_of(router, "/a", "GET"), 0u);
}

TEST(Router, GetForHeadBeatsMethodLess) {
  const Router router = make_router({"/a", "GET /a"});
  EXPECT_EQ(route_of(router, "/a", "HEAD"), 1u);
}

TEST(Router, HeadRouteDoesNotAnswerGet) {
  const Router router = make_router({"HEAD /a"});
  RouteParams params;
  const RouteMatch match = router.match("GET", "/a", params);
  EXPECT_EQ(match.result, RouteResult::kMethodNotAllowed);
  EXPECT_EQ(match.allow, "HEAD, OPTIONS");
}

TEST(Router, MethodTokensAreCaseSensitive) {
  const Router router = make_router({"GET /a"});
  RouteParams params;
  EXPECT_EQ(router.match("get", "/a", params).result, RouteResult::kMethodNotAllowed);
}

TEST(Router, MethodNotAllowedHasExactAllow) {
  const Router router = make_router({"GET /a", "POST /a"});
  RouteParams params;
  const RouteMatch match = router.match("DELETE", "/a", params);
  EXPECT_EQ(match.result, RouteResult::kMethodNotAllowed);
  EXPECT_EQ(match.route, kNoRoute);
  EXPECT_EQ(match.allow, "GET, HEAD, POST, OPTIONS");
}

TEST(Router, AllowIsInFixedOrder) {
  // Registered in scrambled order; Allow lists the standard methods first, then the others
  // alphabetically.
  const Router router = make_router({"PURGE /a", "DELETE /a", "PATCH /a", "BREW /a", "PUT /a",
                                     "POST /a", "GET /a", "HEAD /a", "OPTIONS /b", "M-SEARCH /a"});
  RouteParams params;
  const RouteMatch match = router.match("TRACE", "/a", params);
  EXPECT_EQ(match.result, RouteResult::kMethodNotAllowed);
  EXPECT_EQ(match.allow, "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS, BREW, M-SEARCH, PURGE");
}

TEST(Router, AllowIsTheUnionOverMatchingPatterns) {
  const Router router = make_router({"GET /a/b", "PUT /{x}/b", "DELETE /a/{y}", "POST /c/b"});
  RouteParams params;
  const RouteMatch match = router.match("PATCH", "/a/b", params);
  EXPECT_EQ(match.result, RouteResult::kMethodNotAllowed);
  EXPECT_EQ(match.allow, "GET, HEAD, PUT, DELETE, OPTIONS");
}

TEST(Router, AllowIsEmptyWhenFound) {
  const Router router = make_router({"GET /a"});
  RouteParams params;
  EXPECT_EQ(router.match("GET", "/a", params).allow, "");
}

TEST(Router, OptionsWithoutRouteListsAllow) {
  const Router router = make_router({"GET /a", "PUT /a"});
  RouteParams params;
  const RouteMatch match = router.match("OPTIONS", "/a", params);
  EXPECT_EQ(match.result, RouteResult::kOptions);
  EXPECT_EQ(match.allow, "GET, HEAD, PUT, OPTIONS");
}

TEST(Router, OptionsRouteIsFound) {
  const Router router = make_router({"GET /a", "OPTIONS /a"});
  RouteParams params;
  const RouteMatch match = router.match("OPTIONS", "/a", params);
  EXPECT_EQ(match.result, RouteResult::kFound);
  EXPECT_EQ(match.route, 1u);
}

TEST(Router, OptionsOnUnknownPathIsNotFound) {
  const Router router = make_router({"GET /a"});
  RouteParams params;
  EXPECT_EQ(router.match("OPTIONS", "/b", params).result, RouteResult::kNotFound);
}

TEST(Router, MethodLessRouteAnswersEveryMethod) {
  const Router router = make_router({"/a"});
  for (std::string_view method : {"GET", "HEAD", "POST", "OPTIONS", "BREW"}) {
    SCOPED_TRACE(method);
    EXPECT_EQ(route_of(router, "/a", method), 0u);
  }
}

TEST(Router, CustomMethodRoute) {
  const Router router = make_router({"PURGE /cache/{key}", "GET /cache/{key}"});
  EXPECT_EQ(route_of(router, "/cache/x", "PURGE"), 0u);
  EXPECT_EQ(route_of(router, "/cache/x", "GET"), 1u);
}

// ---- ids, scale, capacity ------------------------------------------------------------------

TEST(Router, RouteIdsFollowRegistrationOrder) {
  Router router;
  EXPECT_EQ(router.add("GET /a"), 0u);
  EXPECT_EQ(router.add("POST /a"), 1u);
  EXPECT_EQ(router.add("/b/{x}"), 2u);
  EXPECT_EQ(router.size(), 3u);
  EXPECT_EQ(router.pattern(2), "/b/{x}");
}

TEST(Router, HundredRoutesEachFindTheirOwn) {
  Router router;
  std::vector<std::string> paths;
  for (int i = 0; i < 100; ++i) {
    const std::string n = std::to_string(i);
    switch (i % 4) {
      case 0:
        router.add("GET /api/r" + n);
        paths.push_back("/api/r" + n);
        break;
      case 1:
        router.add("GET /api/r" + n + "/{id}");
        paths.push_back("/api/r" + n + "/x" + n);
        break;
      case 2:
        router.add("PUT /api/r" + n + "/{id}/tags/{tag}");
        paths.push_back("/api/r" + n + "/1/tags/t");
        break;
      default:
        router.add("GET /files/r" + n + "/{path...}");
        paths.push_back("/files/r" + n + "/a/b");
        break;
    }
  }
  RouteParams params;
  for (std::size_t i = 0; i < paths.size(); ++i) {
    SCOPED_TRACE(paths[i]);
    const RouteMatch match = router.match(i % 4 == 2 ? "PUT" : "GET", paths[i], params);
    ASSERT_EQ(match.result, RouteResult::kFound);
    EXPECT_EQ(match.route, i);
    if (i % 4 == 1) {
      EXPECT_EQ(params.get("id"), "x" + std::to_string(i));
    }
  }
}

// A pattern of `count` wildcards: "/{p0}/{p1}/…".
std::string many_params(std::size_t count) {
  std::string pattern;
  for (std::size_t i = 0; i < count; ++i) pattern += "/{p" + std::to_string(i) + "}";
  return pattern;
}

TEST(Router, SixteenParamsFit) {
  static_assert(kMaxRouteParams == 16);
  Router router;
  router.add(many_params(kMaxRouteParams));
  std::string path;
  for (std::size_t i = 0; i < kMaxRouteParams; ++i) path += "/v" + std::to_string(i);
  RouteParams params;
  ASSERT_EQ(router.match("GET", path, params).result, RouteResult::kFound);
  ASSERT_EQ(params.all().size(), kMaxRouteParams);
  for (std::size_t i = 0; i < kMaxRouteParams; ++i) {
    EXPECT_EQ(params.get("p" + std::to_string(i)), "v" + std::to_string(i));
  }
}

TEST(Router, SeventeenParamsAreRejected) {
  Router router;
  EXPECT_THROW(router.add(many_params(kMaxRouteParams + 1)), std::invalid_argument);
  EXPECT_THROW(router.add(many_params(kMaxRouteParams) + "/{rest...}"), std::invalid_argument);
}

TEST(Router, MatchAfterWarmUpDoesNotAllocate) {
#ifdef HYBRID_SANITIZED
  GTEST_SKIP() << "allocations are counted only without a sanitizer runtime";
#endif
  const Router router = make_router({"GET /a/{x}/c", "GET /{y}/b/d", "GET /s/{p...}", "PUT /q"});
  RouteParams params;
  params.reserve(router.scratch_bytes(64));
  const std::size_t before = allocations.load();
  const RouteMatch found = router.match("GET", "/a/b/d", params);
  const RouteMatch rest = router.match("GET", "/s/x%20y/z", params);
  const RouteMatch not_allowed = router.match("GET", "/q", params);
  const RouteMatch bad = router.match("GET", "/%zz", params);
  EXPECT_EQ(allocations.load(), before);
  EXPECT_EQ(found.route, 1u);
  EXPECT_EQ(rest.route, 2u);
  EXPECT_EQ(not_allowed.allow, "PUT, OPTIONS");
  EXPECT_EQ(bad.result, RouteResult::kBadRequest);
}

TEST(Router, ScratchGrowsForLongPaths) {
  const Router router = make_router({"GET /{path...}"});
  RouteParams params;
  const std::string long_path = "/" + std::string(10000, 'a');
  ASSERT_EQ(router.match("GET", "/short", params).result, RouteResult::kFound);
  ASSERT_EQ(router.match("GET", long_path, params).result, RouteResult::kFound);
  EXPECT_EQ(params.get("path"), long_path.substr(1));
}

TEST(Router, MovedRouterKeepsNames) {
  Router original = make_router({"GET /a/{name}"});
  const Router moved = std::move(original);
  RouteParams params;
  ASSERT_EQ(moved.match("GET", "/a/z", params).result, RouteResult::kFound);
  EXPECT_EQ(params.get("name"), "z");
}

}  // namespace
}  // namespace hybrid::http
